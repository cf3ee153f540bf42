"""The consumers' named provider states, as setup/teardown functions on a repository.

One registry serves every way of verifying: the verifier in `invoke verify` and external
verifiers alike reach it through the opt-in `POST /_pact/provider-states` endpoint (`app.py`).

To add a state: write a function `(repository, params) -> None` that puts the repository in
that state and register it in `_SETUPS` under the exact name the consumer uses. Build the
state's whole catalogue and swap it in with one `replace_all`: a reset followed by a second
change lets a concurrent change land between the two.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any, Literal

from example_provider.products import Product, ProductRepository, with_product, without_product

logger = logging.getLogger(__name__)

Action = Literal["setup", "teardown"]
Params = Mapping[str, Any]
StateSetup = Callable[[ProductRepository, Params], None]


class UnknownProviderStateError(LookupError):
    """A consumer asked for a state this provider does not define."""

    def __init__(self, state: str) -> None:
        self.state = state
        super().__init__(
            f"unknown provider state {state!r}: add it to example_provider/provider_states.py "
            f"(known states: {', '.join(repr(s) for s in known_states())})"
        )


def _param_id(params: Params, default: str) -> str:
    """The `id` state parameter as the API spells ids (strings), or the state's default."""
    value = params.get("id", default)
    if value is None or isinstance(value, (dict, list)):
        msg = f"state parameter 'id' must be a string or a number, got {value!r}"
        raise ValueError(msg)
    return str(value)


def _product_exists(repository: ProductRepository, params: Params) -> None:
    product = Product(id=_param_id(params, "10"), type="CREDIT_CARD", name="28 Degrees", version="v1")
    repository.replace_all(with_product(repository.seed, product))


def _product_does_not_exist(repository: ProductRepository, params: Params) -> None:
    repository.replace_all(without_product(repository.seed, _param_id(params, "11")))


def _seeded(repository: ProductRepository, params: Params) -> None:  # noqa: ARG001
    """The seeded catalogue: what "products exist" asks, and where every interaction starts."""
    repository.reset()


_SETUPS: dict[str, StateSetup] = {
    "": _seeded,  # the generic hook the verifier calls for an interaction with no state
    "a product with ID 10 exists": _product_exists,
    "a product with ID 11 does not exist": _product_does_not_exist,
    "products exist": _seeded,
    "products exists": _seeded,  # a spelling some consumers use
}


def known_states() -> list[str]:
    """The named states, for messages and docs (the generic hook is left out)."""
    return [name for name in _SETUPS if name]


class ProviderStates:
    """Applies provider states to one repository.

    Teardown always returns the repository to its seeded catalogue, so no interaction can
    see data another one left behind.
    """

    def __init__(self, repository: ProductRepository) -> None:
        self.repository = repository

    def handle(self, state: str, action: Action = "setup", parameters: Params | None = None) -> None:
        """Set up or tear down `state`; the signature is the one pact-python calls.

        Errors are logged here with their traceback before they propagate: pact-python only
        reports a failing state handler as "error sending request" (pact-python #1665).
        """
        params = parameters or {}
        try:
            self._apply(state, action, params)
        except Exception:
            logger.exception("provider state %r (%s, params=%r) failed", state, action, dict(params))
            raise
        logger.info("provider state %r: %s done (params=%r)", state, action, dict(params))

    def _apply(self, state: str, action: str, params: Params) -> None:
        setup = _SETUPS.get(state)
        if setup is None:
            raise UnknownProviderStateError(state)
        if action == "setup":
            setup(self.repository, params)
        elif action == "teardown":
            self.repository.reset()
        else:
            msg = f"provider state action must be 'setup' or 'teardown', got {action!r}"
            raise ValueError(msg)
