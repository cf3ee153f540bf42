from __future__ import annotations

import functools
import threading
from collections.abc import Callable

import pytest

from example_provider.products import (
    SEED_PRODUCTS,
    Catalog,
    Product,
    ProductRepository,
    with_product,
    without_product,
)

PIZZA = Product(id="27", type="Pizza", name="Margharita", version="v1")


def test_seeded_catalogue() -> None:
    repository = ProductRepository()
    assert repository.all() == SEED_PRODUCTS
    product = repository.get("10")
    assert product is not None
    assert (product.name, product.type) == ("28 Degrees", "CREDIT_CARD")
    assert repository.get("nope") is None


def test_create_adds_then_replace_replaces_in_place() -> None:
    repository = ProductRepository()
    repository.create(PIZZA)
    assert repository.all()[-1] == PIZZA
    renamed = PIZZA.model_copy(update={"name": "Marinara"})
    repository.replace(renamed)
    assert [p.id for p in repository.all()] == [*(p.id for p in SEED_PRODUCTS), "27"]
    assert repository.get("27") == renamed


def test_delete_and_reset() -> None:
    repository = ProductRepository()
    assert repository.delete("10") == SEED_PRODUCTS[1]
    assert repository.get("10") is None
    repository.reset()
    assert repository.all() == SEED_PRODUCTS


def test_update_to_empty_and_back() -> None:
    repository = ProductRepository()
    repository.update(lambda _: [])
    assert repository.all() == ()
    repository.update(lambda _: [PIZZA])
    assert repository.all() == (PIZZA,)


def test_catalog_rejects_duplicate_ids() -> None:
    with pytest.raises(ValueError, match="same id"):
        Catalog((PIZZA, PIZZA))


def test_products_are_immutable() -> None:
    with pytest.raises(ValueError, match="frozen"):
        PIZZA.name = "changed"  # type: ignore[misc]


def test_every_change_is_a_new_snapshot() -> None:
    repository = ProductRepository()
    before = repository.catalog
    repository.create(PIZZA)
    assert repository.catalog is not before
    assert before.products == SEED_PRODUCTS  # the old snapshot is untouched


def test_with_and_without_product_add_replace_and_remove_by_id() -> None:
    renamed = SEED_PRODUCTS[1].model_copy(update={"name": "Renamed"})
    assert with_product(SEED_PRODUCTS, PIZZA) == (*SEED_PRODUCTS, PIZZA)
    assert with_product(SEED_PRODUCTS, renamed) == (SEED_PRODUCTS[0], renamed, SEED_PRODUCTS[2])
    assert without_product(SEED_PRODUCTS, "10") == (SEED_PRODUCTS[0], SEED_PRODUCTS[2])
    assert without_product(SEED_PRODUCTS, "nope") == SEED_PRODUCTS
    assert ProductRepository([PIZZA]).seed == (PIZZA,)


def test_update_applies_a_change_to_the_current_products_in_one_swap() -> None:
    repository = ProductRepository()
    repository.delete("09")
    before = repository.catalog
    repository.update(lambda products: with_product(products, PIZZA))
    assert repository.all() == (*without_product(SEED_PRODUCTS, "09"), PIZZA), "applied to the current products"
    assert before.products == without_product(SEED_PRODUCTS, "09")


def test_update_that_raises_changes_nothing() -> None:
    repository = ProductRepository()
    before = repository.catalog

    def broken(_: tuple[Product, ...]) -> tuple[Product, ...]:
        msg = "half way"
        raise RuntimeError(msg)

    with pytest.raises(RuntimeError, match="half way"):
        repository.update(broken)
    assert repository.catalog is before


def _create(repository: ProductRepository, product: Product) -> None:
    repository.create(product)


def _update(repository: ProductRepository, product: Product) -> None:
    repository.update(functools.partial(with_product, product=product))


@pytest.mark.parametrize("write", [_create, _update], ids=["create", "update"])
def test_concurrent_writers_lose_no_change(write: Callable[[ProductRepository, Product], None]) -> None:
    repository = ProductRepository([])
    per_thread = 200

    def writes(prefix: str) -> None:
        for i in range(per_thread):
            write(repository, Product(id=f"{prefix}-{i}", type="T", name="n", version="v1"))

    threads = [threading.Thread(target=writes, args=(str(n),)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(repository.all()) == 4 * per_thread
