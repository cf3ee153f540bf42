"""Unit tests for example_provider.pipeline: the commands, the deploy rule and fake CI, from settings."""

from __future__ import annotations

import json
import shlex
import subprocess
from pathlib import Path
from typing import Any

import pytest

from example_provider.pipeline import broker, commands, webhook
from example_provider.pipeline.errors import PipelineError
from example_provider.pipeline.settings import PipelineSettings
from tests.scenarios.conftest import setting_names
from tests.servers import refusing_url

SECRET = "s3cr3t-token-value"  # noqa: S105 - a test credential
GITHUB_TOKEN = "ghp_real"  # noqa: S105 - a test credential


@pytest.fixture(autouse=True)
def isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No setting from the caller's environment or .env (CI sets GITHUB_RUN_ID, for one)."""
    for name in setting_names():
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)


def _settings(**values: Any) -> PipelineSettings:
    base: dict[str, Any] = {
        "broker_base_url": "https://broker.example/",
        "git_commit": "abc1234def",
        "git_branch": "main",
        "pact_cli": "/opt/pact/bin/pact",
        "github_repository": "acme/provider",
        "pacticipant": "commands-test-provider",
    }
    return PipelineSettings(**(base | values))


@pytest.mark.parametrize(
    "credentials",
    [
        pytest.param({"broker_token": SECRET}, id="bearer token"),
        pytest.param({"broker_username": "ci", "broker_password": SECRET}, id="basic auth"),
    ],
)
@pytest.mark.parametrize(
    "build",
    [
        commands.can_i_deploy,
        commands.record_deployment,
        commands.list_environments,
        webhook.create_or_update_webhook,
        webhook.webhook_test,
    ],
)
def test_secrets_travel_in_the_environment_never_on_the_command_line(build: Any, credentials: dict[str, str]) -> None:
    command = build(_settings(**credentials))
    assert SECRET not in shlex.join(command.argv)
    assert SECRET not in command.display
    assert SECRET not in repr(command)
    assert SECRET in command.env.values()
    assert command.env["PACT_BROKER_BASE_URL"] == "https://broker.example"
    assert command.env["PACT_DO_NOT_TRACK"] == "true"


def test_can_i_deploy_asks_about_this_version_and_environment() -> None:
    command = commands.can_i_deploy(_settings(deploy_environment="staging"))
    assert command.argv == (
        "/opt/pact/bin/pact", "broker", "can-i-deploy", "--pacticipant", "commands-test-provider",
        "--version", "abc1234def", "--to-environment", "staging",
    )  # fmt: skip


def test_can_i_deploy_retries_while_unknown_when_asked_to() -> None:
    argv = commands.can_i_deploy(_settings(can_i_deploy_retry_while_unknown=6, can_i_deploy_retry_interval=15)).argv
    assert argv[-4:] == ("--retry-while-unknown", "6", "--retry-interval", "15")


@pytest.mark.parametrize(
    ("branch", "deploys"),
    [
        pytest.param("main", True, id="main branch deploys"),
        pytest.param("feat/x", False, id="feature branch does not"),
        pytest.param(None, False, id="detached checkout does not"),
    ],
)
def test_only_the_main_branch_deploys(branch: str | None, deploys: bool) -> None:  # noqa: FBT001
    settings = _settings()
    settings.git_branch = branch
    decision = commands.deploy_decision(settings)
    assert decision.deploy is deploys
    assert ("MAIN_BRANCH" in decision.reason) is not deploys


def test_a_configured_main_branch_is_respected() -> None:
    assert commands.deploy_decision(_settings(main_branch="trunk", git_branch="trunk")).deploy
    assert not commands.deploy_decision(_settings(main_branch="trunk", git_branch="main")).deploy


def test_fake_ci_publishes_this_commit_on_this_branch() -> None:
    """The version can-i-deploy asks about by default: the commit itself."""
    env = commands.fake_ci_environment(_settings(git_branch="feat/x"))
    assert env == {
        "CI": "true",
        "PACT_BROKER_PUBLISH_VERIFICATION_RESULTS": "true",
        "GIT_COMMIT": "abc1234def",
        "GIT_BRANCH": "feat/x",
    }


def test_fake_ci_needs_a_branch_and_a_webhook_build_does_not() -> None:
    settings = _settings()
    settings.git_branch = None
    with pytest.raises(PipelineError, match="GIT_BRANCH"):
        commands.fake_ci_environment(settings)
    webhook = commands.fake_ci_environment(settings, webhook=True)
    assert webhook["GIT_BRANCH"] == ""
    commands.check_webhook_build(
        _settings(pact_url="https://broker.example/pacts/x", git_branch=None, publish_verification_results=True)
    )


