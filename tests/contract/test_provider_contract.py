"""The provider keeps its consumers' contracts: the gate of every build.

The source of pacts comes from settings (see `example_provider.verification`): the bundled
`pacts/` by default, a directory via `PACT_DIR`, a broker via `PACT_BROKER_BASE_URL`, or one
pact via `PACT_URL`. `invoke verify` runs only `test_provider_honours_pacts`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from example_provider.settings import SettingsError, load_settings
from example_provider.verification import VerificationPlan, plan_verification
from tests.contract.harness import run_verification

FIXTURES = Path(__file__).parent / "pacts"


@pytest.mark.uses_environment
def test_provider_honours_pacts(provider_url: str) -> None:
    try:
        plan = plan_verification(load_settings())
    except SettingsError as error:
        problem = str(error)
    else:
        problem = ""
    if problem:
        pytest.fail(problem, pytrace=False)
    outcome = run_verification(plan, provider_url)
    if not outcome.passed:
        pytest.fail(f"{plan.describe()}\n\nPact verification failed:\n{outcome.output}", pytrace=False)
    print(outcome.output)  # noqa: T201 - the verifier report, shown live by `invoke verify` (pytest -s)


def _directory_plan(directory: Path) -> VerificationPlan:
    """The plan `PACT_DIR=<directory> invoke verify` makes, with the default settings."""
    return plan_verification(load_settings(pact_dir=directory, pact_url=None, broker_base_url=None))


def _copy(name: str, directory: Path, provider: str | None = None) -> dict[str, Any]:
    """Copy a fixture pact into `directory`, naming `provider` instead of its own if given."""
    pact: dict[str, Any] = json.loads((FIXTURES / name).read_text(encoding="utf-8"))
    if provider:
        pact["provider"]["name"] = provider
    (directory / Path(name).name).write_text(json.dumps(pact), encoding="utf-8")
    return pact


@pytest.mark.parametrize(
    "pact_file",
    [
        pytest.param("good/js-consumer-v2.json", id="pact-js consumer, V2 spec, charset and Authorization"),
        pytest.param("good/js-consumer-v3.json", id="pact-js consumer, V3 spec, state params"),
        pytest.param("good/python-consumer-v4.json", id="pact-python consumer, V4 spec"),
    ],
)
def test_other_consumers_pacts_pass(provider_url: str, pact_file: str, tmp_path: Path) -> None:
    pact = _copy(pact_file, tmp_path)
    outcome = run_verification(_directory_plan(tmp_path), provider_url)
    assert outcome.passed, outcome.output
    assert len(outcome.results["interactionResults"]) == len(pact["interactions"])  # type: ignore[arg-type]


def test_pacts_naming_this_api_differently_are_all_verified(provider_url: str, tmp_path: Path) -> None:
    """The pact-js consumers call this API `pactflow-example-provider`, others after their own
    example provider: a directory of such pacts must verify every interaction of every pact,
    not just those naming PACTICIPANT (the verifier would skip the rest and report success)."""
    pacts = [
        _copy("good/js-consumer-v2.json", tmp_path),
        _copy("good/js-consumer-v3.json", tmp_path, "pactflow-example-provider-dotnet"),
        _copy("good/python-consumer-v4.json", tmp_path),
    ]
    plan = _directory_plan(tmp_path)
    assert len(plan.provider_names) == 3
    outcome = run_verification(plan, provider_url)
    assert outcome.passed, outcome.output
    verified = {(r["consumer"], r["description"]) for r in outcome.results["interactionResults"]}  # type: ignore[attr-defined]
    expected = {(p["consumer"]["name"], i["description"]) for p in pacts for i in p["interactions"]}
    assert verified == expected


@pytest.mark.parametrize(
    ("pact_file", "expected_mismatch"),
    [
        pytest.param("wrong-status.json", "expected 404 but was 200", id="status"),
        pytest.param("missing-field.json", "missing the following keys: colour", id="body field the provider lacks"),
        pytest.param("wrong-type.json", "to be the same type as 10 (Integer)", id="body type"),
        pytest.param("unknown-state.json", "setup state change handlers has failed", id="state the provider lacks"),
    ],
)
@pytest.mark.parametrize(
    "provider",
    [pytest.param(None, id="this provider"), pytest.param("pactflow-example-provider-golang", id="other name")],
)
def test_broken_pact_fails_verification(
    provider_url: str, pact_file: str, expected_mismatch: str, provider: str | None, tmp_path: Path
) -> None:
    """Negative controls: the gate must be able to fail, and say why, whichever name the pact uses."""
    _copy(f"broken/{pact_file}", tmp_path, provider)
    _copy("good/python-consumer-v4.json", tmp_path)  # a good pact beside it must not hide the failure
    outcome = run_verification(_directory_plan(tmp_path), provider_url)
    assert not outcome.passed, "a broken pact passed verification"
    assert expected_mismatch in outcome.output, outcome.output
