"""The provider's pipeline, decided from settings: `pact broker ...` commands, the deploy rule, fake CI.

Nothing here runs a command; `tasks.py` runs what these functions return. Secrets never enter
an argument list: the pact CLI reads `PACT_BROKER_TOKEN` / `PACT_BROKER_USERNAME` /
`PACT_BROKER_PASSWORD` from its environment, so a `BrokerCommand` carries them in `env` and its
`display` (what the user sees echoed) holds none of them.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import shlex
import shutil
import sys
import urllib.error
import urllib.request
import uuid
from base64 import b64encode
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from pydantic import SecretStr

from example_provider.settings import PipelineSettings, SettingsError, git
from example_provider.verification import VerificationPlan, origin

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
PREFLIGHT_TIMEOUT_SECONDS = 10


@dataclass(frozen=True)
class BrokerCommand:
    """A `pact broker ...` invocation: argv without secrets, plus the environment that carries them."""

    argv: tuple[str, ...]
    env: dict[str, str] = field(repr=False)

    @property
    def display(self) -> str:
        """The command as echoed to the user: never a secret, since none is on the command line."""
        return shlex.join(self.argv)


def pact_executable(settings: PipelineSettings) -> str:
    """`PACT_CLI`, else the `pact` installed next to this Python (the pact-python-cli wheel), else PATH."""
    if settings.pact_cli:
        return settings.pact_cli
    beside = Path(sys.executable).with_name("pact")
    if beside.is_file():
        return str(beside)
    found = shutil.which("pact")
    if found is None:
        msg = "PACT_CLI: no `pact` executable found; install the dev dependencies (pact-python-cli) or set PACT_CLI"
        raise SettingsError(msg)
    return found


def broker_url(settings: PipelineSettings) -> str:
    if not settings.broker_url:
        msg = "PACT_BROKER_BASE_URL: this task talks to a Pact Broker; set it (and PACT_BROKER_TOKEN for PactFlow)"
        raise SettingsError(msg)
    return settings.broker_url


def broker_env(settings: PipelineSettings) -> dict[str, str]:
    """Everything the pact CLI needs from the environment, secrets included."""
    env = {
        "PACT_DO_NOT_TRACK": "true",
        "PACT_BROKER_BASE_URL": broker_url(settings),
        "PACT_BROKER_HTTP_RETRIES": str(settings.broker_http_retries),
    }
    if settings.broker_token:
        env["PACT_BROKER_TOKEN"] = settings.broker_token.get_secret_value()
    if settings.broker_username and settings.broker_password:
        env["PACT_BROKER_USERNAME"] = settings.broker_username
        env["PACT_BROKER_PASSWORD"] = settings.broker_password.get_secret_value()
    return env


def _broker(settings: PipelineSettings, *args: str) -> BrokerCommand:
    return BrokerCommand((pact_executable(settings), "broker", *args), broker_env(settings))


def provider_version(settings: PipelineSettings) -> str:
    if not settings.git_commit:
        msg = "GIT_COMMIT: the provider version is unknown; set GIT_COMMIT or run inside a git checkout"
        raise SettingsError(msg)
    return settings.git_commit


def can_i_deploy(settings: PipelineSettings) -> BrokerCommand:
    args = [
        "can-i-deploy",
        "--pacticipant",
        settings.pacticipant,
        "--version",
        provider_version(settings),
        "--to-environment",
        settings.deploy_environment,
    ]
    if settings.can_i_deploy_retry_while_unknown:
        args += [
            "--retry-while-unknown",
            str(settings.can_i_deploy_retry_while_unknown),
            "--retry-interval",
            str(settings.can_i_deploy_retry_interval),
        ]
    return _broker(settings, *args)


def record_deployment(settings: PipelineSettings) -> BrokerCommand:
    return _broker(
        settings,
        "record-deployment",
        "--pacticipant",
        settings.pacticipant,
        "--version",
        provider_version(settings),
        "--environment",
        settings.deploy_environment,
    )


def list_environments(settings: PipelineSettings) -> BrokerCommand:
    return _broker(settings, "list-environments", "--output", "json")


def create_environment(settings: PipelineSettings, *, production: bool) -> BrokerCommand:
    args = ["create-environment", "--name", settings.deploy_environment, "--display-name", settings.deploy_environment]
    if production:
        args.append("--production")
    return _broker(settings, *args)


def environment_exists(list_environments_output: str, name: str) -> bool:
    """Whether `pact broker list-environments --output json` lists an environment called `name`."""
    try:
        document = json.loads(list_environments_output.strip() or "{}")
        environments = document.get("_embedded", {}).get("environments", [])
        return any(environment.get("name") == name for environment in environments)
    except (ValueError, AttributeError, TypeError):
        msg = "`pact broker list-environments` did not answer with a list of environments; run it by hand to see why"
        raise BrokerUnavailableError(msg) from None


def webhook_uuid(settings: PipelineSettings) -> str:
    """`PACT_WEBHOOK_UUID`, else a UUID derived from the repository and pacticipant: stable, so
    `create-or-update-webhook` updates the same webhook on every run instead of adding one."""
    if settings.webhook_uuid:
        try:
            return str(uuid.UUID(settings.webhook_uuid))
        except ValueError:
            msg = f"PACT_WEBHOOK_UUID: {settings.webhook_uuid!r} is not a UUID; generate one with `uuidgen`"
            raise SettingsError(msg) from None
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
        raise SettingsError(msg)
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
    return _broker(
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
    return _broker(settings, "test-webhook", "--uuid", webhook_uuid(settings))


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
        raise SettingsError(msg)
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
        msg = f"the Pact Broker at {broker_url(settings)} did not answer GET /secrets with a list of secrets"
        raise BrokerUnavailableError(msg) from None
    if existing:
        return SecretRequest("PUT", str(existing), body)
    return SecretRequest("POST", f"{broker_url(settings)}/secrets", body)


def authorization_header(
    token: SecretStr | None, username: str | None = None, password: SecretStr | None = None
) -> dict[str, str]:
    """The broker's `Authorization` header for a bearer token or basic auth (none when neither)."""
    if token:
        return {"Authorization": f"Bearer {token.get_secret_value()}"}
    if username and password:
        pair = f"{username}:{password.get_secret_value()}"
        return {"Authorization": "Basic " + b64encode(pair.encode()).decode()}
    return {}


