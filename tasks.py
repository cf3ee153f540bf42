"""Invoke tasks: each reads its settings and calls one function of the pipeline (example_provider.pipeline).

Run `invoke --list` for the tasks and `invoke --help <task>` for each one's options. A bad setting
or an unusable broker ends a task with one line on stderr and exit 1 (`PipelineError`, invoke's
`Exit`). Every command uses this interpreter's environment, so `.venv/bin/invoke` works without
activating the virtualenv.
"""

from __future__ import annotations

import atexit
import gc
import os
import shlex
import sys
from pathlib import Path

from invoke.context import Context
from invoke.exceptions import Exit
from invoke.tasks import task

from example_provider.pipeline import docs as settings_docs
from example_provider.pipeline import jobs
from example_provider.pipeline.errors import read
from example_provider.pipeline.settings import PipelineSettings
from example_provider.settings import ServerSettings

ROOT = Path(__file__).resolve().parent
PYTHON = shlex.quote(sys.executable)
# The pact tools never call home: the verifier in this process, and every command it starts.
os.environ["PACT_DO_NOT_TRACK"] = "true"
# At exit, Python's last garbage collections walk every object the imports made: 0.2-0.3 s of
# `invoke verify` here (benchmarks/README.md). Frozen, they are left to the OS, and nothing still
# alive is finalized: the tasks close their files and dispose of their engines themselves. The
# atexit hooks (logging, temporary folders) run as before.
atexit.register(gc.freeze)


@task(
    help={
        "k": "only run tests whose names match this pytest -k expression",
        "workers": "parallel pytest workers (default: one more than the CPUs, as some tests wait on other "
        "processes, and at most 4); 0 runs in one process",
    }
)
def test(c: Context, k: str = "", workers: int = min((os.cpu_count() or 1) + 1, 4)) -> None:
    """Run every test: the service, the pipeline, contract verification and the pipeline scenarios.

    Settings: those of `verify`, for the contract gate (the environment only, never .env);
    PACT_BROKER_TEST_URL for the scenarios (docs/broker-tests.md).
    """
    read(PipelineSettings)  # a bad setting stops here, in one line, before pytest starts
    read(ServerSettings)
    selection = f" -k {shlex.quote(k)}" if k else ""
    # worksteal: a worker that runs out takes tests queued for another, so the slow ones do not end the run alone
    c.run(f"{PYTHON} -m pytest -n {workers} --dist worksteal {shlex.quote(str(ROOT / 'tests'))}{selection}")


@task
def verify(c: Context) -> None:  # noqa: ARG001 - invoke passes the context
    """Verify the provider against its pacts (PACT_URL, the broker, or PACT_DIR, in that order).

    Settings: PACT_URL, PACT_DIR, PACTICIPANT, PACT_FAIL_IF_NO_PACTS_FOUND, PACT_INCLUDE_WIP_PACTS_SINCE; the
    broker: PACT_BROKER_BASE_URL, PACT_BROKER_TOKEN or PACT_BROKER_USERNAME and PACT_BROKER_PASSWORD;
    PACT_CONSUMER_VERSION_SELECTORS; PACT_DESCRIPTION, PACT_PROVIDER_STATE, PACT_PROVIDER_NO_STATE;
    PACT_BROKER_PUBLISH_VERIFICATION_RESULTS, GIT_COMMIT, GIT_BRANCH, BUILD_URL; API_TOKEN; VERIFY_DATABASE_URL.
    """
    jobs.verify(read(PipelineSettings), read(ServerSettings))


@task(
    help={
        "host": "address to bind (default: HOST or 127.0.0.1)",
        "port": "port to listen on (default: PORT or 8000; 0 picks a free one)",
        "provider_states": "also serve POST /_pact/provider-states and /_pact/messages for Pact verifiers",
    }
)
def serve(c: Context, host: str = "", port: str = "", provider_states: bool = False) -> None:  # noqa: FBT001, FBT002
    """Serve the API with uvicorn (the `example-provider` command), from the project's root and its .env.

    Settings: HOST, PORT, WORKERS, LOG_LEVEL, ACCESS_LOG, PROVIDER_STATES_ENABLED,
    PROVIDER_STATES_ALLOW_NON_LOOPBACK, ALLOWED_HOSTS, API_TOKEN, DATABASE_URL, RELAY_ENABLED,
    PRODUCT_EVENTS_TOPIC_ARN.
    """
    args = [sys.executable, "-m", "example_provider"]
    if host:
        args += ["--host", host]
    if port:  # a string, so that 0 (a free port) is passed on too
        args += ["--port", port]
    if provider_states:
        args.append("--provider-states")
    with c.cd(str(ROOT)):  # the server reads .env from its working folder: the project's, as every task does
        c.run(shlex.join(args), pty=os.isatty(1))


