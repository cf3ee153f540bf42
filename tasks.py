"""Invoke tasks: thin wrappers over pytest, the verifier harness (tests/contract), the package and the `pact` CLI.

Run `invoke --list` for the tasks and `invoke --help <task>` for each one's options.
Every command uses this interpreter's environment, so `.venv/bin/invoke` works without
activating the virtualenv.
"""

from __future__ import annotations

import datetime as dt
import os
import shlex
import sys
from collections.abc import Callable
from pathlib import Path
from typing import NoReturn, ParamSpec, TypeVar

from invoke.context import Context
from invoke.runners import Result
from invoke.tasks import task

from example_provider import broker, pipeline, webhook
from example_provider.settings import (
    PipelineSettings,
    ServerSettings,
    SettingsError,
    env_example,
    load_settings,
    settings_table,
)
from example_provider.verification import Credentials

ROOT = Path(__file__).resolve().parent
PYTHON = shlex.quote(sys.executable)
SERVER_DOC, PIPELINE_DOC = ROOT / "README.md", ROOT / "docs" / "pipeline.md"
TABLE_START, TABLE_END = "<!-- settings-table:start -->", "<!-- settings-table:end -->"
# The pact tools never call home: the verifier in this process, and every command it starts.
os.environ["PACT_DO_NOT_TRACK"] = "true"
P = ParamSpec("P")
T = TypeVar("T")


def _fail(message: str) -> NoReturn:
    print(f"error: {message}", file=sys.stderr)
    raise SystemExit(1)


