from __future__ import annotations

import datetime as dt
import subprocess
from pathlib import Path

import pytest

from example_provider.pipeline.settings import PipelineSettings
from example_provider.settings import ServerSettings, SettingsError, load_settings

SECRET = "s3cr3t-token-value"  # noqa: S105 - a marker to look for in output


@pytest.fixture(autouse=True)
def isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No .env from the repository and no git repository around (tests/conftest.py clears the variables)."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path.parent))
    return tmp_path


def test_defaults() -> None:
    server = load_settings(ServerSettings)
    assert (server.host, server.port, server.log_level, server.access_log) == ("127.0.0.1", 8000, "info", False)
    assert server.provider_states_enabled is False
    settings = load_settings(PipelineSettings)
    assert settings.pacticipant == "pactflow-example-provider-python"
    assert settings.main_branch == "main"
    assert settings.deploy_environment == "production"
    assert settings.pact_dir is None  # the repository's pacts/
    assert settings.publish_verification_results is False
    assert settings.broker_url is None
    assert settings.git_commit is None  # no git repository here
    assert settings.git_branch is None


def test_the_server_reads_no_pipeline_setting_and_runs_no_git(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PACT_BROKER_TOKEN", SECRET)
    monkeypatch.setenv("PACT_BROKER_USERNAME", "user")  # a conflict only the pipeline cares about
    monkeypatch.setattr(subprocess, "run", lambda *args, **_: pytest.fail(f"ran {args}"))
    assert set(load_settings(ServerSettings).model_dump()) == {
        "host", "port", "log_level", "access_log", "provider_states_enabled", "provider_states_allow_non_loopback",
        "api_token",
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


def test_standard_pact_names_are_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PACT_BROKER_BASE_URL", "https://broker.example.test/")
    monkeypatch.setenv("PACT_BROKER_TOKEN", SECRET)
    monkeypatch.setenv("PACT_BROKER_PUBLISH_VERIFICATION_RESULTS", "true")
    monkeypatch.setenv("GIT_COMMIT", "abc123")
    monkeypatch.setenv("GIT_BRANCH", "feat/x")
    monkeypatch.setenv("PACT_INCLUDE_WIP_PACTS_SINCE", "2026-03-01")
    settings = load_settings(PipelineSettings)
    assert settings.broker_url == "https://broker.example.test"
    assert settings.broker_token is not None
    assert settings.broker_token.get_secret_value() == SECRET
    assert settings.publish_verification_results is True
    assert (settings.git_commit, settings.git_branch) == ("abc123", "feat/x")
    assert settings.include_wip_pacts_since == dt.date(2026, 3, 1)
    assert SECRET not in repr(settings)
    assert SECRET not in str(settings.model_dump())


def test_dotenv_file_is_read(isolated: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(
        ServerSettings.model_config, "env_file", ".env"
    )  # as configured; tests/conftest.py turns it off
    (isolated / ".env").write_text("PORT=9001\nPROVIDER_STATES_ENABLED=true\n")
    settings = load_settings(ServerSettings)
    assert settings.port == 9001
    assert settings.provider_states_enabled is True


def test_flags_override_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PORT", "9001")
    assert load_settings(ServerSettings, port=9002).port == 9002


def test_empty_values_count_as_unset(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PACT_BROKER_BASE_URL", "")
    monkeypatch.setenv("PACT_URL", "")
    settings = load_settings(PipelineSettings)
    assert settings.broker_url is None
    assert settings.pact_url is None


def test_git_fallback(isolated: Path) -> None:
    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=isolated, check=True, capture_output=True, text=True).stdout.strip()

    git("init", "-q", "-b", "trunk")
    git("-c", "user.name=t", "-c", "user.email=t@example.test", "commit", "-q", "--allow-empty", "-m", "x")
    settings = load_settings(PipelineSettings)
    assert settings.git_commit == git("rev-parse", "HEAD")
    assert settings.git_branch == "trunk"


@pytest.mark.parametrize(
    ("env", "named"),
    [
        pytest.param(
            {"PACT_BROKER_TOKEN": SECRET, "PACT_BROKER_USERNAME": "user", "PACT_BROKER_PASSWORD": SECRET},
            ["PACT_BROKER_TOKEN", "PACT_BROKER_USERNAME"],
            id="token with username and password",
        ),
        pytest.param(
            {"PACT_BROKER_TOKEN": SECRET, "PACT_BROKER_USERNAME": "user"},
            ["PACT_BROKER_TOKEN", "PACT_BROKER_USERNAME"],
            id="token with username",
        ),
        pytest.param({"PACT_BROKER_USERNAME": "user"}, ["PACT_BROKER_PASSWORD"], id="username without password"),
        pytest.param(
            {"PACT_BROKER_PUBLISH_VERIFICATION_RESULTS": "true", "GIT_COMMIT": "abc"},
            ["PACT_BROKER_BASE_URL"],
            id="publishing without a broker",
        ),
        pytest.param(
            {"PACT_BROKER_PUBLISH_VERIFICATION_RESULTS": "true", "PACT_BROKER_BASE_URL": "http://127.0.0.1:1"},
            ["GIT_COMMIT"],
            id="publishing without a version",
        ),
        pytest.param(
            {"PACT_BROKER_BASE_URL": f"https://user:{SECRET}@broker.example.test"},
            ["PACT_BROKER_BASE_URL", "PACT_BROKER_PASSWORD"],
            id="password in the broker URL",
        ),
        pytest.param(
            {"PACT_URL": f"https://user:{SECRET}@broker.example.test/pacts/provider/p/consumer/c/latest"},
            ["PACT_URL", "PACT_BROKER_PASSWORD"],
            id="password in the pact URL",
        ),
        pytest.param({"PORT": "eighty"}, ["PORT"], id="port not a number"),
        pytest.param({"PORT": "70000"}, ["PORT"], id="port out of range"),
        pytest.param({"LOG_LEVEL": "loud"}, ["LOG_LEVEL"], id="unknown log level"),
        pytest.param({"PACT_BROKER_BASE_URL": "not a url"}, ["PACT_BROKER_BASE_URL"], id="broker URL"),
        pytest.param({"PACT_INCLUDE_WIP_PACTS_SINCE": "last week"}, ["PACT_INCLUDE_WIP_PACTS_SINCE"], id="WIP date"),
        pytest.param({"CAN_I_DEPLOY_RETRY_INTERVAL": "0"}, ["CAN_I_DEPLOY_RETRY_INTERVAL"], id="retry interval"),
        pytest.param({"PACT_DESCRIPTION": "("}, ["PACT_DESCRIPTION", "not a regular expression"], id="filter regex"),
    ],
)
def test_invalid_settings_name_the_variables(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], named: list[str]
) -> None:
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    with pytest.raises(SettingsError) as raised:
        load_settings(ServerSettings) if set(env) <= {"PORT", "LOG_LEVEL"} else load_settings(PipelineSettings)
    message = str(raised.value)
    assert "\n" not in message
    for name in named:
        assert name in message
    assert SECRET not in message


@pytest.mark.uses_environment
def test_a_dotenv_that_is_not_utf8_is_one_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / ".env").write_bytes(b"PACT_BROKER_TOKEN=s3cr\xff\xfet\n")
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SettingsError, match=r"^\.env: the file in .* cannot be read \(invalid start byte\)") as raised:
        load_settings(PipelineSettings)
    assert "s3cr" not in str(raised.value)
