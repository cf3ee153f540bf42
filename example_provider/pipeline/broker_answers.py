"""What the Pact Broker says about a verification: whether its pact source answers, how many pacts it
selects, and whether the results arrived. Asked of the broker, never read from the verifier's log."""

from __future__ import annotations

import json
from urllib.parse import quote, urlsplit

from example_provider.pipeline.broker import BrokerUnavailableError, broker_request
from example_provider.pipeline.errors import PipelineError
from example_provider.pipeline.plan import VerificationPlan


def check_pact_source(plan: VerificationPlan) -> None:
    """Fail fast, with one clear line, when the broker or the pact URL a plan reads cannot be used."""
    if plan.source == "directory" or urlsplit(plan.location).scheme not in {"http", "https"}:
        return
    url = plan.broker_url + "/" if plan.source == "broker" else plan.location
    answer = broker_request(url, broker_url=plan.broker_url, credentials=plan.credentials)
    if plan.source == "url":
        _check_pact_names_the_provider(plan, answer)


def _check_pact_names_the_provider(plan: VerificationPlan, answer: str) -> None:
    """A pact URL naming another provider is refused: its result would be published onto that provider's pact."""
    try:
        provider = json.loads(answer)["provider"]["name"]
    except (ValueError, KeyError, TypeError):
        msg = f"PACT_URL: {plan.location} did not answer with a pact; give the URL of a pact in the broker"
        raise PipelineError(msg) from None
    if provider != plan.provider:
        msg = (
            f"PACT_URL: the pact at {plan.location} is for the provider {provider}, not {plan.provider}; "
            "verify it as that provider by setting PACTICIPANT, or give a pact for this one"
        )
        raise PipelineError(msg)


def pacts_for_verification(plan: VerificationPlan) -> int:
    """How many pacts the broker selects for the plan: asked of the broker, not read from the verifier's log."""
    body = {
        "consumerVersionSelectors": list(plan.consumer_version_selectors),
        "includePendingStatus": plan.include_pending,
        "providerVersionBranch": plan.provider_branch,
    }
    if plan.include_wip_since:
        body["includeWipPactsSince"] = plan.include_wip_since.isoformat()
    url = f"{plan.broker_url}/pacts/provider/{quote(plan.provider)}/for-verification"
    try:
        answer = broker_request(
            url, broker_url=plan.broker_url, credentials=plan.credentials, method="POST", body=json.dumps(body).encode()
        )
    except BrokerUnavailableError as error:
        if error.status == 404:  # noqa: PLR2004 - a provider the broker has never heard of has no pacts
            return 0
        raise
    try:
        return len(json.loads(answer)["_embedded"]["pacts"])
    except (ValueError, KeyError, TypeError):
        msg = f"the Pact Broker at {plan.broker_url} did not answer with a list of pacts"
        raise BrokerUnavailableError(msg) from None


def unpublished(plan: VerificationPlan, interactions: list[dict[str, object]]) -> list[str]:
    """Ask the broker whether this provider version's results arrived for every consumer verified.

    The verifier only logs a failed publication; the broker's matrix says what it holds.
    """
    if not plan.publish or not interactions:
        return []
    query = f"q[][pacticipant]={quote(plan.provider)}&q[][version]={quote(plan.publish.version)}&latestby=cvpv"
    try:
        url = f"{plan.broker_url}/matrix?{query}"
        answer = broker_request(url, broker_url=plan.broker_url, credentials=plan.credentials)
        matrix = json.loads(answer)["matrix"]
    except (BrokerUnavailableError, ValueError, KeyError) as error:
        return [f"the broker could not say whether the verification results were published: {error}"]
    published = {row["consumer"]["name"] for row in matrix if row.get("verificationResult")}
    missing = sorted({str(item.get("consumer")) for item in interactions} - published)
    if missing:
        version = plan.publish.version
        return [f"the broker holds no verification results from {plan.provider} {version} for {', '.join(missing)}"]
    return []
