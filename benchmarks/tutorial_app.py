"""The serving target's baseline: the product API written the way FastAPI's SQL tutorial teaches.

Sync `def` routes (FastAPI runs each in its threadpool), one SQLAlchemy `Session` per request from a
`Depends` generator, ORM reads (`session.get`, `select`) and pydantic response models read from the
rows. At start it creates its table with `Base.metadata.create_all` and puts in the seed products
(`example_provider.products.SEED_PRODUCTS`), so it serves the same rows as example-provider. Its
database is `tutorial.db` in the working folder, or TUTORIAL_DATABASE_URL (the benchmark's
PostgreSQL run).
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator, Sequence
from contextlib import asynccontextmanager
from typing import Annotated

from fastapi import Depends, FastAPI, HTTPException
from pydantic import BaseModel, ConfigDict
from sqlalchemy import String, create_engine, select
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

from example_provider.products import SEED_PRODUCTS

DATABASE_URL = os.environ.get("TUTORIAL_DATABASE_URL", "sqlite:///tutorial.db")
# The tutorial's SQLite setting: FastAPI may use a connection in a thread other than the one that opened it.
engine = create_engine(
    DATABASE_URL, connect_args={"check_same_thread": False} if DATABASE_URL.startswith("sqlite") else {}
)


class Base(DeclarativeBase):
    pass


class ProductRow(Base):
    __tablename__ = "tutorial_products"  # its own table: on a shared PostgreSQL it leaves example-provider's alone

    id: Mapped[str] = mapped_column(String, primary_key=True)
    type: Mapped[str] = mapped_column(String)
    name: Mapped[str] = mapped_column(String)
    version: Mapped[str] = mapped_column(String)


class ProductOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    type: str
    name: str
    version: str


def get_session() -> Iterator[Session]:
    with Session(engine) as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session)]


@asynccontextmanager
async def lifespan(_: FastAPI) -> AsyncIterator[None]:
    Base.metadata.create_all(engine)
    with Session(engine) as session:
        for product in SEED_PRODUCTS:
            session.merge(ProductRow(**product.model_dump()))
        session.commit()
    yield


app = FastAPI(lifespan=lifespan)


@app.get("/products", response_model=list[ProductOut])
def read_products(session: SessionDep) -> Sequence[ProductRow]:
    return session.scalars(select(ProductRow).order_by(ProductRow.id)).all()


@app.get("/products/{product_id}", response_model=ProductOut)
@app.get("/product/{product_id}", response_model=ProductOut)
def read_product(product_id: str, session: SessionDep) -> ProductRow:
    product = session.get(ProductRow, product_id)
    if product is None:
        raise HTTPException(status_code=404, detail="Product not found")
    return product
