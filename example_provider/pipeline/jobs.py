"""The pipeline's jobs: what each `invoke` task does, given its settings and invoke's context.

A job that cannot go on raises `PipelineError` (invoke's `Exit`): one line on stderr, exit 1.
Broker commands are echoed without secrets: credentials reach the pact CLI only through its
environment.
"""

from __future__ import annotations

import os

from invoke.context import Context
from invoke.runners import Result

from example_provider.pipeline import commands, webhook
from example_provider.pipeline.broker import Credentials, broker_request, check_broker, require_broker_url
from example_provider.pipeline.errors import PipelineError, read
from example_provider.pipeline.settings import PipelineSettings
from example_provider.settings import ServerSettings


def _run(c: Context, command: commands.BrokerCommand, *, hide: bool = False) -> Result:
    print(f"$ {command.display}", flush=True)
    return c.run(command.display, env=command.env, warn=True, hide=hide, echo=False)


def _broker_step(c: Context, settings: PipelineSettings, command: commands.BrokerCommand, what: str) -> None:
    """Run one `pact broker` command; stop if it fails."""
    if not _run(c, command).ok:
        msg = f"{what} failed against the Pact Broker at {settings.broker_url} (see its output above)"
        raise PipelineError(msg)


def verify(settings: PipelineSettings, server: ServerSettings, consequence: str = "") -> None:
    """Verify the pacts the settings select against the app as `server`'s settings run it (its API_TOKEN, if set).

    A `PipelineError`, saying why and then `consequence`, if that fails.
    """
    # Imported here: the app and pact-python load only for the jobs that verify (a task starts in half the time).
    from example_provider.pipeline import verifier  # noqa: PLC0415

    verifier.verify(settings, server, consequence)


def ci(c: Context, settings: PipelineSettings, server: ServerSettings) -> None:
    """Verify (publishing when enabled), ask can-i-deploy, and deploy from the main branch only."""
    commands.check_ci(settings)
    verify(settings, server, "; not asking can-i-deploy, nothing deployed")
    print(f"== can-i-deploy {settings.pacticipant} {settings.git_commit} to {settings.deploy_environment}")
    _broker_step(c, settings, commands.can_i_deploy(settings), "can-i-deploy")
    decision = commands.deploy_decision(settings)
    print(f"== deploy: {decision.reason}")
    if decision.deploy:
        deploy(c, settings)


def ci_webhook(settings: PipelineSettings, server: ServerSettings) -> None:
    """Verify only the pact at PACT_URL and publish the result; never deploy."""
    commands.check_webhook_build(settings)
    verify(settings, server, "; the result tells the consumer")
    print("== webhook build: verified; no can-i-deploy and no deployment (the consumer's pipeline asks)")


def as_ci(settings: PipelineSettings, *, webhook: bool) -> PipelineSettings:
    """The settings a CI build (`webhook`: a webhook build) would have: its variables set here, then read again."""
    commands.check_fake_ci(settings, webhook=webhook)
    fake = commands.fake_ci_environment(settings, webhook=webhook)
    print("fake CI: " + " ".join(f"{key}={value}" for key, value in fake.items()), flush=True)
    os.environ.update(fake)
    return read(PipelineSettings)


def can_i_deploy(c: Context, settings: PipelineSettings) -> None:
    check_broker(settings)
    _broker_step(c, settings, commands.can_i_deploy(settings), "can-i-deploy")


def deploy(c: Context, settings: PipelineSettings) -> None:
    """Pretend to deploy, then record the deployment; the broker is checked first, as it must record it."""
    command = commands.record_deployment(settings)
    check_broker(settings)
    print(f"deploying {settings.pacticipant} {settings.git_commit} to {settings.deploy_environment} (pretend)")
    _broker_step(c, settings, command, "record-deployment")


def record_deployment(c: Context, settings: PipelineSettings) -> None:
    check_broker(settings)
    _broker_step(c, settings, commands.record_deployment(settings), "record-deployment")


def create_environment(c: Context, settings: PipelineSettings, *, production: bool) -> None:
    """Create DEPLOY_ENVIRONMENT unless the broker lists it already."""
    check_broker(settings)
    listed = _run(c, commands.list_environments(settings), hide=True)
    if not listed.ok:
        broker_url = settings.broker_url
        msg = f"list-environments failed against the Pact Broker at {broker_url}: {listed.stdout.strip()}"
        raise PipelineError(msg)
    if commands.environment_exists(listed.stdout, settings.deploy_environment):
        print(f"environment {settings.deploy_environment} already exists: nothing to do")
        return
    _broker_step(c, settings, commands.create_environment(settings, production=production), "create-environment")


def create_github_token_secret(settings: PipelineSettings) -> None:
    """Create or update the PactFlow secret holding GITHUB_TOKEN (the pact CLI has no secrets command)."""
    webhook.check_github_token(settings)
    check_broker(settings)
    broker_url, credentials = require_broker_url(settings), Credentials.from_settings(settings)
    try:
        existing = broker_request(f"{broker_url}/secrets", broker_url=broker_url, credentials=credentials)
    except PipelineError as error:
        msg = f"{error} (secrets are a PactFlow feature; a self-hosted broker has none)"
        raise PipelineError(msg) from None
    request = webhook.github_token_secret_request(settings, existing)
    broker_request(
        request.url, broker_url=broker_url, credentials=credentials, method=request.method, body=request.body
    )
    verb = "updated" if request.method == "PUT" else "created"
    print(f"{verb} the PactFlow secret {settings.github_token_secret_name} from GITHUB_TOKEN")


def create_or_update_webhook(c: Context, settings: PipelineSettings) -> None:
    check_broker(settings)
    _broker_step(c, settings, webhook.create_or_update_webhook(settings), "create-or-update-webhook")


def test_webhook(c: Context, settings: PipelineSettings) -> None:
    check_broker(settings)
    _broker_step(c, settings, webhook.webhook_test(settings), "test-webhook")
