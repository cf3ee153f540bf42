"""Talking to the Pact Broker over HTTP: one quick request before a task, and what the pact CLI cannot do.

The verifier and the pact CLI retry a failing broker with backoff (about two minutes for the
verifier) and then print a wall of output; one request up front says what is wrong in seconds,
in one line that names the broker and never a credential.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from base64 import b64encode
from urllib.parse import quote, urlsplit

from example_provider.settings import PipelineSettings, SettingsError
from example_provider.verification import Credentials, VerificationPlan

TIMEOUT_SECONDS = 10


class BrokerUnavailableError(RuntimeError):
    """The broker cannot be used; the message names its URL and never a credential."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status  # the HTTP status the broker answered, if it answered


def broker_url(settings: PipelineSettings) -> str:
    if not settings.broker_url:
        msg = "PACT_BROKER_BASE_URL: this task talks to a Pact Broker; set it (and PACT_BROKER_TOKEN for PactFlow)"
        raise SettingsError(msg)
    return settings.broker_url


def authorization_header(credentials: Credentials) -> dict[str, str]:
    """The broker's `Authorization` header for a bearer token or basic auth (none when neither)."""
    if credentials.token:
        return {"Authorization": f"Bearer {credentials.token.get_secret_value()}"}
    if credentials.username and credentials.password:
        pair = f"{credentials.username}:{credentials.password.get_secret_value()}"
        return {"Authorization": "Basic " + b64encode(pair.encode()).decode()}
    return {}


def broker_request(
    url: str, *, broker: str, headers: dict[str, str], method: str = "GET", body: bytes | None = None
) -> str:
    """One request to the broker at `broker`; a clear `BrokerUnavailableError` on any failure."""
    if urlsplit(url).scheme not in {"http", "https"}:
        msg = f"{url!r} is not an http(s) URL; check PACT_BROKER_BASE_URL / PACT_URL"
        raise BrokerUnavailableError(msg)
    all_headers = {"Accept": "application/hal+json, application/json", **headers}
    if body is not None:
        all_headers["Content-Type"] = "application/json"
    request = urllib.request.Request(url, data=body, method=method, headers=all_headers)  # noqa: S310 - checked above
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:  # noqa: S310
            return str(response.read().decode())
    except urllib.error.HTTPError as error:
        raise BrokerUnavailableError(_http_problem(broker, error.code), error.code) from None
    except (OSError, ValueError) as error:
        reason = getattr(error, "reason", error)
        msg = f"the Pact Broker at {broker} cannot be reached ({reason}); check PACT_BROKER_BASE_URL and the network"
        raise BrokerUnavailableError(msg) from None


def _http_problem(broker: str, status: int) -> str:
    where = f"the Pact Broker at {broker}"
    if status in {401, 403}:
        return (
            f"{where} refused the credentials (HTTP {status}); check PACT_BROKER_TOKEN, or "
            "PACT_BROKER_USERNAME and PACT_BROKER_PASSWORD"
        )
    if status >= 500:  # noqa: PLR2004 - HTTP server errors
        return f"{where} failed with HTTP {status}; it may be down: try again later"
    return f"{where} answered HTTP {status}; check PACT_BROKER_BASE_URL / PACT_URL and the credentials"


def check_pact_source(plan: VerificationPlan) -> None:
    """Fail fast, with one clear line, when the broker or the pact URL a plan reads cannot be used."""
    if plan.source == "directory" or urlsplit(plan.location).scheme not in {"http", "https"}:
        return
    url = plan.broker + "/" if plan.source == "broker" else plan.location
    broker_request(url, broker=plan.broker, headers=authorization_header(plan.credentials))


def check_broker(settings: PipelineSettings) -> None:
    """Fail fast, with one clear line, when the broker is unreachable or refuses us."""
    url = broker_url(settings)
    broker_request(url + "/", broker=url, headers=authorization_header(Credentials.from_settings(settings)))


def pacts_for_verification(plan: VerificationPlan) -> int:
    """How many pacts the broker selects for the plan: asked of the broker, not read from the verifier's log."""
    body = {
        "consumerVersionSelectors": list(plan.consumer_version_selectors),
        "includePendingStatus": plan.include_pending,
        "providerVersionBranch": plan.provider_branch,
    }
    if plan.include_wip_since:
        body["includeWipPactsSince"] = plan.include_wip_since.isoformat()
    url = f"{plan.broker}/pacts/provider/{quote(plan.provider)}/for-verification"
    headers = authorization_header(plan.credentials)
    try:
        answer = broker_request(url, broker=plan.broker, headers=headers, method="POST", body=json.dumps(body).encode())
    except BrokerUnavailableError as error:
        if error.status == 404:  # noqa: PLR2004 - a provider the broker has never heard of has no pacts
            return 0
        raise
    try:
        return len(json.loads(answer)["_embedded"]["pacts"])
    except (ValueError, KeyError, TypeError):
        msg = f"the Pact Broker at {plan.broker} did not answer with a list of pacts"
        raise BrokerUnavailableError(msg) from None
