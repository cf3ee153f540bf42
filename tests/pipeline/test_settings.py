"""The pipeline's settings: the standard Pact names, git fallbacks, and errors that name the variable."""

from __future__ import annotations

import datetime as dt
import subprocess
from pathlib import Path

import pytest

from example_provider.pipeline.settings import PipelineSettings
from example_provider.settings import SettingsError, load_settings

SECRET = "s3cr3t-token-value"  # noqa: S105 - a marker to look for in output
pytestmark = pytest.mark.usefixtures("outside_the_repository")


def test_defaults() -> None:
    settings = load_settings(PipelineSettings)
    assert settings.pacticipant == PipelineSettings.model_fields["pacticipant"].default  # the one line naming it
    assert settings.main_branch == "main"
    assert settings.deploy_environment == "production"
    assert settings.pact_dir is None  # the repository's pacts/
    assert settings.publish_verification_results is False
    assert settings.broker_url is None
    assert settings.git_commit is None  # no git repository here
    assert settings.git_branch is None


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


def test_empty_values_count_as_unset(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PACT_BROKER_BASE_URL", "")
    monkeypatch.setenv("PACT_URL", "")
    settings = load_settings(PipelineSettings)
    assert settings.broker_url is None
    assert settings.pact_url is None


def test_git_fallback(outside_the_repository: Path) -> None:
    def git(*args: str) -> str:
        return subprocess.run(
            ["git", *args], cwd=outside_the_repository, check=True, capture_output=True, text=True
        ).stdout.strip()

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
        load_settings(PipelineSettings)
    message = str(raised.value)
    assert "\n" not in message
    for name in named:
        assert name in message
    assert SECRET not in message


@pytest.mark.uses_environment
def test_a_dotenv_that_is_not_utf8_is_one_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / ".env").write_bytes(b"PACT_BROKER_TOKEN=s3cr\xff\xfet\n")
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SettingsError, match=r"^\.env: the file .* cannot be read \(invalid start byte\)") as raised:
        load_settings(PipelineSettings)
    assert "s3cr" not in str(raised.value)
