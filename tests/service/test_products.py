"""The catalogue's reads and writes through a `Session`, on SQLite and on PostgreSQL."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
from sqlalchemy import URL, create_engine
from sqlalchemy.orm import Session

from example_provider import products
from example_provider.db import make_engine
from example_provider.events import EventKind, product_event
from example_provider.products import SEED_PRODUCTS, Product, ProductExistsError, ProductNotFoundError
from tests.postgres import Databases
from tests.service.rows import store_only, stored
from tests.service.stored_events import stored_events

PIZZA = Product(id="27", type="Pizza", name="Margharita", version="v1")
SEED = list(SEED_PRODUCTS)


def test_the_seeded_catalogue(session: Session) -> None:
    assert products.all_products(session) == SEED
    product = products.get_product(session, "10")
    assert product is not None
    assert (product.name, product.type) == ("28 Degrees", "CREDIT_CARD")
    assert products.get_product(session, "nope") is None


def test_products_are_listed_by_id(session: Session) -> None:
    store_only(session, [PIZZA, *reversed(SEED_PRODUCTS)])
    assert [p.id for p in products.all_products(session)] == ["09", "10", "11", "27"]


def test_create_adds_then_replace_replaces_and_each_commits_its_event(session: Session) -> None:
    products.create(session, PIZZA)
    assert stored(session) == [*SEED, PIZZA]
    renamed = PIZZA.model_copy(update={"name": "Marinara"})
    products.replace(session, renamed)
    assert stored(session) == [*SEED, renamed]
    assert [event.contents for event in stored_events(session)] == [
        product_event(PIZZA, EventKind.CREATED).contents,
        product_event(renamed, EventKind.UPDATED).contents,
    ]


def test_delete_returns_the_product_as_it_was_and_commits_its_event(session: Session) -> None:
    assert products.delete_product(session, "10") == SEED_PRODUCTS[1]
    assert products.get_product(session, "10") is None
    assert stored(session) == [SEED_PRODUCTS[0], SEED_PRODUCTS[2]]
    [event] = stored_events(session)
    assert event.contents == product_event(SEED_PRODUCTS[1], EventKind.DELETED).contents
    assert event.metadata == {"Content-Type": "application/json", "topic": "products", "eventId": event.event_id}


def test_refused_writes_keep_the_rows_store_no_event_and_leave_the_session_usable(session: Session) -> None:
    with pytest.raises(ProductExistsError, match="10"):
        products.create(session, SEED_PRODUCTS[1].model_copy(update={"name": "Taken"}))
    with pytest.raises(ProductNotFoundError, match="27"):
        products.replace(session, PIZZA)
    with pytest.raises(ProductNotFoundError, match="27"):
        products.delete_product(session, "27")
    assert stored(session) == SEED
    assert stored_events(session) == []
    products.create(session, PIZZA)
    assert stored(session) == [*SEED, PIZZA]


def test_state_helpers_change_rows_uncommitted_and_store_no_event(session: Session) -> None:
    renamed = SEED_PRODUCTS[1].model_copy(update={"name": "Renamed"})
    products.put(session, PIZZA)
    products.put(session, renamed)
    products.remove(session, "09")
    products.remove(session, "nope")
    assert products.all_products(session) == [renamed, SEED_PRODUCTS[2], PIZZA]
    assert stored(session) == SEED, "put and remove committed"
    products.put(session, PIZZA)
    session.commit()
    assert stored(session) == [*SEED, PIZZA]
    assert stored_events(session) == []


def test_restore_seed_cleans_then_seeds(session: Session) -> None:
    store_only(session, [PIZZA, SEED_PRODUCTS[1].model_copy(update={"name": "Renamed"})])
    products.restore_seed(session)
    session.commit()
    assert stored(session) == SEED
    assert stored_events(session) == []


def test_products_are_immutable() -> None:
    with pytest.raises(ValueError, match="frozen"):
        PIZZA.name = "changed"  # type: ignore[misc]


def _run_together(threads: int, work: Callable[[int], None]) -> None:
    """`work(n)` for each n in its own thread, all released at once; re-raises the first failure."""
    start, failures = threading.Barrier(threads), []

    def run(number: int) -> None:
        try:
            start.wait()
            work(number)
        except Exception as error:  # noqa: BLE001 - handed back to the test
            failures.append(error)

    running = [threading.Thread(target=run, args=(n,)) for n in range(threads)]
    for thread in running:
        thread.start()
    for thread in running:
        thread.join()
    if failures:
        raise failures[0]


def test_concurrent_writers_lose_no_change(database: URL, session: Session) -> None:
    """Four writers each create, replace and delete their own products, and replace one shared product."""
    engine, per_thread = make_engine(database), 25

    def writes(number: int) -> None:
        with Session(engine) as own:
            for i in range(per_thread):
                product = Product(id=f"{number}-{i:02}", type="T", name="n", version="v1")
                products.create(own, product)
                products.replace(own, product.model_copy(update={"version": "v2"}))
                if i % 2:
                    products.delete_product(own, product.id)
                products.replace(own, SEED_PRODUCTS[1].model_copy(update={"name": f"{number}-{i:02}"}))

    try:
        _run_together(4, writes)
    finally:
        engine.dispose()

    kept = [p for p in stored(session) if p.type == "T"]
    assert [p.id for p in kept] == sorted(f"{n}-{i:02}" for n in range(4) for i in range(0, per_thread, 2))
    assert {p.version for p in kept} == {"v2"}
    events = stored_events(session)
    assert len(events) == 4 * (per_thread * 3 + per_thread // 2)
    replayed = {p.id: p.model_dump() for p in SEED_PRODUCTS}  # the outbox, replayed in order, is the table
    for event in events:
        fields = {name: value for name, value in event.contents.items() if name != "event"}
        if event.contents["event"] == "DELETED":
            del replayed[event.product_id]
        else:
            replayed[event.product_id] = fields
    assert sorted(replayed.values(), key=lambda p: p["id"]) == [p.model_dump() for p in stored(session)]


def test_racing_creates_of_one_id_on_postgresql_one_wins_the_rest_are_told_it_exists(postgres: Databases) -> None:
    """Twenty sessions at once, each on its own connection: the unique key decides, not the order of arrival."""
    racers, database = 20, postgres.new()
    engine = create_engine(database, pool_size=racers)
    outcomes: list[str] = []

    def create(number: int) -> None:
        with Session(engine) as own:
            try:
                products.create(own, PIZZA.model_copy(update={"name": f"racer {number}"}))
                outcomes.append("created")
            except ProductExistsError:
                outcomes.append("exists")

    try:
        _run_together(racers, create)
        with Session(engine) as session:
            [winner] = [p for p in stored(session) if p.id == "27"]
            events = stored_events(session)
    finally:
        engine.dispose()
    assert sorted(outcomes) == ["created"] + ["exists"] * (racers - 1)
    assert [event.contents for event in events] == [product_event(winner, EventKind.CREATED).contents]
