"""The pipeline end to end: the real tasks, the real verifier and `pact` CLI, against the broker double.

Each test is a story a provider team lives through; the verdicts are what a real Pact Broker
gives (see tests/broker_double for where its rules come from).
"""

from __future__ import annotations

import contextlib
import json
from pathlib import Path

import pytest

from tests.pipeline.conftest import (
    BUNDLED_PACTS,
    FIXTURE_PACTS,
    PROVIDER,
    PYTHON_CONSUMER,
    TOKEN,
    Pipeline,
)
from tests.servers import refusing_url

pytestmark = pytest.mark.broker
COMMIT = "0123456789abcdef0123456789abcdef01234567"
BROKEN_CONSUMER = "broken-consumer"


def _pact_dir(tmp_path: Path, *files: Path) -> Path:
    """Fixture pacts as a consumer publishes them to this provider's broker: naming `PROVIDER`."""
    directory = tmp_path / "consumer-pacts"
    directory.mkdir(exist_ok=True)
    for file in files:
        pact = json.loads(file.read_text(encoding="utf-8"))
        pact["provider"]["name"] = PROVIDER
        (directory / file.name).write_text(json.dumps(pact), encoding="utf-8")
    return directory


def _python_consumer_in_production(pipeline: Pipeline) -> None:
    """The consumer's pipeline: publish from main, then deploy that version to production."""
    pipeline.publish_consumer_pact(BUNDLED_PACTS, "consumer-1", "main")
    pipeline.deploy_consumer(PYTHON_CONSUMER, "consumer-1")


def _results(pipeline: Pipeline) -> list[tuple[str, str, bool]]:
    return [(v.consumer, v.provider_version, v.success) for v in pipeline.double.verification_results(PROVIDER)]


def test_main_branch_verifies_publishes_and_deploys(production: Pipeline) -> None:
    _python_consumer_in_production(production)

    run = production.task(
        "fake-ci", GIT_COMMIT=COMMIT, GIT_BRANCH="main", GITHUB_REPOSITORY="acme/provider", GITHUB_RUN_ID="42"
    )

    assert run.returncode == 0, run.output
    [verification] = production.double.verification_results(PROVIDER)
    assert verification.success, run.output
    assert verification.provider_version.startswith(COMMIT[:7] + "-"), verification.provider_version
    assert verification.build_url == "https://github.com/acme/provider/actions/runs/42"
    assert production.double.version_branches(PROVIDER, verification.provider_version) == ["main"]
    assert "Computer says yes" in run.output
    assert production.double.deployments_of(PROVIDER) == [(verification.provider_version, "production")]
    assert production.broker_subcommands()[-2:] == ["can-i-deploy", "record-deployment"]


@pytest.mark.parametrize(
    "pipeline",
    [pytest.param("token", id="PactFlow bearer token"), pytest.param("basic", id="self-hosted basic auth")],
    indirect=True,
)
def test_feature_branch_verifies_and_asks_but_does_not_deploy(production: Pipeline) -> None:
    _python_consumer_in_production(production)

    run = production.task("fake-ci", GIT_COMMIT=COMMIT, GIT_BRANCH="feat/faster-lookup")

    assert run.returncode == 0, run.output
    [verification] = production.double.verification_results(PROVIDER)
    assert verification.success
    assert production.double.version_branches(PROVIDER, verification.provider_version) == ["feat/faster-lookup"]
    assert "can-i-deploy" in production.broker_subcommands()
    assert "Computer says yes" in run.output
    assert "not deploying: GIT_BRANCH feat/faster-lookup is not the main branch main" in run.output
    assert production.double.deployments_of(PROVIDER) == []
    assert "record-deployment" not in production.broker_subcommands()


def _an_earlier_provider_version_honoured(pipeline: Pipeline, pact_url: str) -> None:
    """Provider version `earlier` on main verified this pact successfully (the real verifier, against a
    provider that did what the pact asks, publishing): from now on the pact is not pending for main."""
    from pact import Verifier  # noqa: PLC0415

    from example_provider.app import create_app  # noqa: PLC0415
    from example_provider.products import ProductRepository  # noqa: PLC0415
    from tests.servers import serve_in_thread  # noqa: PLC0415

    earlier_provider = create_app(ProductRepository([]))  # a version whose catalogue had no product 10
    with serve_in_thread(earlier_provider) as url:
        verifier = (
            Verifier(PROVIDER, host="127.0.0.1")
            .add_transport(url=url)
            .add_source(pact_url, token=TOKEN)
            .set_publish_options(version="earlier", branch="main")
        )
        verifier.verify()
    assert _results(pipeline) == [(BROKEN_CONSUMER, "earlier", True)]


