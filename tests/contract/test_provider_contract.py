"""The provider keeps its consumers' contracts: the gate of every build.

The source of pacts comes from settings (see `example_provider.pipeline.plan`): the bundled
`pacts/` by default, a directory via `PACT_DIR`, a broker via `PACT_BROKER_BASE_URL`, or one
pact via `PACT_URL`. `invoke verify` runs what `test_provider_honours_pacts` runs.
"""

from __future__ import annotations

import copy
import json
import os
from pathlib import Path
from typing import Any

import pytest

from example_provider.pipeline.errors import PipelineError
from example_provider.pipeline.plan import VerificationPlan, plan_verification
from example_provider.pipeline.settings import PipelineSettings
from example_provider.pipeline.verifier import run_verification, verify
from example_provider.settings import ServerSettings, load_settings
from tests import forked
from tests.contract.conftest import API_TOKEN
from tests.pacts import BUNDLED_PROVIDER, FIXTURE_PROVIDER, JS_PROVIDER
from tests.process import INVOKE, clean_env

FIXTURES = Path(__file__).parent / "pacts"
ROOT = Path(__file__).resolve().parents[2]
PROVIDER = FIXTURE_PROVIDER
JS_SNS_PROVIDER = "pactflow-example-provider-js-sns"  # what pactflow's JS SNS consumer calls it


@pytest.mark.uses_environment
def test_provider_honours_pacts() -> None:
    """What `invoke verify` runs, with the settings in the environment: the gate of every build.

    Not `.env`: that is the developer's, for the tasks. With no source set, the bundled pacts are
    verified as the provider they name, whatever the PACTICIPANT default says.
    """
    no_env_file = Path(os.devnull)
    settings = load_settings(PipelineSettings, no_env_file)
    if not (settings.pact_url or settings.broker_url or settings.pact_dir):
        settings.pacticipant = BUNDLED_PROVIDER
    try:
        verify(settings, load_settings(ServerSettings, no_env_file))
    except PipelineError as error:
        pytest.fail(str(error), pytrace=False)


def _directory_plan(directory: Path, pacticipant: str = PROVIDER) -> VerificationPlan:
    """The plan `PACT_DIR=<directory> invoke verify` makes, with the default settings."""
    settings = load_settings(PipelineSettings, pact_dir=directory, pacticipant=pacticipant)
    return plan_verification(settings)


def _copy(name: str, directory: Path, provider: str | None = None) -> dict[str, Any]:
    """Copy a fixture pact into `directory`, naming `provider` instead of its own if given."""
    pact: dict[str, Any] = json.loads((FIXTURES / name).read_text(encoding="utf-8"))
    if provider:
        pact["provider"]["name"] = provider
    (directory / Path(name).name).write_text(json.dumps(pact), encoding="utf-8")
    return pact


@pytest.mark.parametrize(
    ("pact_file", "provider"),
    [
        pytest.param(
            "good/handwritten-js-consumer-v2.json",
            JS_PROVIDER,
            id="pact-js consumer, V2 spec, charset and Authorization",
        ),
        pytest.param("good/handwritten-js-consumer-v3.json", JS_PROVIDER, id="pact-js consumer, V3 spec, state params"),
        pytest.param("good/pactflow-example-consumer-python-v4.json", PROVIDER, id="pact-python consumer, V4 spec"),
        pytest.param("good/handwritten-states-v3.json", PROVIDER, id="two states both ways, fromProviderState paths"),
        pytest.param("good/catalogue-consumer-v4-http-and-messages.json", PROVIDER, id="V4, HTTP and messages"),
        pytest.param(
            "good/pactflow-example-consumer-python-sns-pactflow-example-provider-python-sns.json",
            "pactflow-example-provider-python-sns",
            id="pactflow's SNS consumer, V3 messages",
        ),
        pytest.param(
            "good/pactflow-example-consumer-js-sns-v3.json", JS_SNS_PROVIDER, id="pactflow's JS SNS consumer, metaData"
        ),
        pytest.param(
            "good/pactflow-example-consumer-js-sns-v3-pact-js-12.json",
            JS_SNS_PROVIDER,
            id="pactflow's JS SNS consumer, pact-js 12 (content-type and contentType)",
        ),
    ],
)
def test_other_consumers_pacts_pass(provider_url: str, pact_file: str, provider: str, tmp_path: Path) -> None:
    pact = _copy(pact_file, tmp_path)
    outcome = run_verification(_directory_plan(tmp_path, provider), provider_url, API_TOKEN)
    assert outcome.passed, outcome.output
    assert len(outcome.interactions) == len(pact.get("interactions") or pact["messages"])


