"""The consumers' named messages: which product event each message description stands for.

The companion of `provider_states.py` for event consumers. A verifier asks for a message by
its description, after the interaction's provider states have set up the repository; the
answer is the event `events.product_event` builds, as the server would publish it, about the
product the states put in place (the states' `id` parameter, else product "10").

To add a message: register the consumer's exact description in `_MESSAGES` with its event kind.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from example_provider.events import EventKind, ProductEvent, product_event
from example_provider.products import ProductRepository

DEFAULT_PRODUCT_ID = "10"

_MESSAGES: dict[str, EventKind] = {
    "a product event update": EventKind.UPDATED,  # pactflow's example-consumer-python-sns (and the JS one)
    "a product created event": EventKind.CREATED,  # pactflow's example-consumer-java-kafka
    "a product deleted event": EventKind.DELETED,
}


class MessageError(LookupError):
    """The message cannot be built; the text says why in one line."""


def known_messages() -> list[str]:
    return list(_MESSAGES)


def _product_id(provider_states: Sequence[Mapping[str, Any]]) -> str:
    """The `id` parameter of the last state that has one, else the default product's."""
    ids = [params["id"] for state in provider_states if "id" in (params := state.get("params") or {})]
    if not ids:
        return DEFAULT_PRODUCT_ID
    if ids[-1] is None or isinstance(ids[-1], (dict, list)):
        msg = f"provider state parameter 'id' must be a string or a number, got {ids[-1]!r}"
        raise MessageError(msg)
    return str(ids[-1])


def message_for(
    description: str, provider_states: Sequence[Mapping[str, Any]], repository: ProductRepository
) -> ProductEvent:
    """The message a consumer expects under `description`, about the product its states set up."""
    kind = _MESSAGES.get(description)
    if kind is None:
        known = ", ".join(repr(d) for d in known_messages())
        msg = f"unknown message {description!r}: add it to example_provider/messages.py (known messages: {known})"
        raise MessageError(msg)
    product_id = _product_id(provider_states)
    product = repository.get(product_id)
    if product is None:
        msg = f"message {description!r} is about product {product_id!r}, which the provider states did not set up"
        raise MessageError(msg)
    return product_event(product, kind)
