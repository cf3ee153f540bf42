"""A throwaway PostgreSQL server for the tests, on a free loopback port, or the one DATABASE_TEST_URL names.

Debian's `postgresql` binaries (`initdb`, `pg_ctl`), run as the `postgres` user when the tests
run as root (initdb refuses root), with fsync off, a small write-ahead log, and the data in RAM
where the machine has room (databases are made much faster there; benchmarks/README.md): it is
thrown away at the end.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

from sqlalchemy import URL, create_engine, make_url, text

from example_provider.db import make_engine, migrate


def _binaries() -> Path:
    for candidate in sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True):
        if (candidate / "initdb").exists():
            return candidate
    found = shutil.which("initdb")
    if found is None:
        msg = "PostgreSQL is not installed: `apt-get install postgresql`, or set DATABASE_TEST_URL"
        raise RuntimeError(msg)
    return Path(found).parent


def _data_folder() -> Path:
    """A new folder in /dev/shm when it has room for the suite's databases, else in the temporary folder."""
    shm = Path("/dev/shm")  # noqa: S108 - a folder of our own, made by mkdtemp
    in_ram = shm.is_dir() and os.access(shm, os.W_OK) and shutil.disk_usage(shm).free > 4 * 2**30
    return Path(tempfile.mkdtemp(prefix="example-provider-pg-", dir=shm if in_ram else None))


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextlib.contextmanager
def postgres_server() -> Iterator[URL]:
    """A superuser URL (database `postgres`) of a running server, stopped and deleted afterwards."""
    if given := os.environ.get("DATABASE_TEST_URL"):
        yield make_url(given).set(drivername="postgresql+psycopg")
        return
    binaries = _binaries()
    as_postgres = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    folder = _data_folder()
    if as_postgres:
        shutil.chown(folder, "postgres")
    data, port = folder / "data", _free_port()

    def run(*args: str | Path) -> None:
        subprocess.run([*as_postgres, *args], check=True, capture_output=True, timeout=60)

    run(binaries / "initdb", "-A", "trust", "-U", "postgres", "-D", data)
    options = (
        f"-c listen_addresses=127.0.0.1 -p {port} -k {folder} "
        "-c fsync=off -c full_page_writes=off -c max_wal_size=128MB"
    )
    run(binaries / "pg_ctl", "-D", data, "-o", options, "-l", folder / "log", "-w", "start")
    try:
        yield URL.create("postgresql+psycopg", username="postgres", host="127.0.0.1", port=port, database="postgres")
    finally:
        run(binaries / "pg_ctl", "-D", data, "-m", "immediate", "stop")
        shutil.rmtree(folder, ignore_errors=True)


class Databases:
    """Fresh databases on one server: each a copy of a migrated, seeded template."""

    def __init__(self, server: URL) -> None:
        self.server = server
        self.template = f"example_provider_template_{uuid.uuid4().hex[:8]}"
        self._admin = create_engine(server, isolation_level="AUTOCOMMIT")
        with self._admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{self.template}"'))
        engine = make_engine(server.set(database=self.template))
        migrate(engine)
        engine.dispose()

    def new(self, *, migrated: bool = True) -> URL:
        name = f"example_provider_{uuid.uuid4().hex[:12]}"
        template = f' TEMPLATE "{self.template}"' if migrated else ""
        with self._admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"{template}'))
        return self.server.set(database=name)

    def drop(self, database: URL) -> None:
        """Drop a database `new` made, once the test is done with it (ending any connection still open)."""
        with self._admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE "{database.database}" WITH (FORCE)'))

    def close(self) -> None:
        self._admin.dispose()
