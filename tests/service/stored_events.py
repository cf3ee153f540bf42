"""The product events a test's app stored in the outbox, read back as the relay reads them."""

from __future__ import annotations

import json

from sqlalchemy import select
from sqlalchemy.orm import Session

from example_provider.events import ProductEvent
from example_provider.models import OutboxRow


def stored_events(session: Session) -> list[ProductEvent]:
    """Every event in the outbox, published or not, in the order stored (earlier reads dropped first)."""
    session.rollback()
    rows = session.scalars(select(OutboxRow).order_by(OutboxRow.id))
    return [
        ProductEvent(row.event_id, row.product_id, json.loads(row.body), json.loads(row.event_metadata)) for row in rows
    ]
