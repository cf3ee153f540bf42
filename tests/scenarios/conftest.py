"""End-to-end pipeline fixtures: a Pact Broker, a GitHub stand-in, and the real tasks as subprocesses.

Scenario tests drive the broker only through real tools: `invoke <task>` (which runs the real
pact-python verifier and the real `pact` CLI) for the provider, and `pact broker ...` for what
a consumer's pipeline would do. They read the outcome through the broker's public API
(`tests.scenarios.broker_api`), so each scenario runs against either broker:

- unset `PACT_BROKER_TEST_URL`: a fresh in-memory broker double per test;
- `PACT_BROKER_TEST_URL` (with `PACT_BROKER_TEST_USERNAME` / `PACT_BROKER_TEST_PASSWORD`, or
  `PACT_BROKER_TEST_TOKEN`): that real broker. Each test uses pacticipant and environment names
  of its own, so the broker needs no reset and tests may run in parallel. Scenarios that inject
  a fault (the `double` fixture) only run on the double and say so in their names.

A recording `pact` wrapper (PACT_CLI) keeps every command line the tasks ran, so tests can
prove no secret was ever on one.
"""

from __future__ import annotations

import contextlib
import json
import os
import shlex
import subprocess
import sys
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from pydantic import SecretStr

from example_provider.pipeline.broker import Credentials
from example_provider.pipeline.docs import environment_variables
from example_provider.pipeline.plan import BUNDLED_PACTS
from tests import forked
from tests.pacts import BUNDLED_PROVIDER
from tests.scenarios.broker_api import BrokerApi
from tests.scenarios.broker_double import BrokerDouble, running_broker
from tests.scenarios.github_standin import GitHubStandIn, running_github

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
PACT = str(BIN / "pact")
INVOKE = str(BIN / "invoke")
TOKEN = "tok-9f2c1e77-never-print-me"  # noqa: S105 - a test credential, checked never to leak
PROVIDER = BUNDLED_PROVIDER  # each test adds -<id>: a provider of its own
PYTHON_CONSUMER = "pactflow-example-consumer-python"
PYTHON_PACT = BUNDLED_PACTS / f"{PYTHON_CONSUMER}-{BUNDLED_PROVIDER}.json"
EVENTS_CONSUMER = "example-product-events-consumer"  # the bundled message pact's consumer
FIXTURE_PACTS = ROOT / "tests" / "contract" / "pacts"
TASK_TIMEOUT = 150
REAL_BROKER_URL = os.environ.get("PACT_BROKER_TEST_URL", "").rstrip("/")
#: A broker in a container cannot call this machine's loopback GitHub stand-in (CI's service container).
BROKER_REACHES_LOOPBACK = os.environ.get("PACT_BROKER_TEST_NO_LOOPBACK", "").lower() != "true"


def setting_names() -> set[str]:
    return set(environment_variables()) | {"CI"}


def real_broker_credentials() -> Credentials:
    env = os.environ
    token, password = env.get("PACT_BROKER_TEST_TOKEN"), env.get("PACT_BROKER_TEST_PASSWORD")
    return Credentials(
        SecretStr(token) if token else None,
        env.get("PACT_BROKER_TEST_USERNAME") or None,
        SecretStr(password) if password else None,
    )


def secret_of(credentials: Credentials) -> str | None:
    """What must never appear in output: the token or the password."""
    secret = credentials.token or credentials.password
    return secret.get_secret_value() if secret else None


@dataclass
class Run:
    args: tuple[str, ...]
    returncode: int
    output: str


