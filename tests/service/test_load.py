"""Load: 20 concurrent clients read while provider states change underneath, on SQLite and PostgreSQL.

States change through the state-change endpoint, as a verifier changes them: setups and
teardowns in turn, a fixed number of them (a few seconds; longer on a loaded machine, where a
deadline would leave too few changes to prove anything). Every response must be a whole, valid
product or list, equal to one some sequence of states can produce (states compose), or a JSON
404: never an error, never a half-made state (each change is one transaction: readers see all
of it or none).

A half-made state shows up here only when a reader lands inside a change, which a run may or
may not hit; this test proves the whole server under concurrency, on each database.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
from sqlalchemy import URL
from sqlalchemy.orm import Session

from example_provider import products
from example_provider.app import create_app
from example_provider.http_json import JSON_UTF8
from example_provider.pipeline.server import serve_in_thread
from example_provider.products import SEED_PRODUCTS, Product
from example_provider.provider_states import set_up
from example_provider.verifier_endpoints import PROVIDER_STATES_PATH

CLIENTS = 20
STATE_CHANGES = 18  # each state's setup and a teardown, three times

#: (state, params) pairs the changer cycles through.
CHANGES: list[tuple[str, dict[str, Any]]] = [
    ("a product with ID 10 exists", {"id": "12"}),
    ("a product with ID 11 does not exist", {"id": "10"}),
    ("products exist", {}),
]
PATHS = ["/products", "/product/10", "/product/11", "/products/12"]


def reachable_catalogues(session: Session) -> list[list[dict[str, Any]]]:
    """Every catalogue some sequence of whole state changes produces from the seed (states compose).

    Each change is made by the real state functions in a transaction that is rolled back.
    """
    seen: set[tuple[Product, ...]] = set()
    todo = [SEED_PRODUCTS]
    while todo:
        catalogue = todo.pop()
        if catalogue in seen:
            continue
        seen.add(catalogue)
        for state, params in CHANGES:
            for product in products.all_products(session):
                products.remove(session, product.id)
            for product in catalogue:
                products.put(session, product)
            set_up(session, state, params)
            todo.append(tuple(products.all_products(session)))
            session.rollback()
    return [[p.model_dump() for p in catalogue] for catalogue in seen]


def expected_bodies(catalogues: list[list[dict[str, Any]]], path: str) -> list[Any]:
    """Every body a GET of `path` may answer with 200."""
    if path == "/products":
        return catalogues
    product_id = path.rsplit("/", 1)[1]
    return [p for catalogue in catalogues for p in catalogue if p["id"] == product_id]


@dataclass
class LoadRun:
    """What the threads share: the catalogues they may see, whether the changes are done, and what they saw."""

    base_url: str
    catalogues: list[list[dict[str, Any]]]
    changed: threading.Event = field(default_factory=threading.Event)
    problems: list[str] = field(default_factory=list)
    outcomes: Counter[str] = field(default_factory=Counter)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def rounds(self) -> Iterator[int]:
        """Round numbers until the state changes are done."""
        count = 0
        while not self.changed.is_set():
            yield count
            count += 1

    def record(self, outcome: str, problem: str = "") -> None:
        with self.lock:
            self.outcomes[outcome] += 1
            if problem:
                self.problems.append(problem)

    def guarded(self, work: Callable[[LoadRun], None]) -> Callable[[], None]:
        """`work` as a thread target whose exceptions count as problems."""

        def target() -> None:
            try:
                work(self)
            except Exception as error:  # noqa: BLE001 - reported by the test
                self.record("crash", f"{work.__name__}: {error!r}")

        return target


def read_products(run: LoadRun) -> None:
    with httpx.Client(base_url=run.base_url, timeout=10) as client:
        for number in run.rounds():
            path = PATHS[number % len(PATHS)]
            try:
                response = client.get(path)
                problem = check(run, path, response, response.json())
            except (httpx.HTTPError, ValueError) as error:
                run.record("error", f"GET {path}: {error!r}")
            else:
                run.record(str(response.status_code), problem)


def change_states_via_endpoint(run: LoadRun) -> None:
    try:
        with httpx.Client(base_url=run.base_url, timeout=10) as client:
            for number in range(STATE_CHANGES):
                state, params = CHANGES[number // 2 % len(CHANGES)]
                action = "teardown" if number % 2 else "setup"  # a teardown deletes every row and adds the seed
                change = {"state": state, "params": params, "action": action}
                response = client.post(PROVIDER_STATES_PATH, json=change)
                problem = "" if response.status_code == 200 else f"{state!r}: {response.status_code} {response.text}"
                run.record("state change", problem)
    finally:
        run.changed.set()


def check(run: LoadRun, path: str, response: httpx.Response, body: Any) -> str:
    """What is wrong with this response, or "" when it is one the states can produce."""
    if response.headers.get("content-type") != JSON_UTF8:
        return f"GET {path}: content type {response.headers.get('content-type')!r}"
    if response.status_code == 404 and path != "/products" and "detail" in body:
        return ""
    if response.status_code == 200 and body in expected_bodies(run.catalogues, path):
        return ""
    return f"GET {path}: {response.status_code} {body!r} is no state's answer"


def test_concurrent_reads_while_states_change(database: URL, session: Session) -> None:
    catalogues = reachable_catalogues(session)
    assert len(catalogues) > 2, "the states must make catalogues a reader can tell apart"
    with serve_in_thread(create_app(database, provider_states=True)) as base_url:
        run = LoadRun(base_url, catalogues)
        workers = [read_products] * CLIENTS + [change_states_via_endpoint]
        threads = [threading.Thread(target=run.guarded(work)) for work in workers]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        assert not any(thread.is_alive() for thread in threads), "a client hung"

    assert run.problems == [], f"{len(run.problems)} problems in {run.outcomes}; first: {run.problems[:5]}"
    assert run.outcomes["200"] > CLIENTS, run.outcomes
    assert run.outcomes["404"] > 0, run.outcomes
    assert run.outcomes["state change"] == STATE_CHANGES, run.outcomes
