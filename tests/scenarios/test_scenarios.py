"""The pipeline end to end: the real tasks, the real verifier and `pact` CLI, against a Pact Broker.

Each test is a story a provider team lives through; the verdicts are read back through the
broker's public API (`pipeline.broker`), so they hold for the broker double and for a real broker
(`PACT_BROKER_TEST_URL`, see docs/broker-tests.md). Scenarios that inject a fault use the
`double` fixture, end in `_on_the_double`, and run on the double only.
"""

from __future__ import annotations

import contextlib
import subprocess
from pathlib import Path

import pytest

from example_provider.pipeline.plan import BUNDLED_PACTS
from tests.pacts import BUNDLED_PROVIDER
from tests.scenarios.broker_double import BrokerDouble
from tests.scenarios.conftest import (
    EVENTS_CONSUMER,
    FIXTURE_PACTS,
    PYTHON_CONSUMER,
    PYTHON_PACT,
    TOKEN,
    Pipeline,
)
from tests.servers import refusing_url

pytestmark = pytest.mark.broker
COMMIT = "0123456789abcdef0123456789abcdef01234567"
BROKEN_CONSUMER = "broken-consumer"
JS_CONSUMER = "pactflow-example-consumer"
ADMIN_CONSUMER = "catalogue-admin"  # the bundled pact of the writes
WRONG_STATUS = FIXTURE_PACTS / "broken" / "wrong-status.json"
JS_PACT = FIXTURE_PACTS / "good" / "handwritten-js-consumer-v2.json"


def _python_consumer_in_production(pipeline: Pipeline) -> None:
    """The consumer's pipeline: publish from main, then deploy that version to production."""
    pipeline.publish_consumer_pact(PYTHON_PACT, "consumer-1", "main")
    pipeline.deploy_consumer(PYTHON_CONSUMER, "consumer-1")


def _results(pipeline: Pipeline) -> set[tuple[str, str, bool]]:
    """(consumer as the test named it, provider version, success) of every published result."""
    return {
        (r.consumer.removesuffix(f"-{pipeline.suffix}"), r.provider_version, r.success)
        for r in pipeline.broker.verification_results(pipeline.provider)
    }


def test_main_branch_verifies_publishes_and_deploys(production: Pipeline) -> None:
    _python_consumer_in_production(production)

    run = production.task(
        "fake-ci", GIT_COMMIT=COMMIT, GIT_BRANCH="main", GITHUB_REPOSITORY="acme/provider", GITHUB_RUN_ID="42"
    )

    assert run.returncode == 0, run.output
    [verification] = production.broker.verification_results(production.provider)
    assert verification.success, run.output
    assert verification.consumer == production.consumer(PYTHON_CONSUMER)
    assert verification.provider_version == COMMIT
    assert production.broker.build_url(verification) == "https://github.com/acme/provider/actions/runs/42"
    assert production.broker.branches(production.provider, verification.provider_version) == ["main"]
    assert "Computer says yes" in run.output
    assert production.deployed() == [verification.provider_version]
    assert production.broker_subcommands()[-2:] == ["can-i-deploy", "record-deployment"]


def test_the_event_consumer_is_verified_beside_the_http_one_and_can_i_deploy_answers_for_both(
    production: Pipeline,
) -> None:
    """The bundled pacts, published from the consumers' main branches and deployed: HTTP and messages in one run."""
    production.publish_consumer_pact(BUNDLED_PACTS, "consumer-1", "main")
    production.deploy_consumer(PYTHON_CONSUMER, "consumer-1")
    production.deploy_consumer(EVENTS_CONSUMER, "consumer-1")

    run = production.task("fake-ci", GIT_COMMIT=COMMIT, GIT_BRANCH="main")

    assert run.returncode == 0, run.output
    results = production.broker.verification_results(production.provider)
    assert {(r.consumer, r.success) for r in results} == {
        (production.consumer(PYTHON_CONSUMER), True),
        (production.consumer(EVENTS_CONSUMER), True),
        (production.consumer(ADMIN_CONSUMER), True),  # selected from main; deployed nowhere
    }, run.output
    assert "a product event update" in run.output  # the message interactions were verified
    assert production.consumer(EVENTS_CONSUMER) in run.output.split("can-i-deploy", 1)[1]  # its row in the answer
    assert "Computer says yes" in run.output
    assert production.deployed() == [results[0].provider_version]


