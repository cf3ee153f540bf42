"""Verification runs on a database of its own: a fresh SQLite file, or VERIFY_DATABASE_URL's; never DATABASE_URL's."""

from __future__ import annotations

import subprocess
from pathlib import Path

import httpx
from sqlalchemy import inspect

from example_provider.db import make_engine
from tests import forked
from tests.postgres import Databases
from tests.process import INVOKE, clean_env, run_provider

ROOT = Path(__file__).resolve().parents[2]
PIZZA = {"id": "27", "type": "Pizza", "name": "Margharita", "version": "v1"}


def _invoke_verify(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return forked.run([INVOKE, "verify"], env=clean_env(env), cwd=ROOT, timeout=300)


def test_verify_migrates_and_uses_verify_database_url(postgres: Databases) -> None:
    database = postgres.new(migrated=False)
    verified = _invoke_verify({"VERIFY_DATABASE_URL": database.render_as_string(hide_password=False)})
    assert verified.returncode == 0, verified.stdout + verified.stderr
    engine = make_engine(database)
    try:
        assert {"products", "outbox", "alembic_version"} <= set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_a_product_the_server_wrote_survives_invoke_verify(tmp_path: Path) -> None:
    env = {"DATABASE_URL": f"sqlite:///{tmp_path}/catalogue.db"}
    with run_provider(env=env) as provider:
        assert httpx.post(provider.base_url + "/products", json=PIZZA).status_code == 201
    verified = _invoke_verify(env)
    assert verified.returncode == 0, verified.stdout + verified.stderr
    with run_provider(env=env) as provider:
        assert httpx.get(provider.base_url + "/products/27").json() == PIZZA
        assert [p["id"] for p in httpx.get(provider.base_url + "/products").json()] == ["09", "10", "11", "27"]


def test_an_unreachable_verify_database_url_is_one_line_without_its_password() -> None:
    verified = _invoke_verify({"VERIFY_DATABASE_URL": "postgresql+psycopg://u:hunter2@127.0.0.1:1/db"})
    assert verified.returncode == 1
    assert "VERIFY_DATABASE_URL: the database at postgresql+psycopg://u:***@127.0.0.1:1/db cannot be used" in (
        verified.stderr
    )
    assert "hunter2" not in verified.stdout + verified.stderr
    assert "Traceback" not in verified.stderr


def test_verify_database_url_naming_the_servers_database_is_refused_before_anything_runs(postgres: Databases) -> None:
    """The states delete rows: verification never runs on the server's data, however the URL is spelt."""
    database = postgres.new()
    server = database.render_as_string(hide_password=False)
    spelt_otherwise = server.replace("postgresql+psycopg://", "postgresql://")
    verified = _invoke_verify({"DATABASE_URL": server, "VERIFY_DATABASE_URL": spelt_otherwise})
    assert verified.returncode == 1
    assert verified.stderr.strip().splitlines()[-1] == (
        "error: VERIFY_DATABASE_URL: it names DATABASE_URL's database, whose rows the states would replace; "
        "name another"
    )
    assert "verifying" not in verified.stdout, "refused before the plan ran"
