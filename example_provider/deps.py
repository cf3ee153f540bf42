"""The routes' dependencies: the database, and the relay to wake after a write.

A route is `async def` and makes one trip to a worker thread for its database work:
`await database.run(products.replace, product)` opens a `Session` in a worker thread, calls the
function with it, and closes it there; `await database.read(products.get_product, product_id)`
does the same with a pooled connection, all a read needs, which costs less than a session. The
blocking calls never run on the event loop, and a request pays for one thread hop rather than
one per sync dependency and route. On SQLite, reads and writes each run on at most
`db.SQLITE_THREADS` threads (db.py says why), apart: a read never waits behind writes that wait
for the write lock.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Annotated, Concatenate, ParamSpec, TypeVar

from anyio import CapacityLimiter, to_thread
from fastapi import Depends, Request
from sqlalchemy import Connection, Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from example_provider.db import SQLITE_THREADS, is_sqlite
from example_provider.relay import Relay

P = ParamSpec("P")
T = TypeVar("T")


class Database:
    """Runs database work in a session (or, for a read, a connection) of its own, in a worker thread."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        sqlite = is_sqlite(engine.url)  # else None: AnyIO's own thread pool
        self.writers = CapacityLimiter(SQLITE_THREADS) if sqlite else None
        self.readers = CapacityLimiter(SQLITE_THREADS) if sqlite else None

    async def run(self, work: Callable[Concatenate[Session, P], T], *args: P.args, **kwargs: P.kwargs) -> T:
        """`work(session, *args, **kwargs)` in a worker thread, with a session that is closed after it."""
        return await to_thread.run_sync(
            self._in_session, lambda session: work(session, *args, **kwargs), limiter=self.writers
        )

    async def read(self, query: Callable[Concatenate[Connection, P], T], *args: P.args, **kwargs: P.kwargs) -> T:
        """`query(connection, *args, **kwargs)` in a worker thread, on a pooled connection returned after it."""
        return await to_thread.run_sync(
            self._on_connection, lambda connection: query(connection, *args, **kwargs), limiter=self.readers
        )

    def _on_connection(self, query: Callable[[Connection], T]) -> T:
        with self.engine.connect() as connection:  # returned to the pool, its transaction rolled back
            return query(connection)

    def _in_session(self, work: Callable[[Session], T]) -> T:
        session = Session(self.engine)
        try:
            return work(session)
        finally:
            # A connection the database dropped mid-request cannot be rolled back, nor need be.
            with contextlib.suppress(DBAPIError):
                session.close()


async def get_database(request: Request) -> Database:
    database: Database = request.app.state.database
    return database


async def get_relay(request: Request) -> Relay:
    relay: Relay = request.app.state.relay
    return relay


DatabaseDep = Annotated[Database, Depends(get_database)]
RelayDep = Annotated[Relay, Depends(get_relay)]
