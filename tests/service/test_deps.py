"""The routes' database dependency: work in a worker thread, on a few threads at once."""

from __future__ import annotations

import threading
import time

import anyio
from sqlalchemy import URL
from sqlalchemy.orm import Session

from example_provider.db import database_threads, make_engine
from example_provider.deps import Database


def test_database_work_queues_for_threads_beyond_the_limit(database: URL) -> None:
    threads = database_threads(database)
    busy, most, lock = 0, 0, threading.Lock()

    def work(session: Session) -> None:
        nonlocal busy, most
        assert session.get_bind() is not None
        with lock:
            busy += 1
            most = max(most, busy)
        time.sleep(0.02)  # a slow query: the others arrive while it runs
        with lock:
            busy -= 1

    async def requests() -> None:
        db = Database(make_engine(database))
        async with anyio.create_task_group() as group:
            for _ in range(3 * threads):
                group.start_soon(db.run, work)
        db.engine.dispose()

    anyio.run(requests)
    assert most == threads