def test_breaking_a_verified_pact_fails_the_build_and_publishes_the_failure(
    production: Pipeline, tmp_path: Path
) -> None:
    _python_consumer_in_production(production)
    pact_url = production.publish_consumer_pact(
        _pact_dir(tmp_path, FIXTURE_PACTS / "broken" / "wrong-status.json"), "broken-1", "main"
    )
    _an_earlier_provider_version_honoured(production, pact_url)

    run = production.task("fake-ci", GIT_COMMIT=COMMIT, GIT_BRANCH="main")

    assert run.returncode != 0
    assert "expected 404 but was 200" in run.output
    assert "the provider does not honour its pacts" in run.output
    failed = [r for r in _results(production) if r[0] == BROKEN_CONSUMER and r[1] != "earlier"]
    assert [success for *_, success in failed] == [False]
    assert "can-i-deploy" not in production.broker_subcommands()
    assert production.double.deployments_of(PROVIDER) == []


def test_a_broken_pact_no_provider_version_has_verified_yet_is_pending(production: Pipeline, tmp_path: Path) -> None:
    """Selected by {mainBranch} (not as WIP) and never verified: pending, so the build passes."""
    _python_consumer_in_production(production)
    production.publish_consumer_pact(
        _pact_dir(tmp_path, FIXTURE_PACTS / "broken" / "wrong-status.json"), "broken-1", "main"
    )

    run = production.task("fake-ci", GIT_COMMIT=COMMIT, GIT_BRANCH="main", PACT_INCLUDE_WIP_PACTS_SINCE="off")

    assert run.returncode == 0, run.output
    assert "WIP off" in run.output
    assert f"{BROKEN_CONSUMER}: product 10 expected to be missing" in run.output
    results = {consumer: success for consumer, _, success in _results(production)}
    assert results == {PYTHON_CONSUMER: True, BROKEN_CONSUMER: False}, "the pending failure is still published"
    assert len(production.double.deployments_of(PROVIDER)) == 1, "the broken consumer is deployed nowhere"


def test_a_broken_pact_from_a_new_consumer_branch_is_pending_and_does_not_fail_the_build(
    production: Pipeline, tmp_path: Path
) -> None:
    _python_consumer_in_production(production)
    production.publish_consumer_pact(
        _pact_dir(tmp_path, FIXTURE_PACTS / "broken" / "wrong-status.json"), "broken-2", "feat/new-expectation"
    )

    run = production.task("fake-ci", GIT_COMMIT=COMMIT, GIT_BRANCH="main")

    assert run.returncode == 0, run.output
    assert "pending or work-in-progress pacts failed" in run.output
    assert f"{BROKEN_CONSUMER}: product 10 expected to be missing" in run.output
    results = {consumer: success for consumer, _, success in _results(production)}
    assert results == {PYTHON_CONSUMER: True, BROKEN_CONSUMER: False}, "the pending failure is still published"
    assert len(production.double.deployments_of(PROVIDER)) == 1


def test_webhook_build_verifies_only_the_changed_pact(production: Pipeline, tmp_path: Path) -> None:
    _python_consumer_in_production(production)
    changed = production.publish_consumer_pact(
        _pact_dir(tmp_path, FIXTURE_PACTS / "good" / "js-consumer-v2.json"), "js-7", "feat/charset"
    )

    run = production.task("fake-ci-webhook", PACT_URL=changed, GIT_COMMIT="cafe1234", GIT_BRANCH="feat/webhook")

    assert run.returncode == 0, run.output
    [verification] = production.double.verification_results(PROVIDER)
    assert verification.success
    assert verification.consumer == "pactflow-example-consumer"
    assert verification.provider_version == "cafe1234"
    assert production.double.version_branches(PROVIDER, "cafe1234") == ["feat/webhook"]
    assert "can-i-deploy" not in production.broker_subcommands()
    assert production.double.deployments_of(PROVIDER) == []


def test_a_failed_publication_fails_the_build(production: Pipeline) -> None:
    _python_consumer_in_production(production)
    production.double.reject_verification_results = True

    run = production.task("fake-ci", GIT_COMMIT=COMMIT, GIT_BRANCH="main")

    assert run.returncode != 0
    assert f"the broker holds no verification results from {PROVIDER} " in run.output
    assert "can-i-deploy" not in production.broker_subcommands(), "the build stops at the test step"
    assert production.double.deployments_of(PROVIDER) == []


def test_no_pacts_from_the_broker_is_said_clearly_and_fails_by_default(production: Pipeline) -> None:
    run = production.task("fake-ci", GIT_COMMIT=COMMIT, GIT_BRANCH="main")

    assert run.returncode != 0
    assert f"the broker returned no pacts for {PROVIDER}" in run.output
    assert "PACT_FAIL_IF_NO_PACTS_FOUND=false" in run.output


