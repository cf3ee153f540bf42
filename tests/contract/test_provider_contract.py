"""The provider keeps its consumers' contracts: the gate of every build.

The source of pacts comes from settings (see `example_provider.verification`): the bundled
`pacts/` by default, a directory via `PACT_DIR`, a broker via `PACT_BROKER_BASE_URL`, or one
pact via `PACT_URL`. `invoke verify` runs only `test_provider_honours_pacts`.
"""

from __future__ import annotations

import warnings
from pathlib import Path

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
    for note in plan.notes:
        warnings.warn(note, UserWarning, stacklevel=1)
    outcome = run_verification(plan, provider_url)
    if not outcome.passed:
        pytest.fail(f"{plan.describe()}\n\nPact verification failed:\n{outcome.output}", pytrace=False)


def _directory_plan(directory: Path) -> VerificationPlan:
    return VerificationPlan(provider="pactflow-example-provider-python", source="directory", location=str(directory))


@pytest.mark.parametrize(
    "pact_file",
    [
        pytest.param("js-consumer-v2.json", id="pact-js consumer, V2 spec, charset and Authorization"),
        pytest.param("js-consumer-v3.json", id="pact-js consumer, V3 spec, state params"),
        pytest.param("python-consumer-v4.json", id="pact-python consumer, V4 spec"),
    ],
)
def test_other_consumers_pacts_pass(provider_url: str, pact_file: str, tmp_path: Path) -> None:
    (tmp_path / pact_file).write_bytes((FIXTURES / "good" / pact_file).read_bytes())
    outcome = run_verification(_directory_plan(tmp_path), provider_url)
    assert outcome.passed, outcome.output


@pytest.mark.parametrize(
    ("pact_file", "expected_mismatch"),
    [
        pytest.param("wrong-status.json", "expected 404 but was 200", id="status"),
        pytest.param("missing-field.json", "colour", id="body field the provider lacks"),
        pytest.param("wrong-type.json", "to be the same type as 10 (Integer)", id="body type"),
        pytest.param("unknown-state.json", "a product with ID 99 is on sale", id="state the provider lacks"),
    ],
)
def test_broken_pact_fails_verification(
    provider_url: str, pact_file: str, expected_mismatch: str, tmp_path: Path
) -> None:
    """Negative controls: the gate must be able to fail, and say why."""
    (tmp_path / pact_file).write_bytes((FIXTURES / "broken" / pact_file).read_bytes())
    outcome = run_verification(_directory_plan(tmp_path), provider_url)
    assert not outcome.passed, "a broken pact passed verification"
    assert expected_mismatch in outcome.output, outcome.output
