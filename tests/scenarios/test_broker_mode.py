"""Broker mode of the contract verification, in-process: the pipeline's verifier, for real, against a broker."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import URL

from example_provider.app import create_app
from example_provider.pipeline.broker import Credentials
from example_provider.pipeline.plan import CONSUMER_VERSION_SELECTORS, VerificationPlan
from example_provider.pipeline.server import serve_in_thread
from example_provider.pipeline.verifier import run_verification
from tests.scenarios.broker_double import BrokerDouble, running_broker
from tests.scenarios.conftest import PROVIDER, TOKEN, broker_under_test

pytestmark = pytest.mark.broker


@pytest.fixture
def provider_url(sqlite_database: URL) -> Iterator[str]:
    with serve_in_thread(create_app(sqlite_database, provider_states=True)) as url:
        yield url


def _plan(
    broker_url: str, *, fail_if_no_pacts: bool, provider: str = PROVIDER, credentials: Credentials | None = None
) -> VerificationPlan:
    from pydantic import SecretStr  # noqa: PLC0415

    return VerificationPlan(
        provider=provider,
        source="broker",
        location=broker_url,
        credentials=credentials or Credentials(token=SecretStr(TOKEN)),
        consumer_version_selectors=CONSUMER_VERSION_SELECTORS,
        include_pending=True,
        provider_branch="main",
        fail_if_no_pacts=fail_if_no_pacts,
    )


def test_no_pacts_allowed_passes_and_says_so(provider_url: str) -> None:
    with broker_under_test() as (broker_url, given, _):
        provider = f"{PROVIDER}-{uuid.uuid4().hex[:8]}"
        plan = _plan(broker_url, fail_if_no_pacts=False, provider=provider, credentials=given)
        outcome = run_verification(plan, provider_url, None)
    assert outcome.passed, outcome.output
    assert outcome.notes == [f"the broker returned no pacts for {plan.provider}: nothing was verified"]


def test_a_broker_that_fails_mid_run_is_not_taken_for_no_pacts_on_the_double(provider_url: str) -> None:
    """The verifier reports a failing pacts-for-verification call as "no pacts" and, when empty is
    allowed, passes: ours must not."""
    double = BrokerDouble(token=TOKEN)
    double.refuse_paths["/pacts/provider/"] = 403
    with running_broker(double) as broker_url:
        outcome = run_verification(_plan(broker_url, fail_if_no_pacts=False), provider_url, None)
    assert not outcome.passed
    assert outcome.notes == []
    assert outcome.problems[0].startswith(f"the Pact Broker at {broker_url} failed while listing the pacts:")
    assert TOKEN not in outcome.output
