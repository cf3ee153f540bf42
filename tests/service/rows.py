"""The catalogue's rows as a test sees and sets them, beside the app, on the app's database."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from example_provider import products
from example_provider.models import OutboxRow
from example_provider.products import Product


def stored(session: Session) -> list[Product]:
    """The products committed now, in id order (the session's earlier reads are dropped first)."""
    session.rollback()
    return products.all_products(session)


def store_only(session: Session, catalogue: Iterable[Product]) -> None:
    """Commit exactly these products: every other row is deleted."""
    session.rollback()
    for product in products.all_products(session):
        products.remove(session, product.id)
    for product in catalogue:
        products.put(session, product)
    session.commit()


def events_stored(session: Session) -> int:
    """How many events the outbox holds, published or not."""
    session.rollback()
    return session.scalar(select(func.count()).select_from(OutboxRow)) or 0
