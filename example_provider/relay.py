"""The relay: publishes the outbox's committed events, oldest first, and marks each one sent.

One relay is active per database at a time: the one holding the lock (PostgreSQL: a session
advisory lock; SQLite: a lock file beside the database). The lock goes with its connection or
process, so when the active relay stops or dies another takes over within `POLL_SECONDS`.
Publishing oldest first from one relay keeps each product's events in the order their writes
committed (`products.py`); several relays claiming rows at once could not promise that.

A relay that dies between publishing an event and marking it publishes it again, with the same
event id: delivery is at least once. A failing publisher is retried with a bounded backoff, with
one log line per kind of failure, and never holds up a request: the relay runs on its own thread.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import json
import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from sqlalchemy import Connection, Engine, func, select, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from example_provider.events import ProductEvent, Publisher
from example_provider.models import OutboxRow

logger = logging.getLogger(__name__)

LOCK_KEY = 4_142_007  # the PostgreSQL advisory lock of the active relay
BATCH = 100
POLL_SECONDS = 1.0  # how often a relay looks for events committed by other processes, or for the lock
MAX_BACKOFF_SECONDS = 5.0


class Relay:
    """Runs the relay on a thread of its own: `start()`, `wake()` after a commit, `stop()`."""

    def __init__(self, engine: Engine, publisher: Publisher, *, poll_seconds: float = POLL_SECONDS) -> None:
        self.engine, self.publisher, self.poll_seconds = engine, publisher, poll_seconds
        self._wake, self._stop = threading.Event(), threading.Event()
        self._thread = threading.Thread(target=self.run, name="outbox-relay", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def wake(self) -> None:
        """Publish now: an event was just committed."""
        self._wake.set()

    def stop(self, timeout: float = 10) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread.is_alive():
            self._thread.join(timeout)

    def run(self) -> None:
        """Publish until stopped: while active, as soon as woken, and every `poll_seconds`."""
        backoff, problem = 0.0, ""
        while not self._stop.is_set():
            try:
                with active_relay(self.engine) as connection:
                    if connection is None:  # another relay is active
                        self._stop.wait(self.poll_seconds)
                        continue
                    while not self._stop.is_set():
                        self._wake.clear()
                        publish_pending(connection, self.publisher)
                        if problem:
                            logger.info("product events are published again")
                        backoff, problem = 0.0, ""
                        self._wake.wait(self.poll_seconds)
            except Exception as error:  # noqa: BLE001 - whatever fails, the relay retries
                kind = str(error).splitlines()[0] if str(error) else type(error).__name__
                if kind != problem:
                    logger.warning("product events are not being published: %s; retrying", kind)
                backoff, problem = min(max(backoff * 2, 0.1), MAX_BACKOFF_SECONDS), kind
                self._stop.wait(backoff)


@contextmanager
def active_relay(engine: Engine) -> Iterator[Connection | None]:
    """A connection holding the active relay's lock, or None while another relay holds it."""
    with engine.connect() as connection:
        if engine.url.get_backend_name() == "sqlite":
            with open(f"{engine.url.database}.relay-lock", "a") as lock_file:  # noqa: PTH123
                try:
                    fcntl.flock(lock_file, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    yield None
                    return
                yield connection  # closing the file releases the lock
            return
        if not connection.scalar(select(func.pg_try_advisory_lock(LOCK_KEY))):
            connection.rollback()
            yield None
            return
        connection.commit()
        try:
            yield connection
        finally:
            try:
                connection.rollback()
                connection.scalar(select(func.pg_advisory_unlock(LOCK_KEY)))
                connection.commit()
            except DBAPIError:
                connection.invalidate()  # a connection the database dropped took the lock with it


def publish_pending(connection: Connection, publisher: Publisher) -> None:
    """Publish every unsent event, oldest first, marking each one sent as soon as the publisher took it."""
    metadata = OutboxRow.event_metadata.label("event_metadata")
    columns = (OutboxRow.id, OutboxRow.event_id, OutboxRow.product_id, OutboxRow.body, metadata)
    while True:
        rows = connection.execute(
            select(*columns).where(OutboxRow.sent_at.is_(None)).order_by(OutboxRow.id).limit(BATCH)
        ).all()
        connection.commit()
        for row in rows:
            event = ProductEvent(row.event_id, row.product_id, json.loads(row.body), json.loads(row.event_metadata))
            publisher.publish(event)
            connection.execute(update(OutboxRow).where(OutboxRow.id == row.id).values(sent_at=now()))
            connection.commit()
        if len(rows) < BATCH:
            return


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass(frozen=True)
class Backlog:
    unsent: int
    oldest_unsent_seconds: float | None


def backlog(session: Session) -> Backlog:
    """How many events wait to be published, and how long the oldest has waited."""
    count, oldest = session.execute(
        select(func.count(), func.min(OutboxRow.created_at)).where(OutboxRow.sent_at.is_(None))
    ).one()
    if oldest is None:
        return Backlog(count, None)
    if oldest.tzinfo is None:  # SQLite keeps no time zone: it was written as UTC
        oldest = oldest.replace(tzinfo=dt.UTC)
    return Backlog(count, round((now() - oldest).total_seconds(), 3))
