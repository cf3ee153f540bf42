"""Invoke tasks: thin wrappers over pytest, the package and the `pact` CLI.

Run `invoke --list` for the tasks and `invoke --help <task>` for each one's options.
Every command uses this interpreter's environment, so `.venv/bin/invoke` works without
activating the virtualenv.
"""

from __future__ import annotations

import os
import shlex
import sys
from pathlib import Path

from invoke.context import Context
from invoke.tasks import task

from example_provider.settings import Settings, SettingsError, load_settings
from example_provider.verification import plan_verification

ROOT = Path(__file__).resolve().parent
PYTHON = shlex.quote(sys.executable)
TOOL_ENV = {"PACT_DO_NOT_TRACK": "true"}
VERIFICATION_TEST = "tests/contract/test_provider_contract.py::test_provider_honours_pacts"


def _fail(message: str) -> None:
    print(f"error: {message}", file=sys.stderr)
    raise SystemExit(1)


def _settings() -> Settings:
    """Load the settings once, up front, so a bad one stops the task with one clear line."""
    try:
        return load_settings()
    except SettingsError as error:
        _fail(str(error))
        raise  # unreachable: _fail exits


def _check_pact_source() -> None:
    """Stop with one clear line when the settings name no usable pact source."""
    try:
        plan_verification(_settings())
    except SettingsError as error:
        _fail(str(error))


@task(help={"k": "only run tests whose names match this pytest -k expression"})
def test(c: Context, k: str = "") -> None:
    """Run every test: unit tests and contract verification."""
    _settings()
    selection = f" -k {shlex.quote(k)}" if k else ""
    c.run(f"{PYTHON} -m pytest {shlex.quote(str(ROOT / 'tests'))}{selection}", env=TOOL_ENV)


@task
def verify(c: Context) -> None:
    """Verify the provider against its pacts (PACT_URL, the broker, or PACT_DIR, in that order)."""
    _check_pact_source()
    # From the caller's directory, so a relative PACT_DIR or PACT_URL means what they typed.
    c.run(f"{PYTHON} -m pytest -p no:cacheprovider {shlex.quote(str(ROOT / VERIFICATION_TEST))}", env=TOOL_ENV)


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
    c.run(shlex.join(args), env=TOOL_ENV, pty=os.isatty(1))


@task
def lint(c: Context) -> None:
    """Check formatting, lint and types: ruff format, ruff check, mypy (strict)."""
    with c.cd(str(ROOT)):
        c.run(f"{PYTHON} -m ruff format --check .")
        c.run(f"{PYTHON} -m ruff check .")
        c.run(f"{PYTHON} -m mypy")


@task
def docs(c: Context) -> None:  # noqa: ARG001 - invoke passes the context
    """Regenerate the README's settings table and .env.example from example_provider/settings.py."""
    from example_provider.settings import env_example, settings_table  # noqa: PLC0415

    readme = ROOT / "README.md"
    start, end = "<!-- settings-table:start -->", "<!-- settings-table:end -->"
    text = readme.read_text(encoding="utf-8")
    before, rest = text.split(start, 1)
    after = rest.split(end, 1)[1]
    readme.write_text(f"{before}{start}\n{settings_table()}\n{end}{after}", encoding="utf-8")
    (ROOT / ".env.example").write_text(env_example(), encoding="utf-8")
    print("updated README.md (settings table) and .env.example")
