"""Setting up the broker side of webhook builds, with the real tasks against the broker double."""

from __future__ import annotations

import json

import pytest

from example_provider.pipeline import CHANGED_PACT_EVENT
from tests.pipeline.conftest import BUNDLED_PACTS, PROVIDER, PYTHON_CONSUMER, Pipeline

pytestmark = pytest.mark.broker
GITHUB_TOKEN = "ghp_never-print-this-one"  # noqa: S105 - a test credential, checked never to leak
REPOSITORY = "acme/example-provider"


def test_github_token_secret_is_created_then_updated_in_place(pipeline: Pipeline) -> None:
    first = pipeline.task("create-github-token-secret", GITHUB_TOKEN=GITHUB_TOKEN)
    second = pipeline.task("create-github-token-secret", GITHUB_TOKEN=GITHUB_TOKEN + "-rotated")

    assert first.returncode == 0, first.output
    assert second.returncode == 0, second.output
    assert "created the PactFlow secret githubToken" in first.output
    assert "updated the PactFlow secret githubToken" in second.output
    [secret] = pipeline.double.secrets.values()
    assert (secret["name"], secret["value"]) == ("githubToken", GITHUB_TOKEN + "-rotated")
    assert GITHUB_TOKEN not in first.output + second.output


def test_webhook_dispatches_the_changed_pact_to_github_and_is_idempotent(pipeline: Pipeline) -> None:
    pipeline.publish_consumer_pact(BUNDLED_PACTS, "consumer-1", "main")

    runs = [pipeline.task("create-or-update-webhook", GITHUB_REPOSITORY=REPOSITORY) for _ in range(2)]
    tested = pipeline.task("test-webhook", GITHUB_REPOSITORY=REPOSITORY)

    assert all(run.returncode == 0 for run in runs), [run.output for run in runs]
    assert tested.returncode == 0, tested.output
    [webhook] = pipeline.double.webhooks.values()
    assert webhook["events"] == [{"name": CHANGED_PACT_EVENT}]
    assert webhook["provider"] == {"name": PROVIDER}
    request = webhook["request"]
    assert (request["method"], request["url"]) == ("POST", f"https://api.github.com/repos/{REPOSITORY}/dispatches")
    assert request["headers"]["Authorization"] == "Bearer ${user.githubToken}"
    body = request["body"] if isinstance(request["body"], dict) else json.loads(request["body"])
    assert body["event_type"] == CHANGED_PACT_EVENT
    assert body["client_payload"]["pact_url"] == "${pactbroker.pactUrl}"
    assert body["client_payload"]["sha"] == "${pactbroker.providerVersionNumber}"
    assert body["client_payload"]["branch"] == "${pactbroker.providerVersionBranch}"
    [sent] = pipeline.double.webhook_executions
    assert sent["body"]["client_payload"]["pact_url"].startswith(pipeline.broker_url + "/pacts/provider/")


def test_webhook_needs_to_know_the_repository(pipeline: Pipeline) -> None:
    run = pipeline.task("create-or-update-webhook", GITHUB_REPOSITORY="not a repository")

    assert run.returncode != 0
    assert run.output.strip().splitlines()[-1].startswith("error: GITHUB_REPOSITORY:")
    assert pipeline.double.webhooks == {}


def test_the_pact_url_a_webhook_dispatches_is_what_the_webhook_build_verifies(pipeline: Pipeline) -> None:
    """The whole loop: a consumer publishes, the broker's webhook names the pact (with its event
    metadata in the URL, as the real broker renders ${pactbroker.pactUrl}), GitHub would start
    verify_changed_pact.yml with it, and `fake-ci-webhook` verifies exactly that pact."""
    pipeline.publish_consumer_pact(BUNDLED_PACTS, "consumer-1", "main")
    assert pipeline.task("create-or-update-webhook", GITHUB_REPOSITORY=REPOSITORY).returncode == 0
    assert pipeline.task("test-webhook", GITHUB_REPOSITORY=REPOSITORY).returncode == 0
    [sent] = pipeline.double.webhook_executions
    pact_url = sent["body"]["client_payload"]["pact_url"]
    assert "/metadata/" in pact_url

    run = pipeline.task("fake-ci-webhook", PACT_URL=pact_url, GIT_COMMIT="beef5678", GIT_BRANCH="main")

    assert run.returncode == 0, run.output
    [verification] = pipeline.double.verification_results(PROVIDER)
    assert (verification.consumer, verification.provider_version, verification.success) == (
        PYTHON_CONSUMER,
        "beef5678",
        True,
    )
    assert pipeline.double.version_branches(PROVIDER, "beef5678") == ["main"]