def test_a_consumer_version_released_to_production_is_verified_through_deployed_or_released(
    production: Pipeline,
) -> None:
    """A mobile app or a library is released, not deployed: `record-release`, from a branch that is not main."""
    production.publish_consumer_pact(PYTHON_PACT, "consumer-2", "release/2")
    production.deploy_consumer(PYTHON_CONSUMER, "consumer-2", how="record-release")

    run = production.task("fake-ci", GIT_COMMIT=COMMIT, GIT_BRANCH="main", PACT_INCLUDE_WIP_PACTS_SINCE="off")

    assert run.returncode == 0, run.output
    [verification] = production.broker.verification_results(production.provider)
    assert (verification.consumer, verification.consumer_version, verification.success) == (
        production.consumer(PYTHON_CONSUMER),
        "consumer-2",
        True,
    ), run.output
    assert "Computer says yes" in run.output
    assert production.deployed() == [verification.provider_version]


def test_without_deployed_or_released_a_released_consumer_version_is_not_verified(production: Pipeline) -> None:
    """Negative control of the one above: selectors that leave releases out select nothing."""
    production.publish_consumer_pact(PYTHON_PACT, "consumer-2", "release/2")
    production.deploy_consumer(PYTHON_CONSUMER, "consumer-2", how="record-release")

    run = production.task(
        "fake-ci",
        GIT_COMMIT=COMMIT,
        GIT_BRANCH="main",
        PACT_INCLUDE_WIP_PACTS_SINCE="off",
        PACT_CONSUMER_VERSION_SELECTORS='[{"mainBranch": true}, {"deployed": true}]',
    )

    assert run.returncode != 0
    assert "selectors {mainBranch: True}, {deployed: True}" in run.output
    assert f"the broker returned no pacts for {production.provider}" in run.output
    assert production.broker.verification_results(production.provider) == []