def settings_authorization(settings: PipelineSettings) -> dict[str, str]:
    return authorization_header(settings.broker_token, settings.broker_username, settings.broker_password)


class BrokerUnavailableError(RuntimeError):
    """The broker cannot be used; the message names its URL and never a credential."""


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
        with urllib.request.urlopen(request, timeout=PREFLIGHT_TIMEOUT_SECONDS) as response:  # noqa: S310
            return str(response.read().decode())
    except urllib.error.HTTPError as error:
        raise BrokerUnavailableError(_http_problem(broker, error.code)) from None
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
    return f"{where} answered HTTP {status}; check PACT_BROKER_BASE_URL / PACT_URL"


def check_pact_source(plan: VerificationPlan) -> None:
    """Fail fast, with one clear line, when the broker or the pact URL a plan reads cannot be used.

    The verifier retries a failing broker with backoff for about two minutes and then reports
    "no pacts"; one request up front says what is wrong in seconds. Local files need no check.
    """
    if plan.source == "directory" or urlsplit(plan.location).scheme not in {"http", "https"}:
        return
    creds = plan.credentials
    if plan.source == "broker":
        url, broker = plan.location.rstrip("/") + "/", plan.location
    else:
        url, broker = plan.location, origin(plan.location)
    broker_request(url, broker=broker, headers=authorization_header(creds.token, creds.username, creds.password))


def check_broker(settings: PipelineSettings) -> None:
    """Fail fast, with one clear line, when the broker is unreachable or refuses us.

    The verifier and the CLI retry server errors with backoff (about two minutes for the
    verifier) and then print a wall of output; one request up front answers in seconds.
    """
    url = broker_url(settings)
    broker_request(url + "/", broker=url, headers=settings_authorization(settings))


@dataclass(frozen=True)
class DeployDecision:
    deploy: bool
    reason: str


def deploy_decision(settings: PipelineSettings) -> DeployDecision:
    """Only builds of the main branch deploy; every other branch stops after can-i-deploy."""
    if settings.is_main_branch:
        return DeployDecision(deploy=True, reason=f"GIT_BRANCH is the main branch ({settings.main_branch}): deploying")
    branch = settings.git_branch or "(no branch: detached checkout)"
    return DeployDecision(
        deploy=False,
        reason=f"not deploying: GIT_BRANCH {branch} is not the main branch {settings.main_branch} (MAIN_BRANCH)",
    )


def fake_ci_environment(settings: PipelineSettings, now: dt.datetime, *, new_version: bool = True) -> dict[str, str]:
    """The variables a CI system would set, so `ci` runs locally as it runs in CI.

    With `new_version` the version is the short commit plus a timestamp: each local run is a new
    provider version, so results of earlier runs (from a dirty tree, say) never stand for this
    one. Without it (a webhook build) GIT_COMMIT and GIT_BRANCH stay as given.
    """
    commit = settings.git_commit
    branch = settings.git_branch
    if not commit or not branch:
        msg = "GIT_COMMIT and GIT_BRANCH: fake CI needs a git checkout on a branch, or both set"
        raise SettingsError(msg)
    version = f"{commit[:7]}-{now.astimezone(dt.UTC):%Y%m%dT%H%M%SZ}" if new_version else commit
    return {
        "CI": "true",
        "PACT_BROKER_PUBLISH_VERIFICATION_RESULTS": "true",
        "GIT_COMMIT": version,
        "GIT_BRANCH": branch,
    }


def check_ci(settings: PipelineSettings) -> None:
    """`ci` verifies against the broker and asks it can-i-deploy: it needs a broker and no PACT_URL."""
    broker_url(settings)
    if settings.pact_url:
        msg = "PACT_URL: it is set, which makes this a webhook build; run `invoke ci-webhook`, or unset PACT_URL"
        raise SettingsError(msg)
    provider_version(settings)


def check_webhook_build(settings: PipelineSettings) -> None:
    """`ci-webhook` verifies the one pact the broker's webhook named."""
    if not settings.pact_url:
        msg = "PACT_URL: ci-webhook verifies the one pact a webhook names; set PACT_URL to that pact's URL"
        raise SettingsError(msg)
    if settings.publish_verification_results and not settings.git_branch:
        msg = "GIT_BRANCH: a webhook build publishes under the branch the webhook supplied; set GIT_BRANCH"
        raise SettingsError(msg)
