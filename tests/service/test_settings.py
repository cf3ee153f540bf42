"""The server's settings: what `example-provider` reads, and how a bad one is reported."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from example_provider.settings import ServerSettings, SettingsError, load_settings

SECRET = "s3cr3t-token-value"  # noqa: S105 - a marker to look for in output
pytestmark = pytest.mark.usefixtures("outside_the_repository")


def test_defaults() -> None:
    server = load_settings(ServerSettings)
    assert (server.host, server.port, server.log_level, server.access_log) == ("127.0.0.1", 8000, "info", False)
    assert server.provider_states_enabled is False


def test_the_server_reads_no_pipeline_setting_and_runs_no_git(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PACT_BROKER_TOKEN", SECRET)
    monkeypatch.setenv("PACT_BROKER_USERNAME", "user")  # a conflict only the pipeline cares about
    monkeypatch.setattr(subprocess, "run", lambda *args, **_: pytest.fail(f"ran {args}"))
    assert set(load_settings(ServerSettings).model_dump()) == {
        "host", "port", "log_level", "access_log", "provider_states_enabled", "provider_states_allow_non_loopback",
        "allowed_hosts", "api_token", "database_url", "workers", "relay_enabled",
        "product_events_topic_arn",
    }  # fmt: skip


def test_the_api_token_is_a_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    assert load_settings(ServerSettings).api_token is None
    monkeypatch.setenv("API_TOKEN", SECRET)
    settings = load_settings(ServerSettings)
    assert settings.api_token is not None
    assert settings.api_token.get_secret_value() == SECRET
    assert SECRET not in repr(settings)
    assert SECRET not in str(settings.model_dump())
    monkeypatch.setenv("API_TOKEN", "")
    assert load_settings(ServerSettings).api_token is None, "empty counts as unset, like every setting"


def test_dotenv_file_is_read(outside_the_repository: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(
        ServerSettings.model_config, "env_file", ".env"
    )  # as configured; tests/conftest.py turns it off
    (outside_the_repository / ".env").write_text("PORT=9001\nPROVIDER_STATES_ENABLED=true\n")
    settings = load_settings(ServerSettings)
    assert settings.port == 9001
    assert settings.provider_states_enabled is True


def test_flags_override_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PORT", "9001")
    assert load_settings(ServerSettings, port=9002).port == 9002


@pytest.mark.parametrize(
    ("env", "named"),
    [
        pytest.param({"PORT": "eighty"}, ["PORT"], id="port not a number"),
        pytest.param({"PORT": "70000"}, ["PORT"], id="port out of range"),
        pytest.param({"LOG_LEVEL": "loud"}, ["LOG_LEVEL"], id="unknown log level"),
    ],
)
def test_invalid_settings_name_the_variables(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], named: list[str]
) -> None:
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    with pytest.raises(SettingsError) as raised:
        load_settings(ServerSettings)
    message = str(raised.value)
    assert "\n" not in message
    for name in named:
        assert name in message
