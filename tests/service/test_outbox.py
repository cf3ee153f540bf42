"""The outbox and its relay: every committed change's event is published, in order, at least once; none invented.

The app runs with a recording publisher, on SQLite and PostgreSQL. What only several processes
can show (two servers, kill -9, SNS down) is in test_sns.py and test_database.py.
"""

from __future__ import annotations

import logging
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import URL, select
from sqlalchemy.orm import Session

from example_provider.app import create_app
from example_provider.db import make_engine
from example_provider.events import ProductEvent, PublishError
from example_provider.models import OutboxRow
from example_provider.relay import Relay, active_relay, publish_pending
from tests.service.recording import RecordingPublisher, wait_until

LOCAL = "http://127.0.0.1:8000"
PIZZA = {"id": "27", "type": "Pizza", "name": "Margharita", "version": "v1"}


def _kinds(events: list[ProductEvent]) -> list[tuple[str, str]]:
    return [(event.product_id, event.contents["event"]) for event in events]


def test_each_committed_write_is_published_once_in_order(client: TestClient, published: RecordingPublisher) -> None:
    assert client.post("/products", json=PIZZA).status_code == 201
    assert client.post("/products", json=PIZZA).status_code == 409
    assert client.put("/products/27", json={**PIZZA, "version": "v2"}).status_code == 200
    assert client.put("/products/99", json={**PIZZA, "id": "99"}).status_code == 404
    assert client.delete("/products/27").status_code == 204
    wait_until(lambda: client.get("/outbox").json()["unsent"] == 0)  # marked sent just after publishing
    events = published.events
    assert _kinds(events) == [("27", "CREATED"), ("27", "UPDATED"), ("27", "DELETED")]
    assert len({event.event_id for event in events}) == 3
    assert [event.contents["version"] for event in events] == ["v1", "v2", "v2"]
    assert client.get("/outbox").json() == {"unsent": 0, "oldest_unsent_seconds": None}


def test_a_failing_publisher_holds_up_no_write_and_gets_every_event_once_it_recovers(
    client: TestClient, published: RecordingPublisher, caplog: pytest.LogCaptureFixture
) -> None:
    published.failing = "SNS could not take the product event (EndpointConnectionError)"
    with caplog.at_level(logging.INFO, logger="example_provider.relay"):
        statuses = [client.post("/products", json={**PIZZA, "id": f"p{i}"}).status_code for i in range(5)]
        assert statuses == [201] * 5
        while published.calls < 3:  # retried, with backoff
            time.sleep(0.05)
        backlog = client.get("/outbox").json()
        assert backlog["unsent"] == 5
        assert backlog["oldest_unsent_seconds"] > 0
        published.failing = ""
        events = published.wait_for(5)
        wait_until(lambda: "product events are published again" in caplog.text)  # logged after marking sent
    assert _kinds(events) == [(f"p{i}", "CREATED") for i in range(5)]
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    failure = "SNS could not take the product event (EndpointConnectionError)"
    assert warnings == [f"product events are not being published: {failure}; retrying"], "one line per kind of failure"
    assert "product events are published again" in caplog.text


def test_a_hung_publisher_holds_up_no_write(database: URL) -> None:
    """The publisher never returns while the writes are made: had they waited for it, they would not answer."""
    released = threading.Event()

    class Hung(RecordingPublisher):
        def publish(self, event: ProductEvent) -> None:
            self.calls += 1
            released.wait(30)
            self.events.append(event)

    publisher = Hung()
    with TestClient(create_app(database, publisher=publisher), base_url=LOCAL) as client:
        assert client.post("/products", json=PIZZA).status_code == 201
        while publisher.calls == 0:  # the relay is now stuck in the publisher
            time.sleep(0.01)
        assert [client.post("/products", json={**PIZZA, "id": f"p{i}"}).status_code for i in range(5)] == [201] * 5
        assert client.get("/outbox").json()["unsent"] == 6
        assert publisher.events == []
        released.set()
        assert len(publisher.wait_for(6)) == 6


