"""Load: 20 concurrent clients for a few seconds while provider states change underneath.

States change two ways at once, as they do in practice: through the state-change endpoint
(what external verifiers call) and directly on the repository from another thread (what an
in-process verifier's handlers do). Every response must be a whole, valid product or list,
equal to one some sequence of states can produce (states compose), or a JSON 404: never an error, never a mix of two
catalogues.

A state change made of two swaps shows up here only when a reader lands between them, which
a few seconds of load may or may not hit (it did in CI once). That each change is a single
swap is proven deterministically by tests/service/test_provider_states.py; this test proves the
whole server under concurrency.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from example_provider.app import create_app
from example_provider.http_json import JSON_UTF8
from example_provider.pipeline.server import serve_in_thread
from example_provider.products import SEED_PRODUCTS, Product, ProductRepository
from example_provider.provider_states import ProviderStates
from example_provider.verifier_endpoints import PROVIDER_STATES_PATH

CLIENTS = 20
SECONDS = 3.0

#: (state, params) pairs the changers cycle through.
CHANGES: list[tuple[str, dict[str, Any]]] = [
    ("a product with ID 10 exists", {"id": "12"}),
    ("a product with ID 11 does not exist", {"id": "10"}),
    ("products exist", {}),
]


def reachable_catalogues() -> list[list[dict[str, Any]]]:
    """Every catalogue some sequence of whole state changes produces from the seed (states compose)."""
    seen: set[tuple[Product, ...]] = set()
    todo = [SEED_PRODUCTS]
    while todo:
        catalogue = todo.pop()
        if catalogue not in seen:
            seen.add(catalogue)
            for state, params in CHANGES:
                scratch = ProductRepository()  # seeded as the served one: "products exist" puts the seed back
                scratch.update(lambda _: catalogue)  # noqa: B023 - called at once, in this iteration
                ProviderStates(scratch).handle(state, "setup", params)
                todo.append(scratch.all())
    return [[p.model_dump() for p in catalogue] for catalogue in seen]


CATALOGUES = reachable_catalogues()
PATHS = ["/products", "/product/10", "/product/11", "/products/12"]


def expected_bodies(path: str) -> list[Any]:
    """Every body a GET of `path` may answer with 200."""
    if path == "/products":
        return CATALOGUES
    product_id = path.rsplit("/", 1)[1]
    return [p for catalogue in CATALOGUES for p in catalogue if p["id"] == product_id]


@dataclass
class LoadRun:
    """What the threads share: the deadline, and what they saw."""

    base_url: str
    deadline: float
    problems: list[str] = field(default_factory=list)
    outcomes: Counter[str] = field(default_factory=Counter)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def rounds(self) -> Iterator[int]:
        count = 0
        while time.monotonic() < self.deadline:
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
                problem = check(path, response, response.json())
            except (httpx.HTTPError, ValueError) as error:
                run.record("error", f"GET {path}: {error!r}")
            else:
                run.record(str(response.status_code), problem)


def change_states_via_endpoint(run: LoadRun) -> None:
    with httpx.Client(base_url=run.base_url, timeout=10) as client:
        for number in run.rounds():
            state, params = CHANGES[number % len(CHANGES)]
            action = "teardown" if number % 4 == 3 else "setup"
            response = client.post(PROVIDER_STATES_PATH, json={"state": state, "params": params, "action": action})
            problem = "" if response.status_code == 200 else f"{state!r}: {response.status_code} {response.text}"
            run.record("state change", problem)


def change_states_directly(states: ProviderStates) -> Callable[[LoadRun], None]:
    def change_states_directly(run: LoadRun) -> None:
        for number in run.rounds():
            state, params = CHANGES[(number + 1) % len(CHANGES)]
            states.handle(state, "setup", params)

    return change_states_directly


def check(path: str, response: httpx.Response, body: Any) -> str:
    """What is wrong with this response, or "" when it is one the states can produce."""
    if response.headers.get("content-type") != JSON_UTF8:
        return f"GET {path}: content type {response.headers.get('content-type')!r}"
    if response.status_code == 404 and path != "/products" and "detail" in body:
        return ""
    if response.status_code == 200 and body in expected_bodies(path):
        return ""
    return f"GET {path}: {response.status_code} {body!r} is no state's answer"


def test_concurrent_reads_while_states_change(monkeypatch: pytest.MonkeyPatch) -> None:
    repository = ProductRepository()
    monkeypatch.setattr("example_provider.provider_states.logger.disabled", True)  # thousands of state lines
    with serve_in_thread(create_app(repository, provider_states=True)) as base_url:
        run = LoadRun(base_url, deadline=time.monotonic() + SECONDS)
        workers = [read_products] * CLIENTS + [
            change_states_via_endpoint,
            change_states_directly(ProviderStates(repository)),
        ]
        threads = [threading.Thread(target=run.guarded(work)) for work in workers]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=SECONDS + 30)
        assert not any(thread.is_alive() for thread in threads), "a client hung"

    assert run.problems == [], f"{len(run.problems)} problems in {run.outcomes}; first: {run.problems[:5]}"
    assert run.outcomes["200"] > CLIENTS, run.outcomes
    assert run.outcomes["404"] > 0, run.outcomes
    assert run.outcomes["state change"] > 0, run.outcomes
