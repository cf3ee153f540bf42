"""Setting up the broker side of webhook builds, with the real tasks against a Pact Broker.

Every webhook the scenarios create calls the loopback GitHub stand-in (`GITHUB_API_URL`), never
GitHub: what the broker sent is read back from the stand-in, the webhook itself through the
broker's API (which shows credentials starred out).
"""

from __future__ import annotations

import pytest

from example_provider.pipeline.webhook import CHANGED_PACT_EVENT
from tests.scenarios.conftest import BROKER_REACHES_LOOPBACK, PYTHON_CONSUMER, PYTHON_PACT, Pipeline

pytestmark = pytest.mark.broker
GITHUB_TOKEN = "ghp_never-print-this-one"  # noqa: S105 - a test credential, checked never to leak
REPOSITORY = "acme/example-provider"
reaches_the_stand_in = pytest.mark.skipif(
    not BROKER_REACHES_LOOPBACK, reason="PACT_BROKER_TEST_NO_LOOPBACK: the broker cannot call the GitHub stand-in"
)


def test_a_webhook_needs_the_broker_to_know_the_provider(pipeline: Pipeline) -> None:
    run = pipeline.task("create-or-update-webhook", GITHUB_REPOSITORY=REPOSITORY)

    assert run.returncode != 0
    assert "provider.name: does not match an existing pacticipant" in run.output
    assert pipeline.broker.webhooks(pipeline.provider) == []


def test_webhook_is_created_once_for_the_changed_pact_event(pipeline: Pipeline) -> None:
    pipeline.publish_consumer_pact(PYTHON_PACT, "consumer-1", "main")

    runs = [pipeline.task("create-or-update-webhook", GITHUB_REPOSITORY=REPOSITORY) for _ in range(2)]

    assert all(run.returncode == 0 for run in runs), [run.output for run in runs]
    [webhook] = pipeline.broker.webhooks(pipeline.provider)
    assert webhook["events"] == [{"name": CHANGED_PACT_EVENT}]
    assert webhook["provider"]["name"] == pipeline.provider
    request = webhook["request"]
    assert (request["method"], request["url"]) == ("POST", f"{pipeline.github.url}/repos/{REPOSITORY}/dispatches")
    body = request["body"]
    assert body["event_type"] == CHANGED_PACT_EVENT
    assert body["client_payload"]["pact_url"] == "${pactbroker.pactUrl}"
    assert body["client_payload"]["sha"] == "${pactbroker.providerVersionNumber}"
    assert body["client_payload"]["branch"] == "${pactbroker.providerVersionBranch}"


@reaches_the_stand_in
def test_webhook_dispatches_the_changed_pact_to_github(pipeline: Pipeline) -> None:
    pipeline.publish_consumer_pact(PYTHON_PACT, "consumer-1", "main")
    assert pipeline.task("create-or-update-webhook", GITHUB_REPOSITORY=REPOSITORY).returncode == 0

    tested = pipeline.task("test-webhook", GITHUB_REPOSITORY=REPOSITORY)

    assert tested.returncode == 0, tested.output
    [sent] = pipeline.github.dispatches
    assert sent.repository == REPOSITORY
    assert sent.headers["authorization"] == "Bearer ${user.githubToken}", "the broker secret's name, not a token"
    assert sent.body["event_type"] == CHANGED_PACT_EVENT
    pact_url = sent.body["client_payload"]["pact_url"]
    assert pact_url.startswith(f"{pipeline.broker_url}/pacts/provider/{pipeline.provider}/consumer/")


def test_webhook_needs_to_know_the_repository(pipeline: Pipeline) -> None:
    run = pipeline.task("create-or-update-webhook", GITHUB_REPOSITORY="not a repository")

    assert run.returncode != 0
    assert run.output.strip().splitlines()[-1].startswith("error: GITHUB_REPOSITORY:")
    assert pipeline.broker.webhooks(pipeline.provider) == []


@reaches_the_stand_in
def test_the_pact_url_a_webhook_dispatches_is_what_the_webhook_build_verifies(pipeline: Pipeline) -> None:
    """The whole loop: a consumer publishes, the broker's webhook names the pact (with its event
    metadata in the URL, as the real broker renders ${pactbroker.pactUrl}), GitHub would start
    verify_changed_pact.yml with it, and `fake-ci-webhook` verifies exactly that pact."""
    pipeline.publish_consumer_pact(PYTHON_PACT, "consumer-1", "main")
    assert pipeline.task("create-or-update-webhook", GITHUB_REPOSITORY=REPOSITORY).returncode == 0
    assert pipeline.task("test-webhook", GITHUB_REPOSITORY=REPOSITORY).returncode == 0
    [sent] = pipeline.github.dispatches
    pact_url = sent.body["client_payload"]["pact_url"]
    assert "/metadata/" in pact_url

    run = pipeline.task("fake-ci-webhook", PACT_URL=pact_url, GIT_COMMIT="beef5678", GIT_BRANCH="main")

    assert run.returncode == 0, run.output
    [verification] = pipeline.broker.verification_results(pipeline.provider)
    assert (verification.consumer, verification.provider_version, verification.success) == (
        pipeline.consumer(PYTHON_CONSUMER),
        "beef5678",
        True,
    )
    assert pipeline.broker.branches(pipeline.provider, "beef5678") == ["main"]


@pytest.mark.usefixtures("double")
def test_github_token_secret_is_what_the_webhook_sends_on_the_double(pipeline: Pipeline) -> None:
    """Secrets are a PactFlow feature (a self-hosted broker has none), so the double stands in for
    PactFlow: the rotated secret is what the webhook sends to GitHub, and no output shows it."""
    first = pipeline.task("create-github-token-secret", GITHUB_TOKEN=GITHUB_TOKEN)
    second = pipeline.task("create-github-token-secret", GITHUB_TOKEN=GITHUB_TOKEN + "-rotated")
    pipeline.publish_consumer_pact(PYTHON_PACT, "consumer-1", "main")
    assert pipeline.task("create-or-update-webhook", GITHUB_REPOSITORY=REPOSITORY).returncode == 0
    tested = pipeline.task("test-webhook", GITHUB_REPOSITORY=REPOSITORY)

    assert first.returncode == 0, first.output
    assert second.returncode == 0, second.output
    assert tested.returncode == 0, tested.output
    assert "created the PactFlow secret githubToken" in first.output
    assert "updated the PactFlow secret githubToken" in second.output
    [sent] = pipeline.github.dispatches
    assert sent.headers["authorization"] == f"Bearer {GITHUB_TOKEN}-rotated"
    assert all(GITHUB_TOKEN not in run.output for run in pipeline.runs)


@pytest.mark.usefixtures("double")
def test_a_webhook_to_a_host_beyond_loopback_is_refused_on_the_double(pipeline: Pipeline) -> None:
    """The double keeps the whitelist docs/broker-tests.md gives a real broker, so no scenario can leave
    a webhook that calls out of this machine (never tried on a real broker: its whitelist may be open)."""
    pipeline.publish_consumer_pact(PYTHON_PACT, "consumer-1", "main")

    run = pipeline.task(
        "create-or-update-webhook", GITHUB_REPOSITORY=REPOSITORY, GITHUB_API_URL="https://api.github.com"
    )

    assert run.returncode != 0
    assert "host must be in the whitelist" in run.output
    assert pipeline.broker.webhooks(pipeline.provider) == []