def test_pacts_for_other_providers_are_skipped_and_named(provider_url: str, tmp_path: Path) -> None:
    """A consumer's pacts folder holds pacts for several providers: only ours are verified."""
    ours = _copy("good/pactflow-example-consumer-python-v4.json", tmp_path)
    orders = copy.deepcopy(ours)
    orders["consumer"]["name"], orders["provider"]["name"] = "web-app", "order-service"
    orders["interactions"][0]["request"]["path"] = "/orders/1"  # a 404 here, were it verified
    (tmp_path / "web-app-order-service.json").write_text(json.dumps(orders), encoding="utf-8")

    plan = _directory_plan(tmp_path)
    outcome = run_verification(plan, provider_url, API_TOKEN)

    assert plan.skipped == "skipped 1 pact for other providers: order-service"
    assert outcome.passed, outcome.output
    assert [(r["consumer"], r["description"]) for r in outcome.interactions] == [
        (ours["consumer"]["name"], ours["interactions"][0]["description"])
    ]


def test_a_source_with_no_pact_for_this_provider_is_one_clear_error(tmp_path: Path) -> None:
    _copy("good/handwritten-js-consumer-v2.json", tmp_path)
    _copy("good/pactflow-example-consumer-python-v4.json", tmp_path, "order-service")
    with pytest.raises(PipelineError) as raised:
        _directory_plan(tmp_path)
    message = str(raised.value)
    assert message.startswith(f"PACT_DIR: there is no pact for {PROVIDER}, only for order-service, {JS_PROVIDER};")
    assert "set PACTICIPANT=<name>" in message
    assert "\n" not in message


@pytest.mark.parametrize(
    ("pact_file", "expected_mismatch"),
    [
        pytest.param("wrong-status.json", "expected 404 but was 200", id="status"),
        pytest.param("missing-field.json", "missing the following keys: colour", id="body field the provider lacks"),
        pytest.param("wrong-type.json", "to be the same type as 10 (Integer)", id="body type"),
        pytest.param("unknown-state.json", "setup state change handlers has failed", id="state the provider lacks"),
        pytest.param("state-hands-back-no-id.json", "expected 200 but was 404", id="fromProviderState with no id"),
        pytest.param("archived-event.json", "$.event -> Expected 'CREATED' to match '^(ARCHIVED)$'", id="event kind"),
        pytest.param(
            "wrong-content-type.json",
            "Expected metadata 'content-type' to have value 'application/xml' but was 'application/json'",
            id="message content type",
        ),
        pytest.param(
            "unknown-message.json",
            "unknown message 'a product archived event': add it to example_provider/messages.py (known messages: ",
            id="message the provider lacks",
        ),
    ],
)
@pytest.mark.parametrize(
    "provider",
    [pytest.param(PROVIDER, id="this provider"), pytest.param(JS_PROVIDER, id="PACTICIPANT naming it otherwise")],
)
def test_broken_pact_fails_verification(
    provider_url: str, pact_file: str, expected_mismatch: str, provider: str, tmp_path: Path
) -> None:
    """Negative controls: the gate must be able to fail, and say why, whichever name the pact uses."""
    _copy(f"broken/{pact_file}", tmp_path, provider)
    _copy(
        "good/pactflow-example-consumer-python-v4.json", tmp_path, provider
    )  # a good pact beside it must not hide the failure
    outcome = run_verification(_directory_plan(tmp_path, provider), provider_url, API_TOKEN)
    assert not outcome.passed, "a broken pact passed verification"
    assert expected_mismatch in outcome.output, outcome.output


def test_verification_without_the_token_fails(provider_url: str) -> None:
    """Negative control: the app under verification does authenticate, so the token is what lets the pacts pass."""
    outcome = run_verification(_directory_plan(ROOT / "pacts"), provider_url, None)
    assert not outcome.passed, "the pacts passed against an app that requires a token, without one"
    assert "setup state change handlers has failed" in outcome.output, outcome.output  # a 401 there: the log says


