"""The database: an engine for a SQLAlchemy URL, and the schema's migrations (Alembic).

SQLite (a file, the default) serves one process; PostgreSQL any number of processes and hosts.
On SQLite the server migrates its own file at start; on PostgreSQL `example-provider migrate`
does, and a server refuses a schema that is behind.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import URL, Connection, Engine, create_engine, event, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError
from sqlalchemy.orm import Session

if TYPE_CHECKING:
    from alembic.config import Config

from example_provider.products import restore_seed

DEFAULT_DATABASE_FILE = "example-provider.db"  # in the working folder
# On SQLite, reads and writes each run on at most 4 threads (deps.Database): its work is CPU in this
# process, and with more threads it contended with the event loop for the GIL, so that under load the
# slowest requests waited twice as long (benchmarks/README.md). PostgreSQL's work mostly waits on the
# network: it runs on AnyIO's 40 threads, and a request the pool has no connection for waits up to
# 30 s for one, then answers 503.
SQLITE_THREADS = 4

logger = logging.getLogger(__name__)
logging.getLogger("alembic").setLevel(logging.WARNING)  # it says which dialect at every start; we say what changed


class DatabaseError(RuntimeError):
    """The database cannot be used as it is; the message is one line, without the password."""


def database_url(value: str | None) -> URL:
    """`value` (a SQLAlchemy URL) parsed, or the default SQLite file; `postgresql://` means psycopg 3."""
    if value is None:
        return URL.create("sqlite", database=str(Path.cwd() / DEFAULT_DATABASE_FILE))
    try:
        url = make_url(value)
    except (ArgumentError, ValueError):
        msg = "cannot be parsed: use sqlite:///<file> or postgresql+psycopg://<user>:<password>@<host>/<database>"
        raise ValueError(msg) from None
    if url.drivername in {"postgres", "postgresql"}:
        url = url.set(drivername="postgresql+psycopg")
    if url.get_backend_name() not in {"sqlite", "postgresql"}:
        msg = f"{url.get_backend_name()!r} is not supported: use sqlite:///<file> or postgresql+psycopg://..."
        raise ValueError(msg)
    if url.get_backend_name() == "sqlite" and url.database in {None, "", ":memory:"}:
        msg = "an in-memory SQLite database lives in one connection: name a file, sqlite:///<file>"
        raise ValueError(msg)
    return url


def is_sqlite(url: URL) -> bool:
    return url.get_backend_name() == "sqlite"


def shown(url: URL) -> str:
    """The URL as it may be logged: the password masked."""
    return url.render_as_string(hide_password=True)


def make_engine(url: URL) -> Engine:
    if is_sqlite(url):
        # A writer waits up to 30 s for another to finish rather than fail at once. A pooled connection
        # for each thread that reads or writes, and one the relay keeps: no request waits for one.
        engine = create_engine(url, connect_args={"timeout": 30}, pool_size=2 * SQLITE_THREADS + 1, max_overflow=0)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    # pre_ping: a connection the server dropped (a restart) is replaced, not handed to a request;
    # a server that does not answer fails a connection in 5 s, not the system's minutes.
    return create_engine(url, pool_pre_ping=True, connect_args={"connect_timeout": 5})


def _sqlite_pragmas(dbapi_connection: Any, _: object) -> None:  # noqa: ANN401 - the DBAPI connection
    """WAL: readers never wait for the writer, nor the writer for readers."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _alembic_config(connection: Connection | None = None) -> Config:
    # Alembic is imported when it is used: every server process and test imports this module.
    from alembic.config import Config  # noqa: PLC0415

    config = Config()
    config.set_main_option("script_location", "example_provider:migrations")
    config.attributes["connection"] = connection
    return config


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest revision; a new database also gets the seed products."""
    from alembic import command  # noqa: PLC0415
    from alembic.runtime.migration import MigrationContext  # noqa: PLC0415

    with _reporting(engine), engine.begin() as connection:
        before = MigrationContext.configure(connection).get_current_revision()
        command.upgrade(_alembic_config(connection), "head")
        after = MigrationContext.configure(connection).get_current_revision()
        if before is None:
            with Session(bind=connection) as session:
                restore_seed(session)
        if after != before:
            logger.info("migrated %s from %s to %s", shown(engine.url), before or "an empty database", after)


def check_schema(engine: Engine) -> None:
    """Raise `DatabaseError` unless the schema is at the newest revision."""
    from alembic.runtime.migration import MigrationContext  # noqa: PLC0415
    from alembic.script import ScriptDirectory  # noqa: PLC0415

    head = ScriptDirectory.from_config(_alembic_config()).get_current_head()
    with _reporting(engine), engine.connect() as connection:
        current = MigrationContext.configure(connection).get_current_revision()
    if current != head:
        msg = f"the database schema is at {current or 'no revision'}, not {head}: run `example-provider migrate`"
        raise DatabaseError(msg)


def prepare(engine: Engine) -> None:
    """What a server does at start: migrate its own SQLite file; on PostgreSQL, only check the schema."""
    if is_sqlite(engine.url):
        migrate(engine)
    else:
        check_schema(engine)


@contextmanager
def _reporting(engine: Engine) -> Iterator[None]:
    """A driver's connection error as one `DatabaseError` line naming the URL, password masked."""
    try:
        yield
    except DBAPIError as error:
        reason = str(error.orig).strip().splitlines()[0] if error.orig else type(error).__name__
        msg = f"the database at {shown(engine.url)} cannot be used: {reason}"
        raise DatabaseError(msg) from None
