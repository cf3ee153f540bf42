"""Real processes for the tests: the `example-provider` console script on a free loopback port, and the `pact` CLI."""

from __future__ import annotations

import contextlib
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from example_provider.pipeline.docs import environment_variables
from example_provider.pipeline.server import wait_until_answering
from example_provider.verifier_endpoints import MESSAGES_PATH, PROVIDER_STATES_PATH
from tests.forked import Forked
from tests.pacts import FIXTURE_PROVIDER

CONSOLE_SCRIPT = str(Path(sys.executable).with_name("example-provider"))
INVOKE = str(Path(sys.executable).with_name("invoke"))
PACT_CLI = str(Path(sys.executable).with_name("pact"))
_LISTENING = re.compile(r"Uvicorn running on (http://\S+:\d+)")


@dataclass
class ProviderProcess:
    base_url: str
    process: subprocess.Popen[str] | Forked
    lines: list[str] = field(default_factory=list)

    @property
    def output(self) -> str:
        return "".join(self.lines)


def clean_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment without any setting of this project, plus `extra`; the tasks read no `.env`."""
    ours = environment_variables()
    env = {key: value for key, value in os.environ.items() if key not in ours}
    env["PACT_DO_NOT_TRACK"] = "true"
    env["ENV_FILE"] = os.devnull  # not the developer's .env beside tasks.py
    env.update(extra or {})
    return env


@contextlib.contextmanager
def run_provider(
    *args: str, env: Mapping[str, str] | None = None, command: tuple[str, ...] | None = None
) -> Iterator[ProviderProcess]:
    """Run the server with `--port 0` and yield once it answers; its output is collected.

    It is the console script forked from the preloaded libraries (`tests.forked`) unless `command` names
    an executable to start, such as `(CONSOLE_SCRIPT,)` itself. It runs in an empty folder, as its
    database's: the server reads `.env` from its working folder, and the developer's is not for tests.
    Its database is a fresh SQLite file unless `env` names a DATABASE_URL.
    """
    with tempfile.TemporaryDirectory(prefix="example-provider-test-") as folder:
        env = clean_env({"DATABASE_URL": f"sqlite:///{folder}/catalogue.db", **(env or {})})
        argv = [*(command or (CONSOLE_SCRIPT,)), "--port", "0", *args]
        process = (
            subprocess.Popen(argv, cwd=folder, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
            if command
            else Forked(argv, env, folder)
        )
        with _running(process) as provider:
            yield provider


@contextlib.contextmanager
def _running(process: subprocess.Popen[str] | Forked) -> Iterator[ProviderProcess]:
    lines: list[str] = []
    found = threading.Event()
    base_url: list[str] = []

    def collect() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            lines.append(line)
            match = _LISTENING.search(line)
            if match and not found.is_set():
                base_url.append(match.group(1))
                found.set()
        found.set()

    reader = threading.Thread(target=collect, daemon=True)
    reader.start()
    try:
        deadline = time.monotonic() + 20
        while not found.wait(0.1) and time.monotonic() < deadline:
            pass
        if not base_url:
            process.kill()
            reader.join(5)
            msg = f"example-provider did not start: {''.join(lines)}"
            raise RuntimeError(msg)
        wait_until_answering(base_url[0] + "/health")
        yield ProviderProcess(base_url[0], process, lines)
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)
        reader.join(5)


def pact_verifier(
    base_url: str, *args: str, provider: str = FIXTURE_PROVIDER, teardown: bool = True
) -> subprocess.CompletedProcess[str]:
    """`pact verifier` against the server at `base_url`, with its state and message endpoints, as the README runs it.

    `args` are the sources (`--dir ...`, `--file ...`) and any other options, such as `--header`;
    `teardown=False` leaves out `--state-change-teardown`, the CLI's default.
    """
    port = base_url.rsplit(":", 1)[1]
    command = [
        PACT_CLI, "verifier", "--hostname", "127.0.0.1", "--port", port,
        "--transports", f"message:{port}{MESSAGES_PATH}",
        "--provider-name", provider,
        "--state-change-url", base_url + PROVIDER_STATES_PATH, *(["--state-change-teardown"] if teardown else []),
        "--no-colour", *args,
    ]  # fmt: skip
    return subprocess.run(command, env=clean_env(), capture_output=True, text=True, timeout=120, check=False)
