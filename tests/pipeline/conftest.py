"""End-to-end pipeline fixtures: the broker double on a loopback port, and the real tasks as subprocesses.

Scenario tests drive the double only through real tools: `invoke <task>` (which runs the real
pact-python verifier and the real `pact` CLI) for the provider, and `pact broker ...` for what
a consumer's pipeline would do. A recording `pact` wrapper (PACT_CLI) keeps every command line
the tasks ran, so tests can prove no secret was ever on one.
"""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from example_provider.settings import environment_variables
from tests.broker_double import BrokerDouble, running_broker

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
PACT = str(BIN / "pact")
INVOKE = str(BIN / "invoke")
TOKEN = "tok-9f2c1e77-never-print-me"  # noqa: S105 - a test credential, checked never to leak
PROVIDER = "pactflow-example-provider-python"
PYTHON_CONSUMER = "pactflow-example-consumer-python"
BUNDLED_PACTS = ROOT / "pacts"
FIXTURE_PACTS = ROOT / "tests" / "contract" / "pacts"
TASK_TIMEOUT = 150


def setting_names() -> set[str]:
    return set(environment_variables()) | {"CI"}


@dataclass
class Run:
    args: tuple[str, ...]
    returncode: int
    output: str
    seconds: float


@dataclass
class Pipeline:
    """One broker double, the environment the tasks see, and every command line they ran."""

    double: BrokerDouble
    broker_url: str
    workdir: Path
    command_log: Path
    env: dict[str, str] = field(default_factory=dict)
    runs: list[Run] = field(default_factory=list)

    def task(self, *args: str, **extra_env: str) -> Run:
        """`invoke <args>` as a user runs it, from a directory with no .env."""
        return self._run([INVOKE, "--search-root", str(ROOT), *args], extra_env)

    def pact(self, *args: str, without_env: tuple[str, ...] = ()) -> Run:
        """`pact ...` as a consumer's pipeline runs it (the consumer side of a scenario)."""
        return self._run([PACT, *args], {}, without_env)

    def _run(self, argv: list[str], extra_env: Mapping[str, str], without_env: tuple[str, ...] = ()) -> Run:
        started = time.monotonic()
        env = {key: value for key, value in {**self.env, **extra_env}.items() if key not in without_env}
        completed = subprocess.run(
            argv,
            cwd=self.workdir,
            env=env,
            capture_output=True,
            text=True,
            timeout=TASK_TIMEOUT,
            check=False,
        )
        run = Run(
            tuple(argv[3:] if argv[0] == INVOKE else argv[1:]),
            completed.returncode,
            completed.stdout + completed.stderr,
            time.monotonic() - started,
        )
        self.runs.append(run)
        return run

    def publish_consumer_pact(self, pact_file: Path, version: str, branch: str) -> str:
        """Publish a consumer pact with the real CLI; returns the pact's URL from the broker's answer."""
        run = self.pact(
            "broker",
            "publish",
            str(pact_file),
            "--consumer-app-version",
            version,
            "--branch",
            branch,
            "--output",
            "json",
        )
        assert run.returncode == 0, run.output
        answer = json.loads(_last_json(run.output))
        return str(answer["_links"]["pb:contracts"][0]["href"])

    def deploy_consumer(self, consumer: str, version: str, environment: str = "production") -> None:
        run = self.pact(
            "broker", "record-deployment", "--pacticipant", consumer, "--version", version, "--environment", environment
        )
        assert run.returncode == 0, run.output

    def commands_run_by_tasks(self) -> list[list[str]]:
        if not self.command_log.exists():
            return []
        return [json.loads(line) for line in self.command_log.read_text(encoding="utf-8").splitlines()]

    def broker_subcommands(self) -> list[str]:
        return [argv[1] for argv in self.commands_run_by_tasks() if len(argv) > 1 and argv[0] == "broker"]


def _last_json(output: str) -> str:
    return next(line for line in reversed(output.splitlines()) if line.startswith("{"))


def _recording_pact(directory: Path, log: Path) -> Path:
    """A `pact` that appends its argv to `log` (JSON, one line each), then runs the real one."""
    wrapper = directory / "pact"
    wrapper.write_text(
        f"#!{sys.executable}\n"
        "import json, os, sys\n"
        f"with open({str(log)!r}, 'a', encoding='utf-8') as log:\n"
        "    log.write(json.dumps(sys.argv[1:]) + '\\n')\n"
        f"os.execv({PACT!r}, [{PACT!r}, *sys.argv[1:]])\n",
        encoding="utf-8",
    )
    wrapper.chmod(0o755)
    return wrapper


def base_env(broker_url: str, pact_cli: Path) -> dict[str, str]:
    """The caller's environment minus every setting of this project, plus the broker and tool settings."""
    ours = setting_names()
    env = {key: value for key, value in os.environ.items() if key not in ours and not key.startswith("GITHUB_")}
    env.update(
        PACT_DO_NOT_TRACK="true",
        PACT_BROKER_BASE_URL=broker_url,
        PACT_BROKER_TOKEN=TOKEN,
        PACT_CLI=str(pact_cli),
        PACT_BROKER_HTTP_RETRIES="1",
    )
    return env


@pytest.fixture
def pipeline(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Pipeline]:
    """A broker double wanting the bearer TOKEN; `indirect` param "basic" makes it a self-hosted
    broker with basic auth (user `ci`, password TOKEN)."""
    basic = getattr(request, "param", "token") == "basic"
    double = BrokerDouble(username="ci", password=TOKEN) if basic else BrokerDouble(token=TOKEN)
    workdir = tmp_path / "work"
    workdir.mkdir()
    log = tmp_path / "pact-command-lines.jsonl"
    wrapper = _recording_pact(tmp_path, log)
    with running_broker(double) as url:
        env = base_env(url, wrapper)
        if basic:
            del env["PACT_BROKER_TOKEN"]
            env.update(PACT_BROKER_USERNAME="ci", PACT_BROKER_PASSWORD=TOKEN)
        setup = Pipeline(double, url, workdir, log, env)
        yield setup
    assert not double.unanswered, "the broker double was asked something it does not model: " + "; ".join(
        f"{r.method} {r.path}?{r.query}" for r in double.unanswered
    )
    leaks = [run for run in setup.runs if TOKEN in run.output]
    assert not leaks, f"the broker token appeared in the output of {[run.args for run in leaks]}"
    assert not any(TOKEN in shlex.join(argv) for argv in setup.commands_run_by_tasks()), "token on a command line"


@pytest.fixture
def production(pipeline: Pipeline) -> Pipeline:
    """A broker with a production environment, created the way a self-hosted broker's owner would."""
    run = pipeline.task("create-environment")
    assert run.returncode == 0, run.output
    return pipeline
