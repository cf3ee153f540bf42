"""The tables: the catalogue's products, and the outbox of product events waiting to be published."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import DateTime, Index, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class ProductRow(Base):
    __tablename__ = "products"

    id: Mapped[str] = mapped_column(String, primary_key=True)
    type: Mapped[str] = mapped_column(String)
    name: Mapped[str] = mapped_column(String)
    version: Mapped[str] = mapped_column(String)


class OutboxRow(Base):
    """One product event, stored in the transaction of the change it announces; `sent_at` once published."""

    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    event_id: Mapped[str] = mapped_column(String(36), unique=True)
    product_id: Mapped[str] = mapped_column(String)
    body: Mapped[str] = mapped_column(Text)  # the JSON consumers receive
    event_metadata: Mapped[str] = mapped_column("metadata", Text)  # JSON: the message attributes
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=lambda: dt.datetime.now(dt.UTC))
    sent_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        Index("ix_outbox_unsent", "id", sqlite_where=sent_at.is_(None), postgresql_where=sent_at.is_(None)),
    )
