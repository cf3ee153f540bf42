"""Alembic's environment: `example-provider migrate` passes its connection; the `alembic` command uses DATABASE_URL."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from example_provider.db import database_url, make_engine
from example_provider.models import Base
from example_provider.settings import ServerSettings, load_settings


def run_migrations(connection: Connection) -> None:
    context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


connection = context.config.attributes.get("connection")
if connection is not None:
    run_migrations(connection)
else:  # `alembic revision --autogenerate` and friends, from the repository's alembic.ini
    url = load_settings(ServerSettings).database_url
    engine = make_engine(database_url(url.get_secret_value() if url else None))
    try:
        with engine.begin() as own_connection:
            run_migrations(own_connection)
    finally:
        engine.dispose()
