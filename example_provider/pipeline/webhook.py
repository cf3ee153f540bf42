"""The webhook that starts the webhook build, and the PactFlow secret it calls GitHub with.

When a consumer publishes a pact this provider has not verified, the broker's webhook sends
GitHub a `repository_dispatch`, which runs `.github/workflows/verify_changed_pact.yml`.
"""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass, field

from pydantic import SecretStr

from example_provider.pipeline.broker import BrokerUnavailableError, require_broker_url
from example_provider.pipeline.commands import BrokerCommand, broker_command
from example_provider.pipeline.errors import PipelineError
from example_provider.pipeline.plan import origin
from example_provider.pipeline.settings import PipelineSettings, git

#: The broker event that fires when a consumer publishes a pact whose content this provider has
#: not verified yet; the webhook turns it into a GitHub `repository_dispatch` of the same name.
CHANGED_PACT_EVENT = "contract_requiring_verification_published"
#: Pact broker "template parameters" the webhook passes on to the dispatched build.
WEBHOOK_PAYLOAD = {
    "event_type": CHANGED_PACT_EVENT,
    "client_payload": {
        "pact_url": "${pactbroker.pactUrl}",
        "sha": "${pactbroker.providerVersionNumber}",
        "branch": "${pactbroker.providerVersionBranch}",
        "message": (
            "Verify changed pact for ${pactbroker.consumerName} version ${pactbroker.consumerVersionNumber} "
            "branch ${pactbroker.consumerVersionBranch} by ${pactbroker.providerVersionNumber} "
            "(${pactbroker.providerVersionDescriptions})"
        ),
    },
}


def webhook_uuid(settings: PipelineSettings) -> str:
    """`PACT_WEBHOOK_UUID`, else a UUID derived from the repository and pacticipant: stable, so
    `create-or-update-webhook` updates the same webhook on every run instead of adding one."""
    if settings.webhook_uuid:
        try:
            return str(uuid.UUID(settings.webhook_uuid))
        except ValueError:
            msg = (
                f"PACT_WEBHOOK_UUID: {settings.webhook_uuid!r} is not a UUID; unset it, and a stable one is "
                "derived from GITHUB_REPOSITORY and PACTICIPANT"
            )
            raise PipelineError(msg) from None
    key = f"{github_repository(settings)}/{settings.pacticipant}/{CHANGED_PACT_EVENT}"
    return str(uuid.uuid5(uuid.NAMESPACE_URL, key))


def github_repository(settings: PipelineSettings) -> str:
    """`GITHUB_REPOSITORY` (owner/name), else the GitHub `origin` remote of this checkout."""
    repository = settings.github_repository or _repository_from_remote(git("remote", "get-url", "origin"))
    if not repository or not re.fullmatch(r"[\w.-]+/[\w.-]+", repository):
        msg = (
            "GITHUB_REPOSITORY: the webhook needs the GitHub repository to dispatch to (owner/name); "
            "set it, or add a GitHub `origin` remote"
        )
        raise PipelineError(msg)
    return repository


def _repository_from_remote(remote: str | None) -> str | None:
    match = re.search(r"github\.com[:/]([\w.-]+/[\w.-]+?)(?:\.git)?/?$", remote or "")
    return match.group(1) if match else None


def create_or_update_webhook(settings: PipelineSettings) -> BrokerCommand:
    """The webhook that starts `verify_changed_pact.yml` when a changed pact needs verifying.

    The GitHub token is not on the command line: the header names the broker secret
    (`${user.<name>}`, see `create-github-token-secret`), which the broker substitutes when it
    sends the request.
    """
    repository = github_repository(settings)
    return broker_command(
        settings,
        "create-or-update-webhook",
        f"{settings.github_api_url.rstrip('/')}/repos/{repository}/dispatches",
        "--request",
        "POST",
        "--header",
        "Content-Type: application/json",
        "Accept: application/vnd.github+json",
        f"Authorization: Bearer ${{user.{settings.github_token_secret_name}}}",
        "--data",
        json.dumps(WEBHOOK_PAYLOAD),
        "--uuid",
        webhook_uuid(settings),
        "--provider",
        settings.pacticipant,
        "--description",
        f"{CHANGED_PACT_EVENT} for {settings.pacticipant} -> {repository}",
        "--contract-requiring-verification-published",
    )


def webhook_test(settings: PipelineSettings) -> BrokerCommand:
    return broker_command(settings, "test-webhook", "--uuid", webhook_uuid(settings))


@dataclass(frozen=True)
class SecretRequest:
    """An HTTP request to PactFlow's secrets API. `body` holds the secret: never print it."""

    method: str
    url: str
    body: bytes = field(repr=False)


def check_github_token(settings: PipelineSettings) -> None:
    """The secret's value must be given before the broker is asked anything."""
    _github_token(settings)


def _github_token(settings: PipelineSettings) -> SecretStr:
    if not settings.github_token:
        msg = "GITHUB_TOKEN: set it to a GitHub token allowed to create repository_dispatch events"
        raise PipelineError(msg)
    return settings.github_token


def github_token_secret_request(settings: PipelineSettings, existing_secrets: str) -> SecretRequest:
    """Create the PactFlow secret holding `GITHUB_TOKEN`, or update it when one has that name.

    `existing_secrets` is the JSON body of `GET /secrets`. The pact CLI has no secrets command,
    so this one is sent with the standard library.
    """
    token = _github_token(settings)
    name = settings.github_token_secret_name
    body = json.dumps(
        {
            "name": name,
            "description": f"GitHub token used by the {settings.pacticipant} webhook",
            "value": token.get_secret_value(),
        }
    ).encode()
    try:
        listed = json.loads(existing_secrets or "{}").get("_embedded", {}).get("secrets", [])
        existing = next((secret["_links"]["self"]["href"] for secret in listed if secret.get("name") == name), None)
    except (ValueError, AttributeError, TypeError, KeyError):
        msg = f"the Pact Broker at {require_broker_url(settings)} did not answer GET /secrets with a list of secrets"
        raise BrokerUnavailableError(msg) from None
    if existing:
        if origin(str(existing)) != origin(require_broker_url(settings)):  # the token and GITHUB_TOKEN go there
            msg = f"the Pact Broker at {require_broker_url(settings)} links its secret {name} to another host"
            raise BrokerUnavailableError(msg)
        return SecretRequest("PUT", str(existing), body)
    return SecretRequest("POST", f"{require_broker_url(settings)}/secrets", body)