def _or_fail(action: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    """Run `action`; a bad setting or an unusable broker stops the task with one clear line, no traceback."""
    try:
        return action(*args, **kwargs)
    except (SettingsError, broker.BrokerUnavailableError) as error:
        _fail(str(error))


def _settings() -> PipelineSettings:
    return _or_fail(load_settings, PipelineSettings)


def _verify(settings: PipelineSettings, failure: str) -> None:
    """Verify the pacts the settings select (the verifier prints its report); `failure` if it fails."""
    from tests.contract.harness import verify  # noqa: PLC0415 - the app and the verifier: only tasks that verify load them

    if not _or_fail(verify, settings):
        _fail(failure)


@task(
    help={
        "k": "only run tests whose names match this pytest -k expression",
        "workers": "parallel pytest workers (default 4: most tests wait on other processes); 0 runs in one process",
    }
)
def test(c: Context, k: str = "", workers: int = 4) -> None:
    """Run every test: unit tests, contract verification and the pipeline scenarios."""
    _settings()
    _or_fail(load_settings, ServerSettings)
    selection = f" -k {shlex.quote(k)}" if k else ""
    c.run(f"{PYTHON} -m pytest -n {workers} {shlex.quote(str(ROOT / 'tests'))}{selection}")


@task
def verify(c: Context) -> None:  # noqa: ARG001 - invoke passes the context
    """Verify the provider against its pacts (PACT_URL, the broker, or PACT_DIR, in that order)."""
    _verify(_settings(), "the provider does not honour its pacts (see above)")


@task(
    help={
        "host": "address to bind (default: HOST or 127.0.0.1)",
        "port": "port to listen on (default: PORT or 8000)",
        "provider_states": "also serve POST /_pact/provider-states for external verifiers",
    }
)
def serve(c: Context, host: str = "", port: int = 0, provider_states: bool = False) -> None:  # noqa: FBT001, FBT002
    """Serve the API with uvicorn (the `example-provider` command)."""
    args = [sys.executable, "-m", "example_provider"]
    if host:
        args += ["--host", host]
    if port:
        args += ["--port", str(port)]
    if provider_states:
        args.append("--provider-states")
    c.run(shlex.join(args), pty=os.isatty(1))


@task(
    help={
        "duration": "seconds of wrk load per server and route (default 10)",
        "connections": "concurrent wrk connections (default 32)",
        "rounds": "alternating wrk rounds per server and route; the median is reported (default 1)",
        "verify_rounds": "back-to-back rounds of the verifier comparison; the median is reported (default 9)",
        "suite": "also time `invoke test` (default on; --no-suite skips it)",
        "access_log": "serve ours with the access log on, as the baseline has it, so only the apps differ",
    }
)
def bench(  # noqa: PLR0913, PLR0917 - one option per benchmark knob
    c: Context,
    duration: int = 10,
    connections: int = 32,
    rounds: int = 1,
    verify_rounds: int = 9,
    suite: bool = True,  # noqa: FBT001, FBT002 - an invoke flag
    access_log: bool = False,  # noqa: FBT001, FBT002 - an invoke flag
) -> None:
    """Benchmark against the baselines (needs wrk): serving, the verifier, `invoke verify` and `invoke test`."""
    args = [sys.executable, "-m", "benchmarks.bench", f"--duration={duration}", f"--connections={connections}"]
    args += [f"--rounds={rounds}", f"--verify-rounds={verify_rounds}"] + ([] if suite else ["--no-suite"])
    args += ["--access-log"] if access_log else []
    with c.cd(str(ROOT)):
        result = c.run(shlex.join(args), warn=True)
    if result is not None and result.failed:
        raise SystemExit(result.exited)  # the benchmark has already said why


@task
def lint(c: Context) -> None:
    """Check formatting, lint and types: ruff format, ruff check, mypy (strict), and the workflows."""
    with c.cd(str(ROOT)):
        c.run(f"{PYTHON} -m ruff format --check .")
        c.run(f"{PYTHON} -m ruff check .")
        c.run(f"{PYTHON} -m mypy")
    lint_workflows(c)


@task
def lint_workflows(c: Context) -> None:
    """Check .github/workflows with actionlint and zizmor (offline: no GitHub API calls)."""
    tools = Path(sys.executable).parent
    with c.cd(str(ROOT)):
        c.run(f"{shlex.quote(str(tools / 'actionlint'))} -no-color")
        c.run(f"{shlex.quote(str(tools / 'zizmor'))} --offline --persona=pedantic .github/workflows")


@task
def docs(c: Context) -> None:  # noqa: ARG001 - invoke passes the context
    """Regenerate the settings tables (README.md, docs/pipeline.md) and .env.example from settings.py."""
    for path, kind in ((SERVER_DOC, ServerSettings), (PIPELINE_DOC, PipelineSettings)):
        before, rest = path.read_text(encoding="utf-8").split(TABLE_START, 1)
        path.write_text(
            f"{before}{TABLE_START}\n{settings_table(kind)}\n{TABLE_END}{rest.split(TABLE_END, 1)[1]}", "utf-8"
        )
    (ROOT / ".env.example").write_text(env_example(), encoding="utf-8")
    print("updated the settings tables in README.md and docs/pipeline.md, and .env.example")


# --- Pipeline -----------------------------------------------------------------------------------
# Each task loads the settings, asks example_provider.pipeline what to do, and runs it. Broker
# commands are echoed without secrets: credentials reach the pact CLI only through its environment.


def _checked(check: Callable[[PipelineSettings], None], settings: PipelineSettings) -> PipelineSettings:
    _or_fail(check, settings)
    return settings


def _reachable_broker(settings: PipelineSettings) -> PipelineSettings:
    """Stop with one line naming the broker (never a credential) when it cannot be used."""
    return _checked(broker.check_broker, settings)


def _run_broker(c: Context, command: pipeline.BrokerCommand, *, hide: bool = False) -> Result:
    print(f"$ {command.display}", flush=True)
    return c.run(command.display, env=command.env, warn=True, hide=hide, echo=False)


def _broker_step(c: Context, settings: PipelineSettings, command: pipeline.BrokerCommand, what: str) -> None:
    if not _run_broker(c, command).ok:
        _fail(f"{what} failed against the Pact Broker at {settings.broker_url} (see its output above)")


def _broker_task(c: Context, build: Callable[[PipelineSettings], pipeline.BrokerCommand], what: str) -> None:
    """A task that is one `pact broker` command: settings, a reachable broker, the command."""
    settings = _reachable_broker(_settings())
    _broker_step(c, settings, _or_fail(build, settings), what)


@task
def ci(c: Context) -> None:
    """The pipeline: verify (publishing when enabled), can-i-deploy, then deploy from the main branch only."""
    settings = _checked(pipeline.check_ci, _settings())
    _verify(settings, "the provider does not honour its pacts (see above); not asking can-i-deploy, nothing deployed")
    print(f"== can-i-deploy {settings.pacticipant} {settings.git_commit} to {settings.deploy_environment}")
    _broker_step(c, settings, pipeline.can_i_deploy(settings), "can-i-deploy")
    decision = pipeline.deploy_decision(settings)
    print(f"== deploy: {decision.reason}")
    if decision.deploy:
        deploy(c)


@task
def fake_ci(c: Context) -> None:
    """Run `ci` locally as CI would: CI=true, publishing on, GIT_COMMIT=<short sha>-<time>, GIT_BRANCH=this branch."""
    _as_ci(c, ci, new_version=True)


def _as_ci(c: Context, build: Callable[[Context], None], *, new_version: bool) -> None:
    """Run another task with the environment a CI build would give it."""
    fake = _or_fail(pipeline.fake_ci_environment, _settings(), dt.datetime.now(dt.UTC), new_version=new_version)
    print("fake CI: " + " ".join(f"{key}={value}" for key, value in fake.items()), flush=True)
    os.environ.update(fake)
    build(c)


@task
def ci_webhook(c: Context) -> None:  # noqa: ARG001 - invoke passes the context
    """Webhook build: verify only the pact at PACT_URL and publish under the GIT_COMMIT/GIT_BRANCH it came with."""
    settings = _checked(pipeline.check_webhook_build, _settings())
    _verify(settings, "the provider does not honour the changed pact (see above); the result tells the consumer")
    print("== webhook build: verified; no can-i-deploy and no deployment (the consumer's pipeline asks)")


@task
def fake_ci_webhook(c: Context) -> None:
    """Run `ci-webhook` locally as CI would: CI=true, publishing on, GIT_COMMIT/GIT_BRANCH as given (else git)."""
    _as_ci(c, ci_webhook, new_version=False)


@task
def can_i_deploy(c: Context) -> None:
    """Ask the broker whether GIT_COMMIT can go to DEPLOY_ENVIRONMENT (retrying while results are unknown)."""
    _broker_task(c, pipeline.can_i_deploy, "can-i-deploy")


@task
def deploy(c: Context) -> None:
    """Pretend to deploy GIT_COMMIT to DEPLOY_ENVIRONMENT, then record the deployment in the broker."""
    settings = _reachable_broker(_settings())  # before deploying: a deployment must be recorded
    command = _or_fail(pipeline.record_deployment, settings)
    print(f"deploying {settings.pacticipant} {settings.git_commit} to {settings.deploy_environment} (pretend)")
    _broker_step(c, settings, command, "record-deployment")


@task
def record_deployment(c: Context) -> None:
    """Tell the broker GIT_COMMIT is now deployed to DEPLOY_ENVIRONMENT (can-i-deploy relies on it)."""
    _broker_task(c, pipeline.record_deployment, "record-deployment")


@task(help={"production": "mark the environment as production (default); --no-production for a test environment"})
def create_environment(c: Context, production: bool = True) -> None:  # noqa: FBT001, FBT002
    """Create DEPLOY_ENVIRONMENT in a self-hosted broker if it is missing (PactFlow has production already)."""
    settings = _reachable_broker(_settings())
    listed = _run_broker(c, _or_fail(pipeline.list_environments, settings), hide=True)
    if not listed.ok:
        _fail(f"list-environments failed against the Pact Broker at {settings.broker_url}: {listed.stdout.strip()}")
    if _or_fail(pipeline.environment_exists, listed.stdout, settings.deploy_environment):
        print(f"environment {settings.deploy_environment} already exists: nothing to do")
        return
    command = pipeline.create_environment(settings, production=production)
    _broker_step(c, settings, command, "create-environment")


@task
def create_github_token_secret(c: Context) -> None:  # noqa: ARG001 - invoke passes the context
    """Store GITHUB_TOKEN as a PactFlow secret (GITHUB_TOKEN_SECRET_NAME) for the webhook to use."""
    settings = _reachable_broker(_checked(webhook.check_github_token, _settings()))
    headers = broker.authorization_header(Credentials.from_settings(settings))
    url = str(settings.broker_url)
    try:
        existing = broker.broker_request(f"{url}/secrets", broker=url, headers=headers)
    except broker.BrokerUnavailableError as error:
        _fail(f"{error} (secrets are a PactFlow feature; a self-hosted broker has none)")
    request = _or_fail(webhook.github_token_secret_request, settings, existing)
    _or_fail(broker.broker_request, request.url, broker=url, headers=headers, method=request.method, body=request.body)
    verb = "updated" if request.method == "PUT" else "created"
    print(f"{verb} the PactFlow secret {settings.github_token_secret_name} from GITHUB_TOKEN")


@task
def create_or_update_webhook(c: Context) -> None:
    """Make the broker dispatch verify_changed_pact.yml when a changed pact needs this provider's verification."""
    _broker_task(c, webhook.create_or_update_webhook, "create-or-update-webhook")


@task
def test_webhook(c: Context) -> None:
    """Ask the broker to execute the webhook once with the latest pact, to check the GitHub side."""
    _broker_task(c, webhook.webhook_test, "test-webhook")
