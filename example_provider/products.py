"""The product domain: the `Product` model and a thread-safe in-memory `ProductRepository`."""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from pydantic import BaseModel, ConfigDict


class Product(BaseModel):
    """A product of the catalogue, as the API serves it."""

    model_config = ConfigDict(frozen=True)

    id: str
    type: str
    name: str
    version: str


SEED_PRODUCTS: tuple[Product, ...] = (
    Product(id="09", type="CREDIT_CARD", name="Gem Visa", version="v1"),
    Product(id="10", type="CREDIT_CARD", name="28 Degrees", version="v1"),
    Product(id="11", type="PERSONAL_LOAN", name="MyFlexiPay", version="v2"),
)


@dataclass(frozen=True, slots=True)
class Catalog:
    """An immutable snapshot of the repository: readers never see a change half made."""

    products: tuple[Product, ...]
    by_id: Mapping[str, Product] = field(init=False)

    def __post_init__(self) -> None:
        by_id = {p.id: p for p in self.products}
        if len(by_id) != len(self.products):
            msg = "a catalog cannot hold two products with the same id"
            raise ValueError(msg)
        object.__setattr__(self, "by_id", MappingProxyType(by_id))


class ProductRepository:
    """In-memory products, safe to read and change from many threads at once.

    Every change builds a new `Catalog` under a lock and swaps it in with one assignment,
    so readers take no lock and always see a whole catalogue, before or after a change.
    """

    def __init__(self, products: Iterable[Product] = SEED_PRODUCTS) -> None:
        self._seed = tuple(products)
        self._lock = threading.Lock()
        self._catalog = Catalog(self._seed)

    @property
    def catalog(self) -> Catalog:
        """The current snapshot; compare snapshots with `is` to detect a change."""
        return self._catalog

    def all(self) -> tuple[Product, ...]:
        return self._catalog.products

    def get(self, product_id: str) -> Product | None:
        return self._catalog.by_id.get(product_id)

    def put(self, product: Product) -> None:
        """Add the product, or replace the one with the same id in place."""
        with self._lock:
            current = self._catalog.products
            if product.id in self._catalog.by_id:
                updated = tuple(product if p.id == product.id else p for p in current)
            else:
                updated = (*current, product)
            self._catalog = Catalog(updated)

    def remove(self, product_id: str) -> bool:
        """Remove the product; returns whether it was there."""
        with self._lock:
            if product_id not in self._catalog.by_id:
                return False
            self._catalog = Catalog(tuple(p for p in self._catalog.products if p.id != product_id))
            return True

    def replace_all(self, products: Iterable[Product]) -> None:
        with self._lock:
            self._catalog = Catalog(tuple(products))

    def reset(self) -> None:
        """Back to the products the repository was created with."""
        self.replace_all(self._seed)
