"""The database verification runs on: never the server's, since the provider states replace its rows."""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import Iterator

from pydantic import SecretStr
from sqlalchemy import URL

from example_provider.db import DatabaseError, database_url, make_engine, migrate
from example_provider.pipeline.errors import PipelineError
from example_provider.settings import ServerSettings


def refuse_the_servers_database(url: SecretStr | None, server: ServerSettings) -> None:
    """A `PipelineError` when VERIFY_DATABASE_URL names DATABASE_URL's database, however it is spelt."""
    if url is None or server.database_url is None:
        return
    mine, theirs = database_url(url.get_secret_value()), server.database
    if (mine.drivername, mine.host, mine.port, mine.database) == (
        theirs.drivername,
        theirs.host,
        theirs.port,
        theirs.database,
    ):
        msg = "VERIFY_DATABASE_URL: it names DATABASE_URL's database, whose rows the states would replace; name another"
        raise PipelineError(msg)


@contextlib.contextmanager
def verification_database(url: SecretStr | None) -> Iterator[URL]:
    """VERIFY_DATABASE_URL's database, migrated, or else a fresh SQLite file, deleted afterwards."""
    if url is not None:
        database = database_url(url.get_secret_value())
        engine = make_engine(database)
        try:
            migrate(engine)
        except DatabaseError as error:
            msg = f"VERIFY_DATABASE_URL: {error}"
            raise PipelineError(msg) from None
        finally:
            engine.dispose()
        yield database
        return
    with tempfile.TemporaryDirectory(prefix="example-provider-verify-") as folder:
        yield database_url(f"sqlite:///{folder}/verify.db")