@dataclass
class Pipeline:
    """A broker, the GitHub stand-in, the environment the tasks see, and every command line they ran.

    `provider`, `consumer(...)` and `environment` are this test's own names: unique on a shared broker.
    """

    broker: BrokerApi
    double: BrokerDouble | None
    github: GitHubStandIn
    credentials: Credentials
    suffix: str
    workdir: Path
    command_log: Path
    env: dict[str, str] = field(default_factory=dict)
    runs: list[Run] = field(default_factory=list)

    @property
    def broker_url(self) -> str:
        return self.broker.base_url

    @property
    def provider(self) -> str:
        return f"{PROVIDER}-{self.suffix}"

    @property
    def environment(self) -> str:
        return f"production-{self.suffix}"

    def consumer(self, name: str) -> str:
        return f"{name}-{self.suffix}"

    def task(self, *args: str, **extra_env: str) -> Run:
        """`invoke <args>` as a user runs it, from a directory with no .env (forked: `tests.forked`)."""
        return self._run([INVOKE, "--search-root", str(ROOT), *args], extra_env)

    def pact(self, *args: str, without_env: tuple[str, ...] = ()) -> Run:
        """`pact ...` as a consumer's pipeline runs it (the consumer side of a scenario)."""
        return self._run([PACT, *args], {}, without_env)

    def _run(self, argv: list[str], extra_env: Mapping[str, str], without_env: tuple[str, ...] = ()) -> Run:
        env = {key: value for key, value in {**self.env, **extra_env}.items() if key not in without_env}
        completed = (
            forked.run(argv, env=env, cwd=self.workdir, timeout=TASK_TIMEOUT)
            if argv[0] == INVOKE
            else subprocess.run(
                argv, cwd=self.workdir, env=env, capture_output=True, text=True, timeout=TASK_TIMEOUT, check=False
            )
        )
        run = Run(
            tuple(argv[3:] if argv[0] == INVOKE else argv[1:]),
            completed.returncode,
            completed.stdout + completed.stderr,
        )
        self.runs.append(run)
        return run

    def publish_consumer_pact(self, pact_path: Path, version: str, branch: str, provider: str | None = None) -> str:
        """Publish consumer pacts (a file or a directory) as `publish` does; returns the first pact's URL
        from the broker's answer."""
        run = self.publish(pact_path, version, branch, provider)
        assert run.returncode == 0, run.output
        answer = json.loads(_last_json(run.output))
        return str(answer["_links"]["pb:contracts"][0]["href"])

    def publish(self, pact_path: Path, version: str, branch: str, provider: str | None = None) -> Run:
        """`pact broker publish` of consumer pacts (a file or a directory), as this test's consumers of
        this test's provider (or of `provider`)."""
        files = sorted(pact_path.glob("*.json")) if pact_path.is_dir() else [pact_path]
        directory = self.workdir / f"pacts-{uuid.uuid4().hex[:8]}"
        directory.mkdir()
        for file in files:
            pact = json.loads(file.read_text(encoding="utf-8"))
            pact["consumer"]["name"] = self.consumer(pact["consumer"]["name"])
            pact["provider"]["name"] = provider or self.provider
            (directory / file.name).write_text(json.dumps(pact), encoding="utf-8")
        return self.pact(
            "broker",
            "publish",
            str(directory),
            "--consumer-app-version",
            version,
            "--branch",
            branch,
            "--output",
            "json",
        )

    def deploy_consumer(self, consumer: str, version: str, how: str = "record-deployment") -> None:
        """Record that this test's `consumer` `version` is deployed to this test's environment (or released
        there: `how="record-release"`)."""
        run = self.pact(
            "broker",
            how,
            "--pacticipant",
            self.consumer(consumer),
            "--version",
            version,
            "--environment",
            self.environment,
        )
        assert run.returncode == 0, run.output

    def deployed(self) -> list[str]:
        """The provider versions currently deployed to this test's environment, as the broker says."""
        return self.broker.currently_deployed(self.provider, self.environment)

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
    """The caller's environment minus every setting of this project (and the test broker's), plus the
    broker and tool settings."""
    ours = setting_names()
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ours and not key.startswith(("GITHUB_", "PACT_BROKER_TEST_"))
    }
    env.update(
        PACT_DO_NOT_TRACK="true",
        ENV_FILE=os.devnull,  # not the developer's .env beside tasks.py
        PACT_BROKER_BASE_URL=broker_url,
        PACT_CLI=str(pact_cli),
        PACT_BROKER_HTTP_RETRIES="1",
    )
    return env


