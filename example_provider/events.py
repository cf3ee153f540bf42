"""Product events: the one builder of the event a write stores, and the port its publishers fill.

`product_event(product, kind)` is the only place an event is made: a write stores what it builds
in the outbox, the relay publishes what was stored, and the message verification (`messages.py`)
answers with what it builds, so the contract verified is the one kept. A `Publisher` sends events
(`publishers.py`: the server log by default, Amazon SNS when a topic is set) and raises
`PublishError` when it cannot.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from example_provider.products import Product

TOPIC = "products"
CONTENT_TYPE = "application/json"


class EventKind(StrEnum):
    CREATED = "CREATED"
    UPDATED = "UPDATED"
    DELETED = "DELETED"


@dataclass(frozen=True, slots=True)
class ProductEvent:
    """What a product event consumer receives: JSON contents, and metadata beside them."""

    event_id: str  # unique per change: a consumer drops a repeated delivery by it
    product_id: str  # events of one product are published in the order their changes committed
    contents: dict[str, str]
    metadata: dict[str, str]

    @property
    def body(self) -> bytes:
        """The contents as sent: compact UTF-8 JSON."""
        return json.dumps(self.contents, separators=(",", ":"), ensure_ascii=False).encode()


def product_event(product: Product, kind: EventKind) -> ProductEvent:
    """The event announcing that `product` was created, updated or deleted (then it is the one deleted)."""
    event_id = str(uuid.uuid4())
    return ProductEvent(
        event_id=event_id,
        product_id=product.id,
        contents={**product.model_dump(), "event": kind.value},
        metadata={"Content-Type": CONTENT_TYPE, "topic": TOPIC, "eventId": event_id},
    )


class PublishError(RuntimeError):
    """The event could not be published; the message is one line, safe to log."""


class Publisher(Protocol):
    def publish(self, event: ProductEvent) -> None:
        """Send the event, or raise `PublishError`; it returns only once the event is sent."""
