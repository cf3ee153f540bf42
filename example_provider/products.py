"""The product domain: the `Product` the API serves, the catalogue's reads (a connection or a session will do),
and its writes through a `Session`.

Each write changes the product's row and stores its event in the outbox in one transaction, and
commits: the change and its event exist together or not at all (`relay.py` publishes the event).
Each write's first statement changes the row, so it holds the row's lock (PostgreSQL) or the
database's write lock (SQLite) from the start: writes of one product, and their events, are
ordered the way they commit.
"""

from __future__ import annotations

import json

from pydantic import BaseModel, ConfigDict
from sqlalchemy import Connection, bindparam, delete, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from example_provider.events import EventKind, product_event
from example_provider.fields import ProductId, Text
from example_provider.models import OutboxRow, ProductRow


class ProductFields(BaseModel):
    """A product but its id: what a replace sends, to the path that names the product."""

    type: Text
    name: Text
    version: Text


class Product(BaseModel):
    """A product of the catalogue, as the API serves it (its id first)."""

    model_config = ConfigDict(frozen=True, from_attributes=True)

    id: ProductId
    type: Text
    name: Text
    version: Text


class ProductExistsError(LookupError):
    """A product with this id is already in the catalogue."""


class ProductNotFoundError(LookupError):
    """No product with this id is in the catalogue."""


SEED_PRODUCTS: tuple[Product, ...] = (
    Product(id="09", type="CREDIT_CARD", name="Gem Visa", version="v1"),
    Product(id="10", type="CREDIT_CARD", name="28 Degrees", version="v1"),
    Product(id="11", type="PERSONAL_LOAN", name="MyFlexiPay", version="v2"),
)


PRODUCTS = ProductRow.metadata.tables[ProductRow.__tablename__]  # typed as the Table that Core's insert takes


# Reads are Core queries (rows, not ORM objects), built once: for one product, building the statement
# on each request cost as much as running it (benchmarks/README.md).
_ALL = select(PRODUCTS).order_by(PRODUCTS.c.id)
_BY_ID = select(PRODUCTS).where(PRODUCTS.c.id == bindparam("product_id"))


def all_products(reader: Connection | Session) -> list[Product]:
    """Every product, in id order."""
    return [Product.model_construct(**row) for row in reader.execute(_ALL).mappings()]  # checked when written


def _findable(product_id: str) -> bool:
    """False for an id no product can have that PostgreSQL refuses even to look for (a NUL)."""
    return "\x00" not in product_id


def get_product(reader: Connection | Session, product_id: str) -> Product | None:
    if not _findable(product_id):
        return None
    row = reader.execute(_BY_ID, {"product_id": product_id}).mappings().first()
    return None if row is None else Product.model_construct(**row)


def create(session: Session, product: Product) -> None:
    """Add a new product and its CREATED event; `ProductExistsError` if its id is taken."""
    session.add(ProductRow(**product.model_dump()))
    try:
        session.flush()  # PostgreSQL: a racing create of the same id waits here, then fails
    except IntegrityError:
        session.rollback()
        raise ProductExistsError(product.id) from None
    _commit_with_event(session, product, EventKind.CREATED)


def replace(session: Session, product: Product) -> None:
    """Replace the product with the same id and store its UPDATED event; `ProductNotFoundError` if there is none."""
    changed = session.execute(
        update(ProductRow)
        .where(ProductRow.id == product.id)
        .values(type=product.type, name=product.name, version=product.version)
        .returning(ProductRow.id)
    ).first()
    if changed is None:
        session.rollback()
        raise ProductNotFoundError(product.id)
    _commit_with_event(session, product, EventKind.UPDATED)


def delete_product(session: Session, product_id: str) -> Product:
    """Remove the product and store its DELETED event (the product as it was); `ProductNotFoundError` if none."""
    columns = (ProductRow.id, ProductRow.type, ProductRow.name, ProductRow.version)
    row = None
    if _findable(product_id):
        row = session.execute(delete(ProductRow).where(ProductRow.id == product_id).returning(*columns)).first()
    if row is None:
        session.rollback()
        raise ProductNotFoundError(product_id)
    product = Product.model_validate(row._asdict())
    _commit_with_event(session, product, EventKind.DELETED)
    return product


def _commit_with_event(session: Session, product: Product, kind: EventKind) -> None:
    event = product_event(product, kind)
    session.add(
        OutboxRow(
            event_id=event.event_id,
            product_id=event.product_id,
            body=event.body.decode(),
            event_metadata=json.dumps(event.metadata),
        )
    )
    session.commit()


# Changes without events, for provider states: they set up data, they are not the catalogue's history.
# Core statements built once, like the reads: the ORM's merge and flush cost twice as much (benchmarks/README.md).
_INSERT = insert(PRODUCTS)
_UPDATE = update(PRODUCTS).where(PRODUCTS.c.id == bindparam("product_id")).returning(PRODUCTS.c.id)  # SET: the fields
_DELETE_ONE = delete(PRODUCTS).where(PRODUCTS.c.id == bindparam("product_id"))
_DELETE_ALL = delete(PRODUCTS)


def put(session: Session, product: Product) -> None:
    """Add the product, or replace the fields of the one with its id."""
    if session.execute(_UPDATE, {"product_id": product.id, **product.model_dump(exclude={"id"})}).first() is None:
        session.execute(_INSERT, [product.model_dump()])


def remove(session: Session, product_id: str) -> None:
    session.execute(_DELETE_ONE, {"product_id": product_id})


def restore_seed(session: Session) -> None:
    """Clean, then seed: delete every product, then insert the seed's."""
    session.execute(_DELETE_ALL)
    session.execute(_INSERT, [product.model_dump() for product in SEED_PRODUCTS])
