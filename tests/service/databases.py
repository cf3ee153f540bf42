"""A fresh database for a module-scoped fixture, as `tests/conftest.py`'s `database` gives one per test."""

from __future__ import annotations

import pytest
from sqlalchemy import URL

from example_provider.db import database_url
from tests.postgres import Databases

KINDS = ["sqlite", "postgresql"]


def fresh_database(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> URL:
    """A fresh database of the kind `request.param` names: an SQLite file (the app migrates it), or PostgreSQL."""
    if request.param == "sqlite":
        return database_url(f"sqlite:///{tmp_path_factory.mktemp('database') / 'catalogue.db'}")
    databases: Databases = request.getfixturevalue("postgres")
    return databases.new()