@task(
    help={
        "duration": "seconds of wrk load per server and route (default 10)",
        "connections": "concurrent wrk connections (default 32)",
        "rounds": "alternating wrk rounds per server and route; the median is reported (default 1)",
        "verify_rounds": "back-to-back rounds of the verifier comparison; the median is reported (default 9)",
        "suite": "also time `invoke test` (default on; --no-suite skips it)",
        "access_log": "serve ours with the access log on, as the baselines have it, so only the apps differ",
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
    """Benchmark against the baselines (needs wrk): serving, the verifier, `invoke verify` and `invoke test`.

    Serving is judged against the FastAPI-tutorial shape over SQLite, `invoke test` in CPU calibrations.
    BENCH_DATABASE_URL in the environment (a PostgreSQL database) adds a serving run there, reported only.

    Settings: none; `invoke verify` and `invoke test`, which it times, run with none of theirs set.
    """
    args = [sys.executable, "-m", "benchmarks.bench", f"--duration={duration}", f"--connections={connections}"]
    args += [f"--rounds={rounds}", f"--verify-rounds={verify_rounds}"] + ([] if suite else ["--no-suite"])
    args += ["--access-log"] if access_log else []
    with c.cd(str(ROOT)):
        result = c.run(shlex.join(args), warn=True)
    if result is not None and result.failed:
        raise SystemExit(result.exited)  # the benchmark has already said why


@task
def lint(c: Context) -> None:
    """Check formatting, lint and types (ruff format, ruff check, mypy strict), the generated docs, the workflows.

    Settings: none.
    """
    with c.cd(str(ROOT)):
        c.run(f"{PYTHON} -m ruff format --check .")
        c.run(f"{PYTHON} -m ruff check .")
        c.run(f"{PYTHON} -m mypy")
    docs(c, check=True)
    lint_workflows(c)


@task
def lint_workflows(c: Context) -> None:
    """Check .github/workflows with actionlint and zizmor (offline: no GitHub API calls).

    Settings: none.
    """
    tools = Path(sys.executable).parent
    with c.cd(str(ROOT)):
        c.run(f"{shlex.quote(str(tools / 'actionlint'))} -no-color")
        c.run(f"{shlex.quote(str(tools / 'zizmor'))} --offline --persona=pedantic .github/workflows")


@task(help={"check": "only check that they match the settings (as `invoke lint` does); write nothing"})
def docs(c: Context, check: bool = False) -> None:  # noqa: ARG001, FBT001, FBT002 - invoke passes the context; a flag
    """Regenerate the settings tables (README.md, docs/pipeline.md) and .env.example from the settings classes.

    Settings: none.
    """
    if check:
        if stale := settings_docs.stale_docs():
            names = ", ".join(str(path.relative_to(ROOT)) for path in stale)
            msg = f"error: {names} do not match the settings: run `invoke docs`"
            raise Exit(msg)
        return
    written = settings_docs.write_docs()
    print("updated " + ", ".join(str(path.relative_to(ROOT)) for path in written))


# --- Pipeline: each task is one job of example_provider/pipeline/jobs.py ------------------------


@task
def ci(c: Context) -> None:
    """The pipeline: verify (publishing when enabled), can-i-deploy, then deploy from the main branch only.

    Settings: those of `verify`; DEPLOY_ENVIRONMENT, CAN_I_DEPLOY_RETRY_WHILE_UNKNOWN,
    CAN_I_DEPLOY_RETRY_INTERVAL, MAIN_BRANCH; PACT_CLI, PACT_BROKER_HTTP_RETRIES.
    """
    jobs.ci(c, read(PipelineSettings), read(ServerSettings))


@task
def fake_ci(c: Context) -> None:
    """Run `ci` locally as CI would: CI=true, publishing on, GIT_COMMIT/GIT_BRANCH as given, else git (a clean tree).

    Settings: those of `ci`, publishing forced on.
    """
    jobs.ci(c, jobs.as_ci(read(PipelineSettings), webhook=False), read(ServerSettings))


@task
def ci_webhook(c: Context) -> None:  # noqa: ARG001 - invoke passes the context
    """Webhook build: verify only the pact at PACT_URL and publish under the GIT_COMMIT/GIT_BRANCH it came with.

    Settings: PACT_URL, PACTICIPANT; the broker: PACT_BROKER_BASE_URL, PACT_BROKER_TOKEN or
    PACT_BROKER_USERNAME and PACT_BROKER_PASSWORD; PACT_BROKER_PUBLISH_VERIFICATION_RESULTS, GIT_COMMIT,
    GIT_BRANCH, BUILD_URL; API_TOKEN.
    """
    jobs.ci_webhook(read(PipelineSettings), read(ServerSettings))


@task
def fake_ci_webhook(c: Context) -> None:  # noqa: ARG001 - invoke passes the context
    """Run `ci-webhook` locally as CI would: CI=true, publishing on, GIT_COMMIT/GIT_BRANCH as given, else git.

    Settings: those of `ci-webhook`, publishing forced on.
    """
    jobs.ci_webhook(jobs.as_ci(read(PipelineSettings), webhook=True), read(ServerSettings))


@task
def can_i_deploy(c: Context) -> None:
    """Ask the broker whether GIT_COMMIT (default: this commit, as fake-ci publishes it) can go to DEPLOY_ENVIRONMENT.

    Settings: PACT_BROKER_BASE_URL, PACT_BROKER_TOKEN or PACT_BROKER_USERNAME and PACT_BROKER_PASSWORD;
    PACTICIPANT, GIT_COMMIT, DEPLOY_ENVIRONMENT, CAN_I_DEPLOY_RETRY_WHILE_UNKNOWN,
    CAN_I_DEPLOY_RETRY_INTERVAL; PACT_CLI, PACT_BROKER_HTTP_RETRIES.
    """
    jobs.can_i_deploy(c, read(PipelineSettings))


@task
def deploy(c: Context) -> None:
    """Pretend to deploy GIT_COMMIT to DEPLOY_ENVIRONMENT, then record the deployment in the broker.

    Settings: PACT_BROKER_BASE_URL, PACT_BROKER_TOKEN or PACT_BROKER_USERNAME and PACT_BROKER_PASSWORD;
    PACTICIPANT, GIT_COMMIT, DEPLOY_ENVIRONMENT; PACT_CLI, PACT_BROKER_HTTP_RETRIES.
    """
    jobs.deploy(c, read(PipelineSettings))


@task
def record_deployment(c: Context) -> None:
    """Tell the broker GIT_COMMIT is now deployed to DEPLOY_ENVIRONMENT (can-i-deploy relies on it).

    Settings: PACT_BROKER_BASE_URL, PACT_BROKER_TOKEN or PACT_BROKER_USERNAME and PACT_BROKER_PASSWORD;
    PACTICIPANT, GIT_COMMIT, DEPLOY_ENVIRONMENT; PACT_CLI, PACT_BROKER_HTTP_RETRIES.
    """
    jobs.record_deployment(c, read(PipelineSettings))


@task(help={"production": "mark the environment as production (default); --no-production for a test environment"})
def create_environment(c: Context, production: bool = True) -> None:  # noqa: FBT001, FBT002
    """Create DEPLOY_ENVIRONMENT in a self-hosted broker if it is missing (PactFlow has production already).

    Settings: PACT_BROKER_BASE_URL, PACT_BROKER_TOKEN or PACT_BROKER_USERNAME and PACT_BROKER_PASSWORD;
    DEPLOY_ENVIRONMENT; PACT_CLI, PACT_BROKER_HTTP_RETRIES.
    """
    jobs.create_environment(c, read(PipelineSettings), production=production)


@task
def create_github_token_secret(c: Context) -> None:  # noqa: ARG001 - invoke passes the context
    """Store GITHUB_TOKEN as a PactFlow secret (GITHUB_TOKEN_SECRET_NAME) for the webhook to use.

    Settings: PACT_BROKER_BASE_URL, PACT_BROKER_TOKEN; GITHUB_TOKEN, GITHUB_TOKEN_SECRET_NAME.
    """
    jobs.create_github_token_secret(read(PipelineSettings))


@task
def create_or_update_webhook(c: Context) -> None:
    """Make the broker dispatch verify_changed_pact.yml when a changed pact needs this provider's verification.

    Settings: PACT_BROKER_BASE_URL, PACT_BROKER_TOKEN or PACT_BROKER_USERNAME and PACT_BROKER_PASSWORD;
    PACTICIPANT, GITHUB_REPOSITORY, GITHUB_API_URL, GITHUB_TOKEN_SECRET_NAME, PACT_WEBHOOK_UUID; PACT_CLI,
    PACT_BROKER_HTTP_RETRIES.
    """
    jobs.create_or_update_webhook(c, read(PipelineSettings))


@task
def test_webhook(c: Context) -> None:
    """Ask the broker to execute the webhook once with the latest pact, to check the GitHub side.

    Settings: PACT_BROKER_BASE_URL, PACT_BROKER_TOKEN or PACT_BROKER_USERNAME and PACT_BROKER_PASSWORD;
    PACTICIPANT, GITHUB_REPOSITORY, PACT_WEBHOOK_UUID; PACT_CLI, PACT_BROKER_HTTP_RETRIES.
    """
    jobs.test_webhook(c, read(PipelineSettings))
