"""The routes' database dependency: on SQLite, reads and writes each on a few threads, apart."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Coroutine
from typing import Any

import anyio
import pytest
from sqlalchemy import URL

from example_provider.db import SQLITE_THREADS, is_sqlite, make_engine
from example_provider.deps import Database

Call = Callable[[Database, Callable[[Any], None]], Coroutine[Any, Any, None]]
CALLS: dict[str, Call] = {"writes": lambda db, work: db.run(work), "reads": lambda db, work: db.read(work)}


class Held:
    """Database work that holds its thread until released, counting how many are held at once."""

    def __init__(self) -> None:
        self.inside, self.lock, self.released = 0, threading.Lock(), threading.Event()

    def __call__(self, _: object) -> None:
        with self.lock:
            self.inside += 1
        self.released.wait(10)

    async def settled(self) -> int:
        """How many are held once no more have come in for 0.2 s (threads start in milliseconds)."""
        seen, since = -1, time.monotonic()
        while time.monotonic() - since < 0.2:
            if self.inside != seen:
                seen, since = self.inside, time.monotonic()
            await anyio.sleep(0.01)
        return seen


@pytest.mark.parametrize("kind", CALLS)
def test_sqlite_runs_reads_and_writes_each_on_a_few_threads(database: URL, kind: str) -> None:
    """On PostgreSQL they run on AnyIO's pool: no limit of SQLite's holds back work that waits on the network."""
    held, requests = Held(), 3 * SQLITE_THREADS

    async def send() -> int:
        db = Database(make_engine(database))
        async with anyio.create_task_group() as group:
            for _ in range(requests):
                group.start_soon(CALLS[kind], db, held)
            at_once = await held.settled()
            held.released.set()
        db.engine.dispose()
        return at_once

    assert anyio.run(send) == (SQLITE_THREADS if is_sqlite(database) else requests)


def test_on_sqlite_a_read_never_waits_behind_writes(sqlite_database: URL) -> None:
    writes = Held()  # writes waiting for the write lock, as many as may run

    async def read_while_writes_wait() -> None:
        db = Database(make_engine(sqlite_database))
        async with anyio.create_task_group() as group:
            for _ in range(SQLITE_THREADS):
                group.start_soon(db.run, writes)
            assert await writes.settled() == SQLITE_THREADS
            with anyio.fail_after(5):
                assert await db.read(lambda connection: connection.exec_driver_sql("SELECT 1").scalar()) == 1
            writes.released.set()
        db.engine.dispose()

    anyio.run(read_while_writes_wait)