@pytest.mark.parametrize(
    "pacts", [pytest.param("pacts", id="passing"), pytest.param("tests/contract/pacts/broken", id="failing")]
)
def test_invoke_verify_with_api_token_never_prints_it(pacts: str) -> None:
    token = "api-token-7c1e-never-print-me"  # noqa: S105 - a test value, checked never to appear
    provider = BUNDLED_PROVIDER if pacts == "pacts" else FIXTURE_PROVIDER
    env = clean_env({"API_TOKEN": token, "PACT_DIR": str(ROOT / pacts), "PACTICIPANT": provider})
    run = forked.run([INVOKE, "verify"], env=env, cwd=ROOT, timeout=120)
    assert run.returncode == (0 if pacts == "pacts" else 1), run.stdout + run.stderr
    assert "Verifying a pact between" in run.stdout
    assert token not in run.stdout + run.stderr


@pytest.mark.parametrize(
    ("filters", "verified"),
    [
        pytest.param({"description_filter": "all products"}, ["a request to get all products"], id="PACT_DESCRIPTION"),
        pytest.param(
            {"state_filter": "ID 1[01]"},
            ["a request to get a product", "a request to get a missing product"],
            id="PACT_PROVIDER_STATE",
        ),
    ],
)
def test_filters_select_the_interactions_verified(
    provider_url: str, tmp_path: Path, filters: dict[str, str], verified: list[str]
) -> None:
    _copy("good/handwritten-js-consumer-v2.json", tmp_path)
    settings = load_settings(PipelineSettings, pact_dir=tmp_path, pacticipant=JS_PROVIDER, **filters)
    outcome = run_verification(plan_verification(settings), provider_url, API_TOKEN)
    assert outcome.passed, outcome.output
    assert sorted(r["description"] for r in outcome.interactions) == sorted(verified)  # type: ignore[type-var]


@pytest.mark.parametrize(
    ("filters", "verified"),
    [
        pytest.param(
            {"description_filter": "event$"}, ["a product created event", "a product deleted event"], id="two"
        ),
        pytest.param({"description_filter": "deleted", "state_filter": "ID 10"}, ["a product deleted event"], id="one"),
    ],
)
def test_filters_select_message_interactions_too(
    provider_url: str, tmp_path: Path, filters: dict[str, object], verified: list[str]
) -> None:
    pact = _copy("good/catalogue-consumer-v4-http-and-messages.json", tmp_path)
    assert len(pact["interactions"]) > len(verified)  # the filter leaves some out
    settings = load_settings(PipelineSettings, pact_dir=tmp_path, pacticipant=PROVIDER, **filters)
    outcome = run_verification(plan_verification(settings), provider_url, API_TOKEN)
    assert outcome.passed, outcome.output
    assert sorted(r["description"] for r in outcome.interactions) == verified, outcome.output  # type: ignore[type-var]


def test_a_filter_that_matches_nothing_fails(provider_url: str, tmp_path: Path) -> None:
    """A typo in a filter must not pass as a green run that verified nothing."""
    _copy("good/handwritten-js-consumer-v2.json", tmp_path)
    settings = load_settings(PipelineSettings, pact_dir=tmp_path, pacticipant=JS_PROVIDER, description_filter="tpyo")
    outcome = run_verification(plan_verification(settings), provider_url, API_TOKEN)
    assert not outcome.passed
    assert outcome.problems == [
        "no interaction matches PACT_DESCRIPTION / PACT_PROVIDER_STATE / PACT_PROVIDER_NO_STATE"
    ]


def test_a_filter_with_publishing_is_refused_before_anything_is_verified() -> None:
    env = {
        "PACT_PROVIDER_STATE": "products exist",
        "PACT_BROKER_PUBLISH_VERIFICATION_RESULTS": "true",
        "PACT_BROKER_BASE_URL": "http://127.0.0.1:9",
        "GIT_COMMIT": "abc",
    }
    done = forked.run([INVOKE, "--search-root", str(ROOT), "verify"], env=clean_env(env), cwd=ROOT, timeout=60)
    assert done.returncode == 1
    assert done.stdout == ""
    [line] = done.stderr.splitlines()
    assert line.startswith("error: invalid settings: PACT_DESCRIPTION, PACT_PROVIDER_STATE or PACT_PROVIDER_NO_STATE")
    assert "PACT_BROKER_PUBLISH_VERIFICATION_RESULTS=true" in line