def _a_git_checkout(pipeline: Pipeline) -> str:
    """The task's working folder as a git checkout of one commit on main; its sha."""

    def git(*args: str) -> str:
        done = subprocess.run(
            ["git", "-C", str(pipeline.workdir), *args],
            capture_output=True,
            text=True,
            check=True,
        )
        return done.stdout.strip()

    git("init", "-q", "-b", "main")
    (pipeline.workdir / "app.py").write_text("v1\n", encoding="utf-8")
    (pipeline.workdir / ".gitignore").write_text("pacts-*/\n", encoding="utf-8")  # the consumers' side of the test
    git("add", "app.py", ".gitignore")
    git("-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "-m", "v1")
    return git("rev-parse", "HEAD")


def test_can_i_deploy_asks_by_default_about_the_version_fake_ci_published(production: Pipeline) -> None:
    _python_consumer_in_production(production)
    sha = _a_git_checkout(production)

    built = production.task("fake-ci", GIT_BRANCH="feat/x")  # the version from git
    asked = production.task("can-i-deploy")

    assert built.returncode == 0, built.output
    [verification] = production.broker.verification_results(production.provider)
    assert verification.provider_version == sha
    assert asked.returncode == 0, asked.output
    assert f"--version {sha}" in asked.output
    assert "Computer says yes" in asked.output


def test_fake_ci_refuses_a_dirty_tree_and_publishes_nothing(production: Pipeline) -> None:
    _python_consumer_in_production(production)
    _a_git_checkout(production)
    (production.workdir / "app.py").write_text("v2, not committed\n", encoding="utf-8")

    run = production.task("fake-ci", GIT_BRANCH="main")

    assert run.returncode == 1
    errors = [line for line in run.output.splitlines() if line.startswith("error:")]
    assert errors == [line for line in run.output.splitlines() if line.strip()], run.output  # one line, nothing else
    assert errors[0].startswith("error: the working tree has uncommitted changes"), run.output
    assert production.broker.verification_results(production.provider) == []
    assert production.deployed() == []


def test_fake_ci_webhook_with_a_local_file_says_what_works(pipeline: Pipeline) -> None:
    """The advice: the pact's URL in the broker (fake-ci-webhook), or `invoke verify` for a file."""
    refused = pipeline.task("fake-ci-webhook", PACT_URL=str(PYTHON_PACT), GIT_COMMIT=COMMIT, GIT_BRANCH="main")
    verified = pipeline.task("verify", PACT_URL=str(PYTHON_PACT), PACT_BROKER_BASE_URL="", PACTICIPANT=BUNDLED_PROVIDER)
    pact_url = pipeline.publish_consumer_pact(PYTHON_PACT, "consumer-1", "main")
    published = pipeline.task("fake-ci-webhook", PACT_URL=pact_url, GIT_COMMIT=COMMIT, GIT_BRANCH="main")

    assert refused.returncode == 1
    assert refused.output.strip().startswith("error: PACT_URL: ")
    assert "`invoke verify`" in refused.output
    assert "PUBLISH_VERIFICATION_RESULTS=false" not in refused.output
    assert verified.returncode == 0, verified.output
    assert published.returncode == 0, published.output
    assert _results(pipeline) == {(PYTHON_CONSUMER, COMMIT, True)}


def test_fake_ci_without_a_broker_says_to_set_it(pipeline: Pipeline) -> None:
    refused = pipeline.task("fake-ci", PACT_BROKER_BASE_URL="", GIT_COMMIT=COMMIT, GIT_BRANCH="feat/x")
    followed = pipeline.task("fake-ci", GIT_COMMIT=COMMIT, GIT_BRANCH="feat/x", PACT_FAIL_IF_NO_PACTS_FOUND="false")

    assert refused.returncode == 1
    assert refused.output.strip() == (
        "error: PACT_BROKER_BASE_URL: this task talks to a Pact Broker; set it (and PACT_BROKER_TOKEN for PactFlow)"
    )
    assert "turn off" not in refused.output
    assert "== can-i-deploy" in followed.output, followed.output  # past verification, with the broker set


@pytest.mark.parametrize(
    "pipeline",
    [pytest.param("token", id="PactFlow bearer token"), pytest.param("basic", id="self-hosted basic auth")],
    indirect=True,
)
def test_feature_branch_verifies_and_asks_but_does_not_deploy(production: Pipeline) -> None:
    _python_consumer_in_production(production)

    run = production.task("fake-ci", GIT_COMMIT=COMMIT, GIT_BRANCH="feat/faster-lookup")

    assert run.returncode == 0, run.output
    [verification] = production.broker.verification_results(production.provider)
    assert verification.success
    assert production.broker.branches(production.provider, verification.provider_version) == ["feat/faster-lookup"]
    assert "can-i-deploy" in production.broker_subcommands()
    assert "Computer says yes" in run.output
    assert "not deploying: GIT_BRANCH feat/faster-lookup is not the main branch main" in run.output
    assert production.deployed() == []
    assert "record-deployment" not in production.broker_subcommands()


def _an_earlier_provider_version_honoured(pipeline: Pipeline, pact_url: str) -> None:
    """Provider version `earlier` on main verified this pact successfully (the real verifier, against a
    provider that did what the pact asks, publishing): from now on the pact is not pending for main."""
    import httpx  # noqa: PLC0415
    from pact import Verifier  # noqa: PLC0415

    from example_provider.app import create_app  # noqa: PLC0415
    from example_provider.pipeline.server import serve_in_thread  # noqa: PLC0415

    earlier_provider = create_app(f"sqlite:///{pipeline.workdir / 'earlier-provider.db'}")
    credentials = pipeline.credentials
    with serve_in_thread(earlier_provider) as url:
        httpx.delete(f"{url}/products/10").raise_for_status()  # a version whose catalogue had no product 10
        verifier = Verifier(pipeline.provider, host="127.0.0.1").add_transport(url=url)
        verifier.add_source(pact_url, **credentials.verifier_arguments())
        verifier.set_publish_options(version="earlier", branch="main").verify()
    assert _results(pipeline) == {(BROKEN_CONSUMER, "earlier", True)}


def test_breaking_a_verified_pact_fails_the_build_and_publishes_the_failure(production: Pipeline) -> None:
    _python_consumer_in_production(production)
    pact_url = production.publish_consumer_pact(WRONG_STATUS, "broken-1", "main")
    _an_earlier_provider_version_honoured(production, pact_url)

    run = production.task("fake-ci", GIT_COMMIT=COMMIT, GIT_BRANCH="main")

    assert run.returncode != 0
    assert "expected 404 but was 200" in run.output
    assert "the provider does not honour its pacts" in run.output
    failed = [r for r in _results(production) if r[0] == BROKEN_CONSUMER and r[1] != "earlier"]
    assert [success for *_, success in failed] == [False]
    assert "can-i-deploy" not in production.broker_subcommands()
    assert production.deployed() == []


def test_a_broken_pact_no_provider_version_has_verified_yet_is_pending(production: Pipeline) -> None:
    """Selected by {mainBranch} (not as WIP) and never verified: pending, so the build passes."""
    _python_consumer_in_production(production)
    production.publish_consumer_pact(WRONG_STATUS, "broken-1", "main")

    run = production.task("fake-ci", GIT_COMMIT=COMMIT, GIT_BRANCH="main", PACT_INCLUDE_WIP_PACTS_SINCE="off")

    assert run.returncode == 0, run.output
    assert "WIP off" in run.output
    assert f"{production.consumer(BROKEN_CONSUMER)}: product 10 expected to be missing" in run.output
    results = {consumer: success for consumer, _, success in _results(production)}
    assert results == {PYTHON_CONSUMER: True, BROKEN_CONSUMER: False}, "the pending failure is still published"
    assert len(production.deployed()) == 1, "the broken consumer is deployed nowhere"


def test_a_broken_pact_from_a_new_consumer_branch_is_pending_and_does_not_fail_the_build(
    production: Pipeline,
) -> None:
    _python_consumer_in_production(production)
    production.publish_consumer_pact(WRONG_STATUS, "broken-2", "feat/new-expectation")

    run = production.task("fake-ci", GIT_COMMIT=COMMIT, GIT_BRANCH="main")

    assert run.returncode == 0, run.output
    assert "pending or work-in-progress pacts failed" in run.output
    assert f"{production.consumer(BROKEN_CONSUMER)}: product 10 expected to be missing" in run.output
    results = {consumer: success for consumer, _, success in _results(production)}
    assert results == {PYTHON_CONSUMER: True, BROKEN_CONSUMER: False}, "the pending failure is still published"
    assert len(production.deployed()) == 1


def test_webhook_build_verifies_only_the_changed_pact(production: Pipeline) -> None:
    _python_consumer_in_production(production)
    changed = production.publish_consumer_pact(JS_PACT, "js-7", "feat/charset")

    run = production.task("fake-ci-webhook", PACT_URL=changed, GIT_COMMIT="cafe1234", GIT_BRANCH="feat/webhook")

    assert run.returncode == 0, run.output
    assert _results(production) == {(JS_CONSUMER, "cafe1234", True)}
    assert production.broker.branches(production.provider, "cafe1234") == ["feat/webhook"]
    assert "can-i-deploy" not in production.broker_subcommands()
    assert production.deployed() == []


@pytest.mark.parametrize("pipeline", ["under-a-path"], indirect=True)
def test_a_webhook_build_checks_its_results_arrived_at_a_broker_under_a_path(production: Pipeline) -> None:
    """The results check asks PACT_BROKER_BASE_URL's /matrix, not the pact URL's origin."""
    assert production.broker_url.endswith("/pact-broker")
    changed = production.publish_consumer_pact(JS_PACT, "js-7", "feat/charset")

    run = production.task("fake-ci-webhook", PACT_URL=changed, GIT_COMMIT="cafe1234", GIT_BRANCH="feat/webhook")

    assert run.returncode == 0, run.output
    assert _results(production) == {(JS_CONSUMER, "cafe1234", True)}


def _detached_checkout(directory: Path) -> str:
    """Make `directory` a git checkout of one commit with no branch checked out; its sha."""
    git = ["git", "-C", str(directory), "-c", "user.name=ci", "-c", "user.email=ci@example.invalid"]
    for args in (["init", "-q"], ["commit", "-q", "--allow-empty", "-m", "provider"], ["checkout", "-q", "--detach"]):
        subprocess.run([*git, *args], check=True, capture_output=True)
    return subprocess.run([*git, "rev-parse", "HEAD"], check=True, capture_output=True, text=True).stdout.strip()


@pytest.mark.parametrize(
    "branch", [pytest.param({}, id="GIT_BRANCH unset"), pytest.param({"GIT_BRANCH": ""}, id="empty")]
)
def test_a_webhook_build_from_a_detached_checkout_publishes_under_no_branch(
    production: Pipeline, branch: dict[str, str]
) -> None:
    """pact_broker's webhook sends an empty branch for a deployed or released provider version that has none."""
    _python_consumer_in_production(production)
    changed = production.publish_consumer_pact(JS_PACT, "js-8", "feat/charset")
    sha = _detached_checkout(production.workdir)

    run = production.task("ci-webhook", PACT_URL=changed, PACT_BROKER_PUBLISH_VERIFICATION_RESULTS="true", **branch)

    assert run.returncode == 0, run.output
    assert f"publishing results as version {sha} on branch (none)" in run.output
    assert _results(production) == {(JS_CONSUMER, sha, True)}
    assert production.broker.branches(production.provider, sha) == []


def test_a_webhook_build_refuses_another_providers_pact_and_publishes_nothing(production: Pipeline) -> None:
    other = f"another-provider-{production.suffix}"
    other_pact = production.publish_consumer_pact(JS_PACT, "js-9", "main", provider=other)

    run = production.task("fake-ci-webhook", PACT_URL=other_pact, GIT_COMMIT="cafe5678", GIT_BRANCH="main")

    assert run.returncode != 0
    assert (
        f"error: PACT_URL: the pact at {other_pact} is for the provider {other}, not {production.provider}"
        in run.output
    )
    assert "Verifying a pact" not in run.output, "refused before verifying"
    assert production.broker.verification_results(other) == []
    assert production.broker.verification_results(production.provider) == []


def test_a_failed_publication_fails_the_build_on_the_double(production: Pipeline, double: BrokerDouble) -> None:
    _python_consumer_in_production(production)
    double.reject_verification_results = True

    run = production.task("fake-ci", GIT_COMMIT=COMMIT, GIT_BRANCH="main")

    assert run.returncode != 0
    assert f"the broker holds no verification results from {production.provider} " in run.output
    assert "can-i-deploy" not in production.broker_subcommands(), "the build stops at the test step"
    assert production.deployed() == []


def test_no_pacts_from_the_broker_is_said_clearly_and_fails_by_default(production: Pipeline) -> None:
    run = production.task("fake-ci", GIT_COMMIT=COMMIT, GIT_BRANCH="main")

    assert run.returncode != 0
    assert f"the broker returned no pacts for {production.provider}" in run.output
    assert "PACT_FAIL_IF_NO_PACTS_FOUND=false" in run.output
    assert "error: nothing was verified (see above); not asking can-i-deploy, nothing deployed" in run.output
    assert "does not honour" not in run.output, "no pact, so no pact was broken"


def test_no_pacts_can_be_allowed_and_still_cannot_deploy(production: Pipeline) -> None:
    run = production.task("fake-ci", GIT_COMMIT=COMMIT, GIT_BRANCH="main", PACT_FAIL_IF_NO_PACTS_FOUND="false")

    assert f"the broker returned no pacts for {production.provider}: nothing was verified" in run.output
    assert f"Pacticipant {production.provider} not found" in run.output, "the broker has never heard of this provider"
    assert run.returncode != 0, "an unknown provider version is not deployable, as on a real broker"
    assert production.deployed() == []


@pytest.mark.parametrize("task", ["fake-ci", "fake-ci-webhook"])
@pytest.mark.parametrize(
    ("fault", "expected"),
    [
        pytest.param("unreachable", "cannot be reached", id="broker unreachable"),
        pytest.param("401", "refused the credentials (HTTP 401)", id="wrong token"),
        pytest.param("500", "failed with HTTP 500", id="broker error"),
    ],
)
def test_an_unusable_broker_stops_the_build_with_one_clear_message_on_the_double(
    pipeline: Pipeline, double: BrokerDouble, task: str, fault: str, expected: str
) -> None:
    pact_url = pipeline.publish_consumer_pact(PYTHON_PACT, "consumer-1", "main")
    broker_url = pipeline.broker_url
    refusing = contextlib.ExitStack()
    if fault == "unreachable":
        broker_url = refusing.enter_context(refusing_url())
        pact_url = pact_url.replace(pipeline.broker_url, broker_url)
    elif fault == "401":
        pipeline.env["PACT_BROKER_TOKEN"] = "not-" + TOKEN[4:]
    else:
        double.fail_with_status = 500
    source = {"PACT_BROKER_BASE_URL": broker_url} | ({"PACT_URL": pact_url} if task == "fake-ci-webhook" else {})
    requests_before = len(double.requests)

    with refusing:
        run = pipeline.task(task, GIT_COMMIT=COMMIT, GIT_BRANCH="main", **source)
    asked = len(double.requests) - requests_before

    assert run.returncode != 0
    errors = [line for line in run.output.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, run.output
    assert errors[0].startswith(f"error: the Pact Broker at {broker_url} {expected}"), run.output
    assert "does not honour" not in run.output, "a broker problem is not the provider's fault"
    assert "Traceback" not in run.output
    assert TOKEN[4:] not in run.output
    assert asked <= 1, "one request, no retries, before giving up"
    double.fail_with_status = None
    assert pipeline.broker.verification_results(pipeline.provider) == []
    assert pipeline.deployed() == []


def test_create_environment_twice_creates_it_once(pipeline: Pipeline) -> None:
    first = pipeline.task("create-environment")
    second = pipeline.task("create-environment")

    assert (first.returncode, second.returncode) == (0, 0), first.output + second.output
    assert "create-environment" in first.output
    assert f"environment {pipeline.environment} already exists: nothing to do" in second.output
    assert pipeline.broker.environments().count(pipeline.environment) == 1


def test_a_consumer_version_cannot_change_its_pact(pipeline: Pipeline) -> None:
    """pact_broker refuses different content for a consumer version it already has a pact of (409)."""
    pipeline.publish_consumer_pact(JS_PACT, "js-1", "main")
    changed = pipeline.workdir / "changed" / JS_PACT.name
    changed.parent.mkdir()
    changed.write_text(JS_PACT.read_text(encoding="utf-8").replace("28 Degrees", "29 Degrees"), encoding="utf-8")

    refused = pipeline.publish(changed, "js-1", "main")
    same_again = pipeline.publish(JS_PACT, "js-1", "main")

    assert refused.returncode != 0, refused.output
    assert "Cannot change the content of the pact" in refused.output
    assert same_again.returncode == 0, same_again.output


def _a_provider_version_that_has_not_verified_production(pipeline: Pipeline) -> None:
    """Provider version feed0001 exists (it verified another pact) but has not verified what production runs."""
    _python_consumer_in_production(pipeline)
    other = pipeline.publish_consumer_pact(JS_PACT, "js-1", "feat/x")
    webhook = pipeline.task("fake-ci-webhook", PACT_URL=other, GIT_COMMIT="feed0001", GIT_BRANCH="feat/y")
    assert webhook.returncode == 0, webhook.output


def test_can_i_deploy_says_no_while_the_answer_is_unknown(production: Pipeline) -> None:
    _a_provider_version_that_has_not_verified_production(production)

    run = production.task("can-i-deploy", GIT_COMMIT="feed0001")

    assert run.returncode != 0, "unknown is not a yes"
    assert "There is no verified pact between the version of" in run.output
    assert production.deployed() == []


def test_can_i_deploy_asks_again_while_the_answer_is_unknown_on_the_double(
    production: Pipeline, double: BrokerDouble
) -> None:
    """The matrix says `deployable: null`, and can-i-deploy asks again CAN_I_DEPLOY_RETRY_WHILE_UNKNOWN
    times: counting the asks needs the double's request log."""
    _a_provider_version_that_has_not_verified_production(production)
    asked_before = sum(r.path == "/matrix" for r in double.requests)

    run = production.task(
        "can-i-deploy", GIT_COMMIT="feed0001", CAN_I_DEPLOY_RETRY_WHILE_UNKNOWN="2", CAN_I_DEPLOY_RETRY_INTERVAL="1"
    )

    assert run.returncode != 0, "unknown is not a yes"
    assert "--retry-while-unknown 2 --retry-interval 1" in run.output
    assert sum(r.path == "/matrix" for r in double.requests) - asked_before == 3, "one ask and two retries"