def test_no_pacts_can_be_allowed_and_still_cannot_deploy(production: Pipeline) -> None:
    run = production.task("fake-ci", GIT_COMMIT=COMMIT, GIT_BRANCH="main", PACT_FAIL_IF_NO_PACTS_FOUND="false")

    assert f"the broker returned no pacts for {PROVIDER}: nothing was verified" in run.output, "the test step passes"
    assert f"Pacticipant {PROVIDER} not found" in run.output, "the broker has never heard of this provider"
    assert run.returncode != 0, "an unknown provider version is not deployable, as on a real broker"
    assert production.double.deployments_of(PROVIDER) == []


@pytest.mark.parametrize("task", ["fake-ci", "fake-ci-webhook"])
@pytest.mark.parametrize(
    ("fault", "expected"),
    [
        pytest.param("unreachable", "cannot be reached", id="broker unreachable"),
        pytest.param("401", "refused the credentials (HTTP 401)", id="wrong token"),
        pytest.param("500", "failed with HTTP 500", id="broker error"),
    ],
)
def test_an_unusable_broker_stops_the_build_with_one_clear_message(
    pipeline: Pipeline, task: str, fault: str, expected: str
) -> None:
    pact_url = pipeline.publish_consumer_pact(BUNDLED_PACTS, "consumer-1", "main")
    broker_url = pipeline.broker_url
    refusing = contextlib.ExitStack()
    if fault == "unreachable":
        broker_url = refusing.enter_context(refusing_url())
        pact_url = pact_url.replace(pipeline.broker_url, broker_url)
    elif fault == "401":
        pipeline.env["PACT_BROKER_TOKEN"] = "not-" + TOKEN[4:]
    else:
        pipeline.double.fail_with_status = 500
    source = {"PACT_BROKER_BASE_URL": broker_url} | ({"PACT_URL": pact_url} if task == "fake-ci-webhook" else {})
    requests_before = len(pipeline.double.requests)

    with refusing:
        run = pipeline.task(task, GIT_COMMIT=COMMIT, GIT_BRANCH="main", **source)

    assert run.returncode != 0
    assert run.seconds < 60, f"took {run.seconds:.0f}s: the verifier alone retries for about 120 s"
    errors = [line for line in run.output.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, run.output
    assert errors[0].startswith(f"error: the Pact Broker at {broker_url} {expected}"), run.output
    assert "does not honour" not in run.output, "a broker problem is not the provider's fault"
    assert "Traceback" not in run.output
    assert TOKEN[4:] not in run.output
    assert pipeline.double.verification_results() == []
    assert pipeline.double.deployments == []
    assert len(pipeline.double.requests) - requests_before <= 1, "one request, no retries, before giving up"


def test_create_environment_twice_creates_it_once(pipeline: Pipeline) -> None:
    first = pipeline.task("create-environment")
    second = pipeline.task("create-environment")

    assert (first.returncode, second.returncode) == (0, 0), first.output + second.output
    assert "create-environment" in first.output
    assert "environment production already exists: nothing to do" in second.output
    assert [env.name for env in pipeline.double.environments.values()] == ["production"]


def test_can_i_deploy_asks_again_while_the_answer_is_unknown(production: Pipeline, tmp_path: Path) -> None:
    """The provider version exists but has not verified what production runs: the matrix says
    `deployable: null`, and can-i-deploy asks again CAN_I_DEPLOY_RETRY_WHILE_UNKNOWN times."""
    _python_consumer_in_production(production)
    other = production.publish_consumer_pact(
        _pact_dir(tmp_path, FIXTURE_PACTS / "good" / "js-consumer-v2.json"), "js-1", "feat/x"
    )
    webhook = production.task("fake-ci-webhook", PACT_URL=other, GIT_COMMIT="feed0001", GIT_BRANCH="feat/y")
    assert webhook.returncode == 0, webhook.output
    asked_before = sum(r.path == "/matrix" for r in production.double.requests)

    run = production.task(
        "can-i-deploy", GIT_COMMIT="feed0001", CAN_I_DEPLOY_RETRY_WHILE_UNKNOWN="2", CAN_I_DEPLOY_RETRY_INTERVAL="1"
    )

    assert run.returncode != 0, "unknown is not a yes"
    assert "--retry-while-unknown 2 --retry-interval 1" in run.output
    assert sum(r.path == "/matrix" for r in production.double.requests) - asked_before == 3, "one ask and two retries"
    assert production.double.deployments_of(PROVIDER) == []
