"""The consumers' named messages: which product event each message description stands for.

The companion of `provider_states.py` for event consumers. A verifier asks for a message by its
description and the interaction's provider states; the answer is the event `events.product_event`
builds, as the relay would publish it, about the product those states put in place: the `id` they
hand back, else the default product, "10".

To add a message: register the consumer's exact description in `_MESSAGES` with its event kind.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from example_provider.events import EventKind, ProductEvent, product_event
from example_provider.products import get_product

_MESSAGES: dict[str, EventKind] = {
    "a product event update": EventKind.UPDATED,  # pactflow's example-consumer-python-sns (and the JS one)
    "a product created event": EventKind.CREATED,  # pactflow's example-consumer-java-kafka
    "a product deleted event": EventKind.DELETED,
}


class MessageError(LookupError):
    """The message cannot be built; the text says why in one line."""


def known_messages() -> list[str]:
    return list(_MESSAGES)


def message_for(description: str, product_id: str, session: Session) -> ProductEvent:
    """The message a consumer expects under `description`, about the product `product_id`."""
    kind = _MESSAGES.get(description)
    if kind is None:
        known = ", ".join(repr(d) for d in known_messages())
        msg = f"unknown message {description!r}: add it to example_provider/messages.py (known messages: {known})"
        raise MessageError(msg)
    product = get_product(session, product_id)
    if product is None:
        msg = f"message {description!r} is about product {product_id!r}, which the provider states did not set up"
        raise MessageError(msg)
    return product_event(product, kind)


def verification_metadata(event: ProductEvent) -> dict[str, str]:
    """The metadata a verifier compares with the consumer's: the event's, and its content type as pact-js names it.

    Metadata keys match exactly. pact-python consumers read the event's `Content-Type`; pact-js
    consumers write the content type into their pacts as `content-type` (and `contentType`, which
    the verifier takes from the answer's `Content-Type` header). Both name the same fact, the
    body's media type, so this adds a key to what is verified, not an attribute to what is published.
    """
    return {**event.metadata, "content-type": event.metadata["Content-Type"]}
