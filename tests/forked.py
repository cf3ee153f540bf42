"""This virtualenv's console scripts (`invoke`, `example-provider`) in processes that skip Python's start-up.

A fresh `invoke` or `example-provider` spends longer importing FastAPI, SQLAlchemy, pact-python
and boto3 than most tests take, and the suite starts a couple of hundred (benchmarks/README.md).
A multiprocessing forkserver imports those libraries and this project's modules once; each
command is then a new process forked from it, which runs the console script's own entry point
with its own arguments, environment, folder, output, pid and exit code. Nothing preloaded reads
a setting or starts a thread on import (`example_provider.main`, which builds the app from the
settings, is left out). A few tests still start the real scripts, so the entry points stay proven.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Mapping
from importlib.metadata import entry_points
from multiprocessing.connection import Connection
from pathlib import Path
from typing import IO

# What the commands import that costs time: the libraries, then this project but for example_provider.main.
PRELOADED = [
    "alembic.command",
    "boto3",
    "fastapi",
    "invoke.main",
    "pact",
    "psycopg",
    "pydantic_settings",
    "sqlalchemy.dialects.postgresql",
    "sqlalchemy.dialects.sqlite",
    "sqlalchemy.orm",
    "uvicorn.main",
    "example_provider.cli",
    "example_provider.pipeline.docs",
    "example_provider.pipeline.jobs",
]
_CONTEXT = multiprocessing.get_context("forkserver")
_CONTEXT.set_forkserver_preload(PRELOADED)


def _console_script(argv: list[str], env: dict[str, str], cwd: str, stdout: Connection, stderr: Connection) -> None:
    """In the forked process: what the console script `argv[0]` runs, in `cwd` with exactly `env`."""
    os.chdir(cwd)
    os.environ.clear()
    os.environ.update(env)
    os.dup2(sys.stdin.fileno(), 0)  # multiprocessing's /dev/null, on the fd uvicorn's workers take as stdin
    sys.stdin = os.fdopen(0, encoding="utf-8")
    os.dup2(stdout.fileno(), 1)
    os.dup2(stderr.fileno(), 2)
    stdout.close()
    stderr.close()
    sys.argv = argv
    (script,) = entry_points(group="console_scripts", name=Path(argv[0]).name)
    sys.exit(script.load()())


class Forked:
    """A started console script, with the part of `subprocess.Popen` the tests use; stderr joins stdout
    unless `separate_stderr`."""

    def __init__(
        self, argv: list[str], env: Mapping[str, str], cwd: str | Path, *, separate_stderr: bool = False
    ) -> None:
        self.args = argv
        out_reader, out_writer = _CONTEXT.Pipe(duplex=False)
        err_reader, err_writer = _CONTEXT.Pipe(duplex=False) if separate_stderr else (None, out_writer)
        self._process = _CONTEXT.Process(
            target=_console_script, args=(argv, dict(env), str(cwd), out_writer, err_writer), name=argv[0]
        )
        self._process.start()
        self.pid = self._process.pid
        self.stdout = _text(out_reader)
        self.stderr = _text(err_reader) if err_reader else None
        out_writer.close()
        err_writer.close()

    @property
    def returncode(self) -> int | None:
        return self._process.exitcode

    def poll(self) -> int | None:
        return self._process.exitcode

    def wait(self, timeout: float | None = None) -> int:
        self._process.join(timeout)
        if self._process.exitcode is None:
            raise subprocess.TimeoutExpired(self.args, timeout or 0)
        return self._process.exitcode

    def send_signal(self, sig: int) -> None:
        """As Popen's: nothing once the process has ended."""
        if self.poll() is None:
            with contextlib.suppress(ProcessLookupError):  # it ended since
                os.kill(self.pid or 0, sig)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)


def _text(reader: Connection) -> IO[str]:
    stream = os.fdopen(os.dup(reader.fileno()), encoding="utf-8", errors="replace")
    reader.close()
    return stream


def run(
    argv: list[str], *, env: Mapping[str, str], cwd: str | Path, timeout: float
) -> subprocess.CompletedProcess[str]:
    """Like `subprocess.run(argv, capture_output=True, text=True, timeout=timeout)` of the console script."""
    process = Forked(argv, env, cwd, separate_stderr=True)
    assert process.stderr is not None
    streams = [process.stdout, process.stderr]
    read: list[str] = ["", ""]

    def drain(index: int) -> None:
        with streams[index] as stream:
            read[index] = stream.read()

    readers = [threading.Thread(target=drain, args=(index,), daemon=True) for index in (0, 1)]
    for reader in readers:
        reader.start()
    try:
        returncode = process.wait(timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        raise
    for reader in readers:
        reader.join(timeout)
    return subprocess.CompletedProcess(argv, returncode, read[0], read[1])
