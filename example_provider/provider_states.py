"""The consumers' named provider states, as small functions that change rows in the database.

One registry serves every way of verifying: the verifier in `invoke verify` and external
verifiers alike reach it through the opt-in `POST /_pact/provider-states` endpoint
(`verifier_endpoints.py`), which commits each change in one transaction.

States compose: the verifier sets up an interaction's states one by one, in the pact's order,
and each changes the rows the ones before it left. Teardown, a failing setup and the no-state
hook restore the seed by clean-then-seed (delete every product, insert the seed's), so every
interaction starts there.

To add a state: write a function `(session, params) -> Mapping | None` that changes rows through
`products.py`, and register it in `_SETUPS` under the exact name the consumer uses. What it
returns, such as `{"id": "12"}`, is what the consumer's `fromProviderState` expressions resolve
against.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from sqlalchemy.orm import Session

from example_provider import products
from example_provider.products import SEED_PRODUCTS, Product

Params = Mapping[str, Any]
StateValues = Mapping[str, Any]
StateSetup = Callable[[Session, Params], StateValues | None]

#: The product a state puts in place when the consumer's params do not say otherwise: the seed's "10".
DEFAULT_PRODUCT = SEED_PRODUCTS[1]


class UnknownProviderStateError(LookupError):
    """A consumer asked for a state this provider does not define."""

    def __init__(self, state: str) -> None:
        self.state = state
        super().__init__(
            f"unknown provider state {state!r}: add it to example_provider/provider_states.py "
            f"(known states: {', '.join(repr(s) for s in known_states())})"
        )


def _param(params: Params, name: str, default: str) -> str:
    """A state parameter as the API spells values (strings; numbers are accepted), or `default`."""
    value = params.get(name, default)
    if value is None or isinstance(value, (dict, list)):
        msg = f"state parameter {name!r} must be a string or a number, got {value!r}"
        raise ValueError(msg)
    return str(value)


def _product_exists(session: Session, params: Params) -> StateValues:
    """The product the params describe (`id`, `name`, `type`, `version`), added or replacing its id."""
    fields = DEFAULT_PRODUCT.model_dump()
    product = Product(**{name: _param(params, name, default) for name, default in fields.items()})
    products.put(session, product)
    return {"id": product.id}


def _product_does_not_exist(session: Session, params: Params) -> None:
    # No {"id": ...}: it would overwrite the id a state before it handed back.
    products.remove(session, _param(params, "id", "11"))


def _products_exist(session: Session, params: Params) -> None:  # noqa: ARG001
    """The seed's products in place on top of the current rows; what other states added stays."""
    for product in SEED_PRODUCTS:
        products.put(session, product)


def _seeded(session: Session, params: Params) -> None:  # noqa: ARG001
    """The seeded catalogue, where every interaction starts."""
    products.restore_seed(session)


_SETUPS: dict[str, StateSetup] = {
    "": _seeded,  # the generic hook the verifier calls for an interaction with no state
    "a product exists": _product_exists,  # params: id, name, type, version
    "a product with ID 10 exists": _product_exists,
    "a product does not exist": _product_does_not_exist,  # params: id
    "a product with ID 11 does not exist": _product_does_not_exist,
    "products exist": _products_exist,
    "products exists": _products_exist,  # a spelling some consumers use
}


def known_states() -> list[str]:
    """The named states, for messages and docs (the generic hook is left out)."""
    return [name for name in _SETUPS if name]


def set_up(session: Session, state: str, params: Params) -> dict[str, Any]:
    """Change the rows as `state` says, uncommitted; the values it hands back (`{}` when none)."""
    setup = _SETUPS.get(state)
    if setup is None:
        raise UnknownProviderStateError(state)
    return dict(setup(session, params) or {})


def set_up_all(session: Session, states: Iterable[tuple[str, Params]]) -> dict[str, Any]:
    """An interaction's states from the seed, uncommitted: the values they hand back, merged in order."""
    products.restore_seed(session)
    values: dict[str, Any] = {}
    for state, params in states:
        values.update(set_up(session, state, params))
    return values
