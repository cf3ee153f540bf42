"""The `example-provider` command: serving, flags over settings, and its errors."""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
import urllib.request
from pathlib import Path

import httpx
import pytest

from example_provider.app import check_exposure
from example_provider.cli import _parser
from example_provider.settings import ServerSettings, SettingsError, load_settings
from example_provider.verifier_endpoints import PROVIDER_STATES_PATH
from tests import forked
from tests.process import CONSOLE_SCRIPT, clean_env, run_provider

SECRET = "s3cr3t-token-value"  # noqa: S105 - a marker to look for in output


def test_serves_the_api() -> None:
    """The installed console script itself: every other test forks it from preloaded libraries."""
    with (
        run_provider(command=(CONSOLE_SCRIPT,)) as provider,
        urllib.request.urlopen(provider.base_url + "/products", timeout=5) as response,  # noqa: S310
    ):
        assert response.headers["Content-Type"] == "application/json; charset=utf-8"
        products = json.load(response)
    assert {"id": "10", "type": "CREDIT_CARD", "name": "28 Degrees", "version": "v1"} in products
    assert provider.base_url.startswith("http://127.0.0.1:")


def test_starting_runs_no_git_and_reads_no_broker_setting(tmp_path: Path) -> None:
    """The server needs neither: a git on PATH that leaves a mark, and broker settings that conflict."""
    marks = tmp_path / "git-ran"
    fake_git = tmp_path / "git"
    fake_git.write_text(f'#!/bin/sh\necho "$@" >> {marks}\n', encoding="utf-8")
    fake_git.chmod(0o755)
    env = {"PATH": f"{tmp_path}:{os.environ['PATH']}", "PACT_BROKER_TOKEN": SECRET, "PACT_BROKER_USERNAME": "user"}
    with run_provider(env=env) as provider, urllib.request.urlopen(provider.base_url + "/health", timeout=5):  # noqa: S310
        pass
    assert not marks.exists(), marks.read_text(encoding="utf-8")
    assert SECRET not in provider.output


def test_api_token_setting_guards_the_api_and_never_shows() -> None:
    env = {"API_TOKEN": SECRET, "LOG_LEVEL": "trace"}  # the most verbose logs
    with (
        run_provider("--provider-states", "--access-log", env=env) as provider,
        httpx.Client(base_url=provider.base_url, timeout=5) as client,
    ):
        right, wrong = {"Authorization": f"Bearer {SECRET}"}, {"Authorization": "Bearer wrong"}
        refused = [
            client.get("/products"),
            client.get("/products", headers=wrong),
            client.post(PROVIDER_STATES_PATH, json={"state": "products exist"}),
        ]
        assert [(r.status_code, r.headers["WWW-Authenticate"]) for r in refused] == [(401, "Bearer")] * 3
        assert client.get("/products", headers=right).status_code == 200
        assert client.post(PROVIDER_STATES_PATH, json={"state": "products exist"}, headers=right).status_code == 200
        assert [client.get(path).status_code for path in ("/health", "/docs", "/openapi.json")] == [200] * 3
    assert "GET /products" in provider.output, "the access log ran"
    assert "API_TOKEN is not set" not in provider.output
    assert SECRET not in provider.output
    for result in (run_cli("--help", env=env), run_cli(env={**env, "PORT": "eighty"})):
        assert SECRET not in result.stdout + result.stderr


def test_an_open_api_says_so_in_one_line() -> None:
    with run_provider() as provider, httpx.Client(base_url=provider.base_url, timeout=5) as client:
        assert client.get("/products").status_code == 200
    lines = [line for line in provider.lines if "API_TOKEN" in line]
    assert len(lines) == 1, provider.output
    assert "API_TOKEN is not set: the API accepts requests without a token" in lines[0]


def test_flags_override_settings() -> None:
    with run_provider(env={"HOST": "localhost"}) as provider:
        assert provider.base_url.startswith("http://localhost:"), "the setting alone applies"
    with run_provider("--host", "127.0.0.1", env={"HOST": "localhost", "LOG_LEVEL": "trace"}) as provider:
        assert provider.base_url.startswith("http://127.0.0.1:"), "the flag wins over the setting"
        assert "TRACE:" in provider.output, "a setting without a flag still applies"
    with run_provider("--log-level", "info", env={"LOG_LEVEL": "trace"}) as provider:
        assert "TRACE:" not in provider.output


def run_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """The command in an empty folder: the server reads `.env` from its working folder, and yours is not for tests."""
    with tempfile.TemporaryDirectory() as workdir:
        return forked.run([CONSOLE_SCRIPT, *args], env=clean_env(env), cwd=workdir, timeout=30)


@pytest.mark.parametrize(
    ("args", "env", "named"),
    [
        pytest.param((), {"PORT": "eighty"}, ["PORT"], id="bad port"),
        pytest.param(("--log-level", "loud"), {}, ["LOG_LEVEL"], id="bad log level flag"),
        pytest.param(
            ("--host", "0.0.0.0", "--provider-states"),  # noqa: S104 - refused before binding
            {},
            ["HOST", "PROVIDER_STATES_ENABLED", "PROVIDER_STATES_ALLOW_NON_LOOPBACK"],
            id="state endpoint on a non-loopback address",
        ),
        pytest.param((), {"PRODUCT_EVENTS_TOPIC_ARN": "products"}, ["PRODUCT_EVENTS_TOPIC_ARN"], id="not a topic ARN"),
        pytest.param(
            ("--host", "192.0.2.1"),
            {"PROVIDER_STATES_ENABLED": "true"},
            ["HOST", "PROVIDER_STATES_ALLOW_NON_LOOPBACK"],
            id="state endpoint by setting on a non-loopback address",
        ),
    ],
)
def test_bad_settings_give_one_clear_line(args: tuple[str, ...], env: dict[str, str], named: list[str]) -> None:
    result = run_cli(*args, env=env)
    assert result.returncode == 1
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("example-provider: ")
    for name in named:
        assert name in lines[0]
    assert SECRET not in result.stderr
    assert "Traceback" not in result.stderr


def test_help_lists_every_flag() -> None:
    flags = {option for action in _parser()._actions for option in action.option_strings}
    assert {"--host", "--port", "--provider-states", "--allow-non-loopback", "--log-level", "--access-log"} <= flags
    result = run_cli("--help")
    assert result.returncode == 0
    for flag in flags:
        assert flag in result.stdout, flag


@pytest.mark.parametrize("host", ["127.0.0.1", "127.0.0.2", "localhost", "::1", "[::1]"])
def test_state_endpoint_is_allowed_on_loopback(host: str) -> None:
    check_exposure(load_settings(ServerSettings, host=host, provider_states_enabled=True))


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.0.2.10", "example.internal", "localhost.example"])  # noqa: S104
def test_state_endpoint_is_refused_elsewhere(host: str) -> None:
    with pytest.raises(SettingsError, match="PROVIDER_STATES_ALLOW_NON_LOOPBACK"):
        check_exposure(load_settings(ServerSettings, host=host, provider_states_enabled=True))


def test_non_loopback_is_allowed_without_the_state_endpoint_or_when_allowed() -> None:
    anywhere = "0.0.0.0"  # noqa: S104
    check_exposure(load_settings(ServerSettings, host=anywhere))
    allowed = {"provider_states_enabled": True, "provider_states_allow_non_loopback": True}
    check_exposure(load_settings(ServerSettings, host=anywhere, **allowed))
    with pytest.raises(SettingsError):
        check_exposure(load_settings(ServerSettings, host=anywhere, provider_states_enabled=True))
