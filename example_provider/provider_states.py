"""The consumers' named provider states, as setup functions on a repository.

One registry serves every way of verifying: the verifier in `invoke verify` and external
verifiers alike reach it through the opt-in `POST /_pact/provider-states` endpoint (`app.py`).

States compose: the verifier sets up an interaction's states one by one, in the pact's order,
and each applies one change on top of the catalogue the ones before it left. Teardown, a
failing setup and the no-state hook all return to the seed, so every interaction starts there.

To add a state: write a function `(repository, params) -> Mapping | None` that makes one
`repository.update(...)` (read and swap under one lock: no reader sees half a change), and
register it in `_SETUPS` under the exact name the consumer uses. What it returns, such as
`{"id": "12"}`, is what the consumer's `fromProviderState` expressions resolve against.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Mapping
from typing import Any, Literal

from example_provider.products import Product, ProductRepository, with_product, without_product

logger = logging.getLogger(__name__)

Action = Literal["setup", "teardown"]
Params = Mapping[str, Any]
StateValues = Mapping[str, Any]
StateSetup = Callable[[ProductRepository, Params], StateValues | None]

#: The product a state puts in place when the consumer's params do not say otherwise.
DEFAULT_PRODUCT = Product(id="10", type="CREDIT_CARD", name="28 Degrees", version="v1")


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


def _product_exists(repository: ProductRepository, params: Params) -> StateValues:
    """The product the params describe (`id`, `name`, `type`, `version`), added or replacing its id."""
    fields = DEFAULT_PRODUCT.model_dump()
    product = Product(**{name: _param(params, name, default) for name, default in fields.items()})
    repository.update(lambda products: with_product(products, product))
    return {"id": product.id}


def _product_does_not_exist(repository: ProductRepository, params: Params) -> None:
    # No {"id": ...}: it would overwrite the id a state before it handed back.
    product_id = _param(params, "id", "11")
    repository.update(lambda products: without_product(products, product_id))


def _products_exist(repository: ProductRepository, params: Params) -> None:  # noqa: ARG001
    """The seed's products in place on top of the current catalogue; what other states added stays."""
    repository.update(lambda products: functools.reduce(with_product, repository.seed, products))


def _seeded(repository: ProductRepository, params: Params) -> None:  # noqa: ARG001
    """The seeded catalogue, where every interaction starts."""
    repository.reset()


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


class ProviderStates:
    """Applies provider states to one repository.

    Setup changes the current catalogue; teardown, and any setup that fails, restore the seed,
    so no interaction sees data another one, or a half-made state, left behind.
    """

    def __init__(self, repository: ProductRepository) -> None:
        self.repository = repository
        #: What this interaction's setups handed back, merged: what its message is about.
        self.values: dict[str, Any] = {}

    def handle(self, state: str, action: Action = "setup", parameters: Params | None = None) -> StateValues:
        """Set up or tear down `state`; the values a setup hands back (`{}` when none).

        The signature is the one pact-python calls. Errors are logged here before they propagate:
        pact-python only reports a failing state handler as "error sending request" (pact-python
        #1665). An unknown state is the pact's mistake, not a bug here: one line, its traceback at debug.
        """
        params = parameters or {}
        try:
            values = self._apply(state, action, params)
        except Exception as error:
            self.repository.reset()
            self.values = {}
            if isinstance(error, UnknownProviderStateError):
                logger.warning("%s", error)
                logger.debug("provider state %r (%s) failed; the seed is restored", state, action, exc_info=True)
            else:
                logger.exception(
                    "provider state %r (%s, params=%r) failed; the seed is restored", state, action, dict(params)
                )
            raise
        logger.info("provider state %r: %s done (params=%r)", state, action, dict(params))
        return values

    def _apply(self, state: str, action: str, params: Params) -> StateValues:
        setup = _SETUPS.get(state)
        if setup is None:
            raise UnknownProviderStateError(state)
        if action == "setup":
            values = dict(setup(self.repository, params) or {})
            self.values.update(values)
            return values
        if action == "teardown":
            self.repository.reset()
            self.values = {}
            return {}
        msg = f"provider state action must be 'setup' or 'teardown', got {action!r}"
        raise ValueError(msg)