def _git_checkout(path: Path) -> None:
    def git(*args: str) -> None:
        subprocess.run(["git", "-C", str(path), *args], check=True, capture_output=True)

    git("init", "-q", "-b", "main")
    (path / "app.py").write_text("v1\n", encoding="utf-8")
    git("add", "app.py")
    git("-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "-m", "v1")


def test_fake_ci_refuses_a_dirty_tree_unless_given_a_version(tmp_path: Path) -> None:
    _git_checkout(tmp_path)
    from_git = {"git_commit": None, "git_branch": None}
    commands.check_fake_ci(_settings(**from_git), webhook=False)  # clean: fine
    (tmp_path / "app.py").write_text("v2, not committed\n", encoding="utf-8")
    settings = _settings(**from_git)
    assert settings.version_from_git
    with pytest.raises(PipelineError) as raised:
        commands.check_fake_ci(settings, webhook=False)
    assert str(raised.value).startswith("the working tree has uncommitted changes")
    commands.check_fake_ci(_settings(), webhook=False)  # the advice: GIT_COMMIT names the version
    subprocess.run(["git", "-C", str(tmp_path), "stash", "-u", "-q"], check=True)
    commands.check_fake_ci(_settings(**from_git), webhook=False)


@pytest.mark.parametrize(
    ("webhook", "values", "message", "advice"),
    [
        pytest.param(
            False,
            {"broker_base_url": None},
            r"^PACT_BROKER_BASE_URL: this task talks to a Pact Broker; set it",
            {"broker_base_url": "https://broker.example"},
            id="fake-ci without a broker: set it",
        ),
        pytest.param(
            False,
            {"pact_url": "https://broker.example/pacts/1"},
            r"^PACT_URL: it is set, .*; unset PACT_URL",
            {"pact_url": None},
            id="fake-ci with PACT_URL: unset it",
        ),
        pytest.param(
            False,
            {"description_filter": "x"},
            r"^PACT_DESCRIPTION, .*: fake CI publishes its results, .*; unset them",
            {"description_filter": None},
            id="fake-ci with a filter: unset it",
        ),
        pytest.param(
            True,
            {"pact_url": None},
            r"^PACT_URL: ci-webhook verifies the one pact a webhook names; set PACT_URL",
            {"pact_url": "https://broker.example/pacts/1"},
            id="fake-ci-webhook without PACT_URL: set it",
        ),
        pytest.param(
            True,
            {"pact_url": "pacts/a.json"},
            r"^PACT_URL: 'pacts/a.json' is a local file, .*; give the pact's URL in the broker",
            {"pact_url": "https://broker.example/pacts/1"},
            id="fake-ci-webhook with a file: give the URL",
        ),
    ],
)
def test_fake_ci_advice_works_when_followed(
    webhook: bool,  # noqa: FBT001
    values: dict[str, Any],
    message: str,
    advice: dict[str, Any],
) -> None:
    """Checked before fake CI turns publishing on, so no advice says to turn it off (which fake CI cannot)."""
    with pytest.raises(PipelineError, match=message) as raised:
        commands.check_fake_ci(_settings(**values), webhook=webhook)
    assert "PUBLISH_VERIFICATION_RESULTS=false" not in str(raised.value)
    commands.check_fake_ci(_settings(**values | advice), webhook=webhook)


def test_broker_tasks_need_a_broker() -> None:
    with pytest.raises(PipelineError, match=r"^PACT_BROKER_BASE_URL: "):
        commands.can_i_deploy(_settings(broker_base_url=None))


def test_ci_refuses_a_webhook_build_and_ci_webhook_needs_one() -> None:
    with pytest.raises(PipelineError, match=r"^PACT_URL: .*ci-webhook"):
        commands.check_ci(_settings(pact_url="https://broker.example/pacts/x"))
    with pytest.raises(PipelineError, match=r"^PACT_URL: "):
        commands.check_webhook_build(_settings())


def test_environment_exists_reads_list_environments_json() -> None:
    listed = json.dumps({"_embedded": {"environments": [{"name": "test"}, {"name": "production"}]}})
    assert commands.environment_exists(listed, "production")
    assert not commands.environment_exists(listed, "staging")
    assert not commands.environment_exists("", "production")


def test_webhook_uuid_is_stable_per_repository_and_overridable() -> None:
    first = webhook.webhook_uuid(_settings())
    assert first == webhook.webhook_uuid(_settings())
    assert first != webhook.webhook_uuid(_settings(github_repository="acme/other"))
    given = "0b7e1d9c-3f39-4f0f-a3b5-8f5b8a8f1c11"
    assert webhook.webhook_uuid(_settings(webhook_uuid=given)) == given
    with pytest.raises(PipelineError, match=r"^PACT_WEBHOOK_UUID: "):
        webhook.webhook_uuid(_settings(webhook_uuid="not-a-uuid"))


@pytest.mark.parametrize(
    ("remote", "repository"),
    [
        pytest.param("git@github.com:acme/provider.git", "acme/provider", id="ssh"),
        pytest.param("https://github.com/acme/provider", "acme/provider", id="https"),
        pytest.param("https://gitlab.example/acme/provider.git", None, id="not GitHub"),
        pytest.param(None, None, id="no remote"),
    ],
)
def test_repository_from_the_origin_remote(remote: str | None, repository: str | None) -> None:
    assert webhook._repository_from_remote(remote) == repository


def test_webhook_header_names_the_broker_secret_not_the_token() -> None:
    argv = webhook.create_or_update_webhook(_settings(github_token=GITHUB_TOKEN, github_token_secret_name="gh")).argv  # noqa: S106
    assert "Authorization: Bearer ${user.gh}" in argv
    assert not any(GITHUB_TOKEN in arg for arg in argv)


@pytest.mark.parametrize(
    ("api", "url"),
    [
        pytest.param(None, "https://api.github.com/repos/acme/provider/dispatches", id="github.com"),
        pytest.param(
            "https://github.example/api/v3/", "https://github.example/api/v3/repos/acme/provider/dispatches", id="GHES"
        ),
    ],
)
def test_webhook_calls_the_github_api_of_github_api_url(api: str | None, url: str) -> None:
    settings = _settings(**({"github_api_url": api} if api else {}))
    assert webhook.create_or_update_webhook(settings).argv[3] == url


def test_github_token_secret_is_created_or_updated_by_name() -> None:
    settings = _settings(broker_token=SECRET, github_token=GITHUB_TOKEN)
    created = webhook.github_token_secret_request(settings, json.dumps({"_embedded": {"secrets": []}}))
    assert (created.method, created.url) == ("POST", "https://broker.example/secrets")
    assert json.loads(created.body)["value"] == GITHUB_TOKEN
    assert GITHUB_TOKEN not in repr(created)
    href = "https://broker.example/secrets/1"
    listed = {"_embedded": {"secrets": [{"name": "githubToken", "_links": {"self": {"href": href}}}]}}
    updated = webhook.github_token_secret_request(settings, json.dumps(listed))
    assert (updated.method, updated.url) == ("PUT", href)
    with pytest.raises(PipelineError, match=r"^GITHUB_TOKEN: "):
        webhook.github_token_secret_request(_settings(), "{}")


def test_a_secret_linked_to_another_host_is_not_sent_there() -> None:
    """The broker's answer names the URL the update goes to, with the broker token and GITHUB_TOKEN."""
    settings = _settings(broker_token=SECRET, github_token=GITHUB_TOKEN)
    elsewhere = {"href": "https://evil.example/secrets/1"}
    listed = {"_embedded": {"secrets": [{"name": "githubToken", "_links": {"self": elsewhere}}]}}
    with pytest.raises(broker.BrokerUnavailableError, match="links its secret githubToken to another host") as raised:
        webhook.github_token_secret_request(settings, json.dumps(listed))
    assert GITHUB_TOKEN not in str(raised.value)
    assert SECRET not in str(raised.value)


def test_build_url_is_derived_on_github_actions_unless_given() -> None:
    derived = _settings(github_run_id="99", github_server_url="https://github.example")
    assert derived.build_url == "https://github.example/acme/provider/actions/runs/99"
    assert _settings(github_run_id="99", build_url="https://ci.example/1").build_url == "https://ci.example/1"
    assert _settings().build_url is None


@pytest.mark.parametrize(
    ("status", "says"),
    [
        pytest.param(401, "refused the credentials (HTTP 401)", id="401"),
        pytest.param(403, "refused the credentials (HTTP 403)", id="403"),
        pytest.param(503, "failed with HTTP 503", id="503"),
        pytest.param(404, "answered HTTP 404", id="404"),
    ],
)
def test_broker_problems_name_the_broker_and_what_to_check(status: int, says: str) -> None:
    message = broker._http_problem("https://broker.example", status)
    assert message.startswith(f"the Pact Broker at https://broker.example {says}")


def test_an_unreachable_broker_is_one_clear_error() -> None:
    with refusing_url() as url, pytest.raises(broker.BrokerUnavailableError) as raised:
        broker.check_broker(_settings(broker_base_url=url, broker_token=SECRET))
    assert str(raised.value).startswith(f"the Pact Broker at {url} cannot be reached")
    assert SECRET not in str(raised.value)


@pytest.mark.parametrize("output", ["not json", "[]", '{"_embedded": {"environments": "x"}}'])
def test_an_unexpected_environment_listing_is_one_clear_error(output: str) -> None:
    with pytest.raises(broker.BrokerUnavailableError, match="did not answer with a list of environments"):
        commands.environment_exists(output, "production")


@pytest.mark.parametrize("answer", ["<html>", '{"_embedded": {"secrets": [{"name": "githubToken"}]}}'])
def test_an_unexpected_secrets_listing_is_one_clear_error(answer: str) -> None:
    settings = _settings(broker_base_url="https://acme.pactflow.io", broker_token=SECRET, github_token=SECRET)
    with pytest.raises(broker.BrokerUnavailableError, match=r"^the Pact Broker at https://acme\.pactflow\.io did not"):
        webhook.github_token_secret_request(settings, answer)