def test_a_relay_that_stops_between_publishing_and_marking_publishes_again_with_the_same_id(database: URL) -> None:
    """At least once: the publisher took the event, then the relay failed before marking it sent."""

    class TakesThenFails(RecordingPublisher):
        def publish(self, event: ProductEvent) -> None:
            self.events.append(event)
            if len(self.events) == 1:
                msg = "the relay stopped here"
                raise PublishError(msg)

    publisher = TakesThenFails()
    with TestClient(create_app(database, publisher=publisher, relay=False), base_url=LOCAL) as client:
        assert client.post("/products", json=PIZZA).status_code == 201
        engine = client.app.state.engine  # type: ignore[attr-defined]
        with active_relay(engine) as connection:
            assert connection is not None
            with pytest.raises(PublishError):
                publish_pending(connection, publisher)
        with active_relay(engine) as connection:
            assert connection is not None
            publish_pending(connection, publisher)
        assert client.get("/outbox").json()["unsent"] == 0
    first, again = publisher.events
    assert first == again, "the same event, with the same id"


def test_only_one_relay_is_active_for_a_database(database: URL) -> None:
    engine = make_engine(database)
    try:
        with active_relay(engine) as first:
            assert first is not None
            with active_relay(engine) as second:
                assert second is None
        with active_relay(engine) as after:
            assert after is not None, "the lock is released with the relay"
    finally:
        engine.dispose()


def test_the_relay_stops_with_the_app(database: URL, published: RecordingPublisher) -> None:
    with TestClient(create_app(database, publisher=published), base_url=LOCAL) as client:
        relay: Relay = client.app.state.relay  # type: ignore[attr-defined]
        assert relay._thread.is_alive()
    assert not relay._thread.is_alive()


KILLED_BEFORE_COMMIT = """
import os, signal, sys
from sqlalchemy.orm import Session
from example_provider.db import database_url, make_engine
from example_provider.products import Product, create

class DiesAtCommit(Session):
    def commit(self):
        self.flush()  # the product's row and its event are written, not committed
        os.kill(os.getpid(), signal.SIGKILL)

with DiesAtCommit(make_engine(database_url(sys.argv[1]))) as session:
    create(session, Product(id="27", type="Pizza", name="Margharita", version="v1"))
"""


def test_a_write_killed_before_its_commit_leaves_no_product_and_no_event(
    database: URL, published: RecordingPublisher
) -> None:
    """Nothing invented: the change and its event are one transaction, so kill -9 before COMMIT loses both."""
    url = database.render_as_string(hide_password=False)
    done = subprocess.run(
        [sys.executable, "-c", KILLED_BEFORE_COMMIT, url], capture_output=True, check=False, timeout=60
    )
    assert done.returncode == -signal.SIGKILL, done.stderr
    with TestClient(create_app(database, publisher=published), base_url=LOCAL) as client:
        assert client.get("/products/27").status_code == 404
        assert client.get("/outbox").json()["unsent"] == 0
    assert published.events == []
    engine = make_engine(database)
    with Session(engine) as session:
        assert session.scalars(select(OutboxRow)).all() == []
    engine.dispose()


def _writes(client: TestClient, product_id: str) -> Callable[[], None]:
    def write() -> None:
        assert client.post("/products", json={**PIZZA, "id": product_id}).status_code == 201
        for version in range(2, 7):
            body = {**PIZZA, "id": product_id, "version": f"v{version}"}
            assert client.put(f"/products/{product_id}", json=body).status_code == 200

    return write


def test_concurrent_writers_events_are_in_write_order_per_product(
    client: TestClient, published: RecordingPublisher
) -> None:
    threads = [threading.Thread(target=_writes(client, f"p{i}")) for i in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    events = published.wait_for(30)
    assert len(events) == 30
    for i in range(5):
        versions = [e.contents["version"] for e in events if e.product_id == f"p{i}"]
        assert versions == [f"v{v}" for v in range(1, 7)]