@contextlib.contextmanager
def broker_under_test(*, basic: bool = False, path: str = "") -> Iterator[tuple[str, Credentials, BrokerDouble | None]]:
    """The broker under test: the real one named by PACT_BROKER_TEST_URL, else a fresh double (under `path`)."""
    if REAL_BROKER_URL:
        yield REAL_BROKER_URL, real_broker_credentials(), None
        return
    if basic:
        credentials, double = (
            Credentials(username="ci", password=SecretStr(TOKEN)),
            BrokerDouble(username="ci", password=TOKEN),
        )
    else:
        credentials, double = Credentials(token=SecretStr(TOKEN)), BrokerDouble(token=TOKEN)
    with running_broker(double, path) as url:
        yield url, credentials, double
    assert not double.unanswered, "the broker double was asked something it does not model: " + "; ".join(
        f"{r.method} {r.path}?{r.query}" for r in double.unanswered
    )


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Scenarios that need the double (the `double` fixture: to inject a fault, count requests, or use
    PactFlow's secrets) say so in their names, and only run on the double."""
    for item in items:
        if "double" not in getattr(item, "fixturenames", ()):
            continue
        if not item.name.split("[")[0].endswith("_on_the_double"):
            msg = f"{item.nodeid} uses the broker double: end its name with _on_the_double"
            raise pytest.UsageError(msg)
        if REAL_BROKER_URL:
            item.add_marker(
                pytest.mark.skip(reason="needs the broker double (a fault it injects, or PactFlow's secrets)")
            )


@pytest.fixture
def pipeline(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Pipeline]:
    """A broker double wanting the bearer TOKEN (`indirect` param "basic": a self-hosted broker with
    basic auth, user `ci`, password TOKEN; "under-a-path": served at /pact-broker), or the real
    broker of PACT_BROKER_TEST_URL."""
    variant = getattr(request, "param", "token")
    basic = variant == "basic"
    if basic and REAL_BROKER_URL:
        pytest.skip("the real broker has the one kind of auth PACT_BROKER_TEST_* give: the other variant uses it")
    if variant == "under-a-path" and REAL_BROKER_URL:
        pytest.skip("the real broker is served where PACT_BROKER_TEST_URL says: the double is put under a path")
    workdir = tmp_path / "work"
    workdir.mkdir()
    log = tmp_path / "pact-command-lines.jsonl"
    wrapper = _recording_pact(tmp_path, log)
    path = "/pact-broker" if variant == "under-a-path" else ""
    with broker_under_test(basic=basic, path=path) as (url, credentials, double), running_github() as github:
        env = base_env(url, wrapper) | credentials.cli_env()
        setup = Pipeline(
            BrokerApi(url, credentials.header()), double, github, credentials, uuid.uuid4().hex[:8], workdir, log, env
        )
        setup.env.update(PACTICIPANT=setup.provider, DEPLOY_ENVIRONMENT=setup.environment, GITHUB_API_URL=github.url)
        print(f"in the broker at {url}: provider {setup.provider}, environment {setup.environment}")  # noqa: T201
        yield setup
        secret = secret_of(credentials)
        if secret:
            leaks = [run.args for run in setup.runs if secret in run.output]
            assert not leaks, f"the broker credential appeared in the output of {leaks}"
            assert not any(secret in shlex.join(argv) for argv in setup.commands_run_by_tasks()), (
                "secret on a command line"
            )


@pytest.fixture
def double(pipeline: Pipeline) -> BrokerDouble:
    """The broker double behind `pipeline`, for scenarios that need it (named `..._on_the_double`)."""
    assert pipeline.double is not None
    return pipeline.double


@pytest.fixture
def production(pipeline: Pipeline) -> Pipeline:
    """A broker with this test's production environment, created the way a self-hosted broker's owner would:
    with the pact CLI (`invoke create-environment` has tests of its own)."""
    run = pipeline.pact(
        "broker", "create-environment", "--name", pipeline.environment, "--display-name", pipeline.environment,
        "--production",
    )  # fmt: skip
    assert run.returncode == 0, run.output
    return pipeline
