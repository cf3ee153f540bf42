"""Test-wide set-up: the pact tools never call home, tests do not see the developer's settings, and databases."""

from __future__ import annotations

import gc
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import URL
from sqlalchemy.orm import Session

from example_provider.db import database_url, make_engine, migrate
from example_provider.pipeline.docs import ALL_SETTINGS, environment_variables
from tests.postgres import Databases, postgres_server


def pytest_configure(config: pytest.Config) -> None:
    os.environ["PACT_DO_NOT_TRACK"] = "true"
    config.addinivalue_line(
        "markers", "uses_environment: reads the settings from the real environment (and .env) on purpose"
    )


def pytest_unconfigure() -> None:
    """Each test process leaves its objects to the OS at exit rather than collect them (tasks.py says why)."""
    gc.freeze()


@pytest.fixture(autouse=True)
def no_ambient_settings(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Clear every setting variable and ignore .env, unless the test reads the environment on purpose.

    CI sets PACT_BROKER_BASE_URL and friends for the verification step; a unit test that picked
    them up would test the CI's configuration instead of the code.
    """
    if request.node.get_closest_marker("uses_environment") is None:
        for name in environment_variables():
            monkeypatch.delenv(name, raising=False)
        for kind in ALL_SETTINGS:
            monkeypatch.setitem(kind.model_config, "env_file", None)
        monkeypatch.setenv("ENV_FILE", os.devnull)  # the tasks' .env, beside tasks.py


@pytest.fixture
def outside_the_repository(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """Run in an empty directory: no .env from the repository, and no git repository around."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path.parent))
    return tmp_path


@pytest.fixture(scope="session")
def postgres() -> Iterator[Databases]:
    """One throwaway PostgreSQL server per test process (or DATABASE_TEST_URL's), for fresh databases."""
    with postgres_server() as server:
        databases = Databases(server)
        yield databases
        databases.close()


@pytest.fixture(scope="session")
def migrated_sqlite(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An SQLite file migrated and seeded once per test process, for `database` to copy."""
    path = tmp_path_factory.mktemp("template") / "catalogue.db"
    engine = make_engine(database_url(f"sqlite:///{path}"))
    migrate(engine)
    engine.dispose()  # the last connection's close folds the write-ahead log into the file
    return path


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[URL]:
    """A fresh, migrated and seeded database: an SQLite file, then a PostgreSQL database (both copies of one
    migrated at the start; the PostgreSQL one is dropped afterwards)."""
    if request.param == "sqlite":
        copy = shutil.copyfile(request.getfixturevalue("migrated_sqlite"), tmp_path / "catalogue.db")
        yield database_url(f"sqlite:///{copy}")
        return
    databases: Databases = request.getfixturevalue("postgres")
    url = databases.new()
    yield url
    databases.drop(url)


@pytest.fixture
def sqlite_database(tmp_path: Path) -> URL:
    """A fresh SQLite file (created and migrated by the app that opens it), for tests about one engine."""
    return database_url(f"sqlite:///{tmp_path / 'catalogue.db'}")


@pytest.fixture
def session(database: URL) -> Iterator[Session]:
    """A session on `database`, for looking at the rows a test's app changed."""
    engine = make_engine(database)
    with Session(engine) as session:
        yield session
    engine.dispose()
