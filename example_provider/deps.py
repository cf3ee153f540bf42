"""The routes' dependencies: the database, and the relay to wake after a write.

A route is `async def` and makes one trip to a worker thread for its database work:
`await database.run(products.replace, product)` opens a `Session` in a worker thread, calls the
function with it, and closes it there; `await database.read(products.get_product, product_id)`
does the same with a pooled connection, all a read needs, which costs less than a session. The
blocking calls never run on the event loop, and a request pays for one thread hop rather than
one per sync dependency and route. At most `db.database_threads(url)` threads do database work at
once: 4 on SQLite, 14 on PostgreSQL (db.py says why; benchmarks/README.md measures it).
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

from example_provider.db import database_threads
from example_provider.relay import Relay

P = ParamSpec("P")
T = TypeVar("T")


class Database:
    """Runs database work in a session (or, for a read, a connection) of its own, on a few threads at once."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.threads = CapacityLimiter(database_threads(engine.url))

    async def run(self, work: Callable[Concatenate[Session, P], T], *args: P.args, **kwargs: P.kwargs) -> T:
        """`work(session, *args, **kwargs)` in a worker thread, with a session that is closed after it."""
        return await to_thread.run_sync(self._in_session, lambda s: work(s, *args, **kwargs), limiter=self.threads)

    async def read(self, query: Callable[Concatenate[Connection, P], T], *args: P.args, **kwargs: P.kwargs) -> T:
        """`query(connection, *args, **kwargs)` in a worker thread, on a pooled connection returned after it."""
        return await to_thread.run_sync(self._on_connection, lambda c: query(c, *args, **kwargs), limiter=self.threads)

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
