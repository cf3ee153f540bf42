"""The catalogue in a real database, as an operator runs it: real server processes, SQLite and PostgreSQL.

Acknowledged writes survive `kill -9`; several processes on one PostgreSQL serve one catalogue;
the schema is migrated by `example-provider migrate` (by the server itself only on SQLite); a
database that goes away answers 503 and the server recovers; a bad URL stops the server in one
line that never shows the password.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import URL

from example_provider.db import make_engine, migrate
from example_provider.models import Base
from tests import forked
from tests.postgres import Databases
from tests.process import CONSOLE_SCRIPT, clean_env, run_provider
from tests.servers import TcpProxy

PIZZA = {"id": "27", "type": "Pizza", "name": "Margharita", "version": "v1"}


def _env(database: URL, **extra: str) -> dict[str, str]:
    return {"DATABASE_URL": database.render_as_string(hide_password=False), **extra}


def _cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    with tempfile.TemporaryDirectory() as folder:
        return forked.run([CONSOLE_SCRIPT, *args], env=clean_env(env), cwd=folder, timeout=60)


def _product(index: int) -> dict[str, str]:
    return {**PIZZA, "id": f"p{index}", "name": f"pizza {index}"}


def test_acknowledged_writes_survive_kill_9(database: URL) -> None:
    with run_provider(env=_env(database)) as provider, httpx.Client(base_url=provider.base_url) as client:
        assert [client.post("/products", json=_product(i)).status_code for i in range(20)] == [201] * 20
        assert client.put("/products/p3", json={**_product(3), "name": "renamed"}).status_code == 200
        assert client.delete("/products/p4").status_code == 204
        provider.process.kill()  # SIGKILL: no shutdown, no flush
        provider.process.wait(10)
    with run_provider(env=_env(database)) as provider, httpx.Client(base_url=provider.base_url) as client:
        ids = {product["id"] for product in client.get("/products").json()}
        assert ids == {"09", "10", "11"} | {f"p{i}" for i in range(20)} - {"p4"}
        assert client.get("/products/p3").json()["name"] == "renamed"


def test_two_servers_on_one_postgresql_serve_one_catalogue(postgres: Databases) -> None:
    env = _env(postgres.new())
    with run_provider(env=env) as one, run_provider(env=env) as other:
        a, b = httpx.Client(base_url=one.base_url), httpx.Client(base_url=other.base_url)
        assert a.post("/products", json=PIZZA).status_code == 201
        assert b.get("/products/27").json() == PIZZA, "a write on one is read on the other at once"
        assert b.put("/products/27", json={**PIZZA, "version": "v2"}).status_code == 200
        assert [a.get("/products/27").json()["version"] for _ in range(10)] == ["v2"] * 10
        assert a.delete("/products/27").status_code == 204
        assert b.get("/products/27").status_code == 404

        racing = {**PIZZA, "id": "raced"}
        with ThreadPoolExecutor(20) as pool:
            statuses = list(pool.map(lambda i: (a, b)[i % 2].post("/products", json=racing).status_code, range(20)))
        assert sorted(statuses) == [201] + [409] * 19


def test_workers_share_one_postgresql(postgres: Databases) -> None:
    with run_provider("--workers", "2", env=_env(postgres.new())) as provider:
        with ThreadPoolExecutor(20) as pool, httpx.Client(base_url=provider.base_url) as client:
            statuses = list(pool.map(lambda _: client.post("/products", json=PIZZA).status_code, range(20)))
            assert sorted(statuses) == [201] + [409] * 19
            assert client.put("/products/27", json={**PIZZA, "version": "v2"}).status_code == 200
            versions = list(
                pool.map(lambda _: httpx.get(provider.base_url + "/products/27").json()["version"], range(20))
            )
        assert versions == ["v2"] * 20, "no worker serves a stale read"
    assert provider.output.count("Started server process") == 2


def test_more_than_one_worker_on_sqlite_stops_in_one_line(tmp_path: Path) -> None:
    result = _cli("--workers", "2", "--port", "0", env={"DATABASE_URL": f"sqlite:///{tmp_path}/c.db"})
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        (
            "example-provider: WORKERS (--workers) 2: SQLite serves one process; "
            "set DATABASE_URL=postgresql+psycopg://... for more"
        )
    ]


def test_a_server_on_an_unmigrated_postgresql_names_migrate_then_serves(postgres: Databases) -> None:
    env = _env(postgres.new(migrated=False))
    refused = _cli("--port", "0", env=env)
    assert refused.returncode == 1
    [line] = refused.stderr.strip().splitlines()
    assert line.startswith("example-provider: DATABASE_URL: the database schema is at no revision")
    assert "run `example-provider migrate`" in line

    migrated = _cli("migrate", env=env)
    assert migrated.returncode == 0, migrated.stderr
    with run_provider(env=env) as provider:
        assert [p["id"] for p in httpx.get(provider.base_url + "/products").json()] == ["09", "10", "11"]


def test_migrate_twice_changes_nothing(database: URL) -> None:
    env = _env(database)
    with run_provider(env=env) as provider:
        assert httpx.delete(provider.base_url + "/products/09").status_code == 204
    assert _cli("migrate", env=env).returncode == 0
    with run_provider(env=env) as provider:
        assert [p["id"] for p in httpx.get(provider.base_url + "/products").json()] == ["10", "11"], "no re-seed"


def test_migrate_leaves_sqlite_one_file(tmp_path: Path) -> None:
    """The engine is disposed of: its connections closed, the write-ahead log is folded into the file."""
    assert _cli("migrate", env={"DATABASE_URL": f"sqlite:///{tmp_path}/m.db"}).returncode == 0
    assert sorted(path.name for path in tmp_path.iterdir()) == ["m.db"]


def test_the_migrations_make_the_models_tables(database: URL) -> None:
    """The models and the migrations agree: autogenerate finds nothing to add."""
    engine = make_engine(database)
    migrate(engine)
    with engine.connect() as connection:
        assert compare_metadata(MigrationContext.configure(connection), Base.metadata) == []
    engine.dispose()


def test_uvicorn_serves_main_app_with_the_settings(tmp_path: Path) -> None:
    """`uvicorn example_provider.main:app` is the same service as `example-provider`: the token applies."""
    env = {"API_TOKEN": "a-token-for-uvicorn", "DATABASE_URL": f"sqlite:///{tmp_path}/c.db"}
    command = (sys.executable, "-m", "uvicorn", "example_provider.main:app", "--host", "127.0.0.1")
    with run_provider(command=command, env=env) as provider:
        assert httpx.get(provider.base_url + "/products").status_code == 401
        authorised = httpx.get(provider.base_url + "/products", headers={"Authorization": "Bearer a-token-for-uvicorn"})
        assert authorised.status_code == 200


def test_a_state_set_up_through_one_process_is_read_through_another(postgres: Databases) -> None:
    env = _env(postgres.new())
    with run_provider("--provider-states", env=env) as one, run_provider(env=env) as other:
        state = {"state": "a product exists", "params": {"id": "42", "name": "Answer"}}
        assert httpx.post(one.base_url + "/_pact/provider-states", json=state).json() == {"id": "42"}
        assert httpx.get(other.base_url + "/products/42").json()["name"] == "Answer"
        assert httpx.post(one.base_url + "/_pact/provider-states", json={"state": "", "action": "setup"}).json() == {}
        assert httpx.get(other.base_url + "/products/42").status_code == 404


def test_a_database_that_goes_away_answers_503_and_the_server_recovers(postgres: Databases) -> None:
    database = postgres.new()
    proxy = TcpProxy((str(database.host), int(database.port or 5432)))
    through_proxy = database.set(host="127.0.0.1", port=proxy.port)
    try:
        with run_provider(env=_env(through_proxy)) as provider, httpx.Client(base_url=provider.base_url) as client:
            assert client.get("/products/10").status_code == 200
            proxy.cut()
            answers = [client.get("/products/10"), client.post("/products", json=PIZZA), client.get("/products")]
            assert [(a.status_code, a.json()) for a in answers] == [
                (503, {"detail": "the database is unavailable: try again"})
            ] * 3
            assert client.get("/health").status_code == 200, "health does not touch the database"
            proxy.restore()
            assert client.get("/products/10").status_code == 200
            assert client.get("/products/27").status_code == 404, "the refused write was not applied"
    finally:
        proxy.close()


@pytest.mark.parametrize(
    ("url", "says"),
    [
        pytest.param("not a url", "DATABASE_URL: Value error, cannot be parsed", id="unparsable"),
        pytest.param("mysql://user:hunter2@127.0.0.1/db", "'mysql' is not supported", id="unsupported"),
        pytest.param("sqlite://", "an in-memory SQLite database lives in one connection", id="in memory"),
        pytest.param(
            "postgresql+psycopg://user:hunter2@127.0.0.1:1/db",
            "DATABASE_URL: the database at postgresql+psycopg://user:***@127.0.0.1:1/db cannot be used: ",
            id="unreachable",
        ),
    ],
)
def test_a_bad_database_url_stops_the_server_in_one_line_without_its_password(url: str, says: str) -> None:
    result = _cli("--port", "0", env={"DATABASE_URL": url})
    assert result.returncode == 1, result
    [line] = result.stderr.strip().splitlines()
    assert says.replace("Value error, ", "") in line
    assert "hunter2" not in result.stdout + result.stderr


@pytest.mark.parametrize("command", ["migrate", "relay", "--help"])
def test_migrate_relay_and_help_never_show_the_password(command: str) -> None:
    result = _cli(command, env={"DATABASE_URL": "postgresql+psycopg://user:hunter2@127.0.0.1:1/db"})
    assert result.returncode == (0 if command == "--help" else 1), result
    assert "hunter2" not in result.stdout + result.stderr
    if command != "--help":
        [line] = result.stderr.strip().splitlines()
        assert "DATABASE_URL: the database at postgresql+psycopg://user:***@127.0.0.1:1/db cannot be used" in line


def test_the_relay_has_a_process_of_its_own(postgres: Databases, tmp_path: Path) -> None:
    """Servers with RELAY_ENABLED=false store events; `example-provider relay` publishes them (to its log)."""
    env = _env(postgres.new())
    with run_provider(env={**env, "RELAY_ENABLED": "false"}) as server:
        assert httpx.post(server.base_url + "/products", json=PIZZA).status_code == 201
        time.sleep(0.3)
        assert httpx.get(server.base_url + "/outbox").json()["unsent"] == 1, "the server relays nothing"
        relay = forked.Forked([CONSOLE_SCRIPT, "relay"], clean_env(env), tmp_path)
        try:
            deadline = time.monotonic() + 15
            while httpx.get(server.base_url + "/outbox").json()["unsent"] and time.monotonic() < deadline:
                time.sleep(0.1)
        finally:
            relay.terminate()
            relay.wait(15)
        output = relay.stdout.read()
    assert relay.returncode == 0, output
    assert '"event": "CREATED"' in output
