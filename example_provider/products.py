"""The product domain: the `Product` model and a thread-safe in-memory `ProductRepository`."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from pydantic import BaseModel, ConfigDict

from example_provider.fields import ProductId, Text


class Product(BaseModel):
    """A product of the catalogue, as the API serves it."""

    model_config = ConfigDict(frozen=True)

    id: ProductId
    type: Text
    name: Text
    version: Text


class ProductExistsError(LookupError):
    """A product with this id is already in the catalogue."""


class ProductNotFoundError(LookupError):
    """No product with this id is in the catalogue."""


#: Told of a change under the write lock, before anyone can see it; raising cancels the change.
Announce = Callable[[Product], None]


def _silently(_: Product) -> None:
    """The announcement of a change nobody is told about."""


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
    The API's writes (`create`, `replace`, `delete`) also announce each change (publish its
    event) under the lock, before the swap: a change whose announcement fails is not made.
    """

    def __init__(self, products: Iterable[Product] = SEED_PRODUCTS) -> None:
        self._seed = tuple(products)
        self._lock = threading.Lock()
        self._catalog = Catalog(self._seed)

    @property
    def catalog(self) -> Catalog:
        """The current snapshot; compare snapshots with `is` to detect a change."""
        return self._catalog

    @property
    def seed(self) -> tuple[Product, ...]:
        """The products the repository was created with, and that `reset` restores."""
        return self._seed

    def all(self) -> tuple[Product, ...]:
        return self._catalog.products

    def get(self, product_id: str) -> Product | None:
        return self._catalog.by_id.get(product_id)

    def update(self, change: Callable[[tuple[Product, ...]], Iterable[Product]]) -> None:
        """Swap in `change(current products)` in one step, under the lock.

        The way to change the catalogue relative to what it holds (a provider state that adds
        a product on top of the states before it): no other change lands between the read
        and the swap. When `change` raises, nothing changes.
        """
        with self._lock:
            self._swap(tuple(change(self._catalog.products)))

    def create(self, product: Product, announce: Announce = _silently) -> None:
        """Add a new product; `ProductExistsError` if its id is taken."""
        with self._lock:
            if product.id in self._catalog.by_id:
                raise ProductExistsError(product.id)
            self._commit(with_product(self._catalog.products, product), announce, product)

    def replace(self, product: Product, announce: Announce = _silently) -> None:
        """Replace the product with the same id in place; `ProductNotFoundError` if there is none."""
        with self._lock:
            if product.id not in self._catalog.by_id:
                raise ProductNotFoundError(product.id)
            self._commit(with_product(self._catalog.products, product), announce, product)

    def delete(self, product_id: str, announce: Announce = _silently) -> Product:
        """Remove the product and return it; `ProductNotFoundError` if there is none."""
        with self._lock:
            product = self._catalog.by_id.get(product_id)
            if product is None:
                raise ProductNotFoundError(product_id)
            self._commit(without_product(self._catalog.products, product_id), announce, product)
            return product

    def reset(self) -> None:
        """Back to the products the repository was created with."""
        self.update(lambda _: self._seed)

    def _commit(self, products: tuple[Product, ...], announce: Announce, product: Product) -> None:
        """Announce the change, then make it: if the announcement fails, nothing changed.

        Under the lock, so changes are announced in the order they are made.
        """
        catalog = Catalog(products)  # built first: a catalogue that cannot be made is never announced
        announce(product)
        self._catalog = catalog

    def _swap(self, products: tuple[Product, ...]) -> None:
        """Swap in a new snapshot, unannounced (provider states, reset); callers hold the lock."""
        self._catalog = Catalog(products)


def with_product(products: tuple[Product, ...], product: Product) -> tuple[Product, ...]:
    """`products` with `product` added at the end, or replacing the one with its id in place."""
    if any(p.id == product.id for p in products):
        return tuple(product if p.id == product.id else p for p in products)
    return (*products, product)


def without_product(products: tuple[Product, ...], product_id: str) -> tuple[Product, ...]:
    """`products` without the one with `product_id`, if it is there."""
    return tuple(p for p in products if p.id != product_id)
