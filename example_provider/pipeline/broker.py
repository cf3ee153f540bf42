"""The Pact Broker: its credentials, and one quick HTTP request before a task.

The verifier and the pact CLI retry a failing broker with backoff (about two minutes for the
verifier) and then print a wall of output; one request up front says what is wrong in seconds,
in one line that names the broker and never a credential.
"""

from __future__ import annotations

import urllib.error
import urllib.request
from base64 import b64encode
from dataclasses import dataclass
from urllib.parse import urlsplit

from pydantic import SecretStr

from example_provider.pipeline.errors import PipelineError
from example_provider.pipeline.settings import PipelineSettings

TIMEOUT_SECONDS = 10


@dataclass(frozen=True)
class Credentials:
    """How to authenticate to the broker: a bearer token, or basic auth, or nothing.

    The one place that turns them into what each tool takes: an `Authorization` header, the
    verifier's arguments, the `pact` CLI's environment. Secrets stay `SecretStr` until then.
    """

    token: SecretStr | None = None
    username: str | None = None
    password: SecretStr | None = None

    @classmethod
    def from_settings(cls, settings: PipelineSettings) -> Credentials:
        return cls(settings.broker_token, settings.broker_username, settings.broker_password)

    def describe(self) -> str:
        if self.token:
            return "bearer token"
        if self.username:
            return f"basic auth as {self.username}"
        return "no authentication"

    def header(self) -> dict[str, str]:
        """The `Authorization` header for a request to the broker (none without credentials)."""
        if self.token:
            return {"Authorization": f"Bearer {self.token.get_secret_value()}"}
        if self.username and self.password:
            pair = f"{self.username}:{self.password.get_secret_value()}"
            return {"Authorization": "Basic " + b64encode(pair.encode()).decode()}
        return {}

    def verifier_arguments(self) -> dict[str, str]:
        """Keyword arguments for pact-python's `add_source` / `broker_source`."""
        if self.token:
            return {"token": self.token.get_secret_value()}
        if self.username and self.password:
            return {"username": self.username, "password": self.password.get_secret_value()}
        return {}

    def cli_env(self) -> dict[str, str]:
        """The variables the `pact` CLI reads them from: never its command line."""
        return {f"PACT_BROKER_{name.upper()}": value for name, value in self.verifier_arguments().items()}


class BrokerUnavailableError(PipelineError):
    """The broker cannot be used; the message names its URL and never a credential."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status  # the HTTP status the broker answered, if it answered


def require_broker_url(settings: PipelineSettings) -> str:
    if not settings.broker_url:
        msg = "PACT_BROKER_BASE_URL: this task talks to a Pact Broker; set it (and PACT_BROKER_TOKEN for PactFlow)"
        raise PipelineError(msg)
    return settings.broker_url


def broker_request(
    url: str, *, broker_url: str, credentials: Credentials, method: str = "GET", body: bytes | None = None
) -> str:
    """One request to the broker at `broker_url`; a clear `BrokerUnavailableError` on any failure."""
    if urlsplit(url).scheme not in {"http", "https"}:
        msg = f"{url!r} is not an http(s) URL; check PACT_BROKER_BASE_URL / PACT_URL"
        raise BrokerUnavailableError(msg)
    headers = {"Accept": "application/hal+json, application/json", **credentials.header()}
    if body is not None:
        headers["Content-Type"] = "application/json"
    request = urllib.request.Request(url, data=body, method=method, headers=headers)  # noqa: S310 - checked above
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:  # noqa: S310
            return str(response.read().decode())
    except urllib.error.HTTPError as error:
        raise BrokerUnavailableError(_http_problem(broker_url, error.code), error.code) from None
    except (OSError, ValueError) as error:
        reason = getattr(error, "reason", error)
        msg = (
            f"the Pact Broker at {broker_url} cannot be reached ({reason}); check PACT_BROKER_BASE_URL and the network"
        )
        raise BrokerUnavailableError(msg) from None


def _http_problem(broker_url: str, status: int) -> str:
    where = f"the Pact Broker at {broker_url}"
    if status in {401, 403}:
        return (
            f"{where} refused the credentials (HTTP {status}); check PACT_BROKER_TOKEN, or "
            "PACT_BROKER_USERNAME and PACT_BROKER_PASSWORD"
        )
    if status >= 500:  # noqa: PLR2004 - HTTP server errors
        return f"{where} failed with HTTP {status}; it may be down: try again later"
    return f"{where} answered HTTP {status}; check PACT_BROKER_BASE_URL / PACT_URL and the credentials"


def check_broker(settings: PipelineSettings) -> None:
    """Fail fast, with one clear line, when the broker is unreachable or refuses us."""
    url = require_broker_url(settings)
    broker_request(url + "/", broker_url=url, credentials=Credentials.from_settings(settings))
