"""Verify the provider with pact-python: a `VerificationPlan` becomes a configured `pact.Verifier`.

`verify` is what `invoke verify`, `ci` and `ci-webhook` run, in their own process, and what
`test_provider_honours_pacts` runs under pytest: the real verifier against the app served by a
real uvicorn server on loopback. The negative controls use `run_verification`, the same code.
"""

from __future__ import annotations

import logging
import re
import secrets
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from pact import Verifier
from pydantic import SecretStr

from example_provider.app import create_app
from example_provider.pipeline.broker import BrokerUnavailableError
from example_provider.pipeline.broker_answers import check_pact_source, pacts_for_verification, unpublished
from example_provider.pipeline.database import refuse_the_servers_database, verification_database
from example_provider.pipeline.errors import PipelineError
from example_provider.pipeline.output import forwarded_stdout
from example_provider.pipeline.plan import VerificationPlan, plan_verification
from example_provider.pipeline.server import serve_in_thread
from example_provider.pipeline.settings import PipelineSettings
from example_provider.settings import ServerSettings
from example_provider.verifier_endpoints import MESSAGES_PATH, PROVIDER_STATES_PATH


def forward_only_warnings() -> None:
    """Forward the verifier's warnings and errors to `logging`, not its INFO events, unless `pact.ffi` has a level.

    pact-python forwards INFO by default: several events an interaction, which nothing here shows and
    which cost the verifier time (benchmarks/README.md). The level holds from the first verifier (or
    consumer `Pact`) a process makes.
    """
    if logging.getLogger("pact.ffi").level == logging.NOTSET:
        logging.getLogger("pact.ffi").setLevel(logging.WARNING)


@dataclass
class VerificationOutcome:
    passed: bool
    output: str  # the verifier's report, which the verifier has printed already
    interactions: list[dict[str, object]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # why it failed, beyond the report
    notes: list[str] = field(default_factory=list)  # what passed but deserves a line


def build_verifier(plan: VerificationPlan, base_url: str, api_token: SecretStr | None) -> Verifier:
    """Configure a verifier for the provider served at `base_url`, which requires `api_token`.

    The token goes in a custom header: it replaces any `Authorization` a consumer's pact carries
    (the pact-js consumers send an example one) and reaches the state-change calls too.

    States are changed through the app's own state-change endpoint, the one external verifiers
    use, so both ways of verifying run the same code. It has to be a URL: pact-python's in-process
    state callback discards what the handler returns, so a state could not hand values back to
    the consumer's `fromProviderState` expressions. A state that fails there answers 400, which
    the verifier reports at once; the in-process callback answers 500, which it retries.
    """
    provider = urlsplit(base_url)
    forward_only_warnings()
    verifier = (
        Verifier(plan.provider, host=provider.hostname or "127.0.0.1")
        .add_transport(url=base_url)
        .add_transport(protocol="message", port=provider.port, path=MESSAGES_PATH, scheme=provider.scheme)
        .state_handler(base_url + PROVIDER_STATES_PATH, teardown=True, body=True)
        .set_error_on_empty_pact(enabled=plan.fail_if_no_pacts)
        .set_coloured_output(enabled=False)
    )
    if api_token:
        verifier.add_custom_header("Authorization", f"Bearer {api_token.get_secret_value()}")
    if provider.scheme == "http":
        # No TLS to check on a plain-http provider, and checking it costs: the verifier builds a
        # client per interaction, and each one would re-read the whole system CA store (most of
        # the time an interaction takes; benchmarks/README.md). This option only reaches that
        # provider client: the broker, pact URLs and publishing still verify TLS as configured.
        verifier.disable_ssl_verification()
    if plan.description_filter or plan.state_filter or plan.no_state_filter:
        verifier.filter(plan.description_filter, state=plan.state_filter, no_state=plan.no_state_filter)
    _add_source(verifier, plan)
    if plan.publish:
        verifier.set_publish_options(
            version=plan.publish.version, branch=plan.publish.branch, url=plan.publish.build_url
        )
    return verifier


def _add_source(verifier: Verifier, plan: VerificationPlan) -> None:
    if plan.source == "directory" or plan.pact_files:
        for path in plan.pact_files:
            verifier.add_source(path)
    elif plan.source == "url":
        # `add_source` does not read the broker variables: credentials go in explicitly.
        verifier.add_source(plan.location, **plan.credentials.verifier_arguments())
    else:
        builder = verifier.broker_source(
            plan.broker_url, selector=True, use_env=False, **plan.credentials.verifier_arguments()
        )
        if plan.include_pending:
            builder.include_pending()
        if plan.include_wip_since:
            builder.include_wip_since(plan.include_wip_since)
        if plan.provider_branch:
            builder.provider_branch(plan.provider_branch)
        for selector in plan.consumer_version_selectors:
            builder.consumer_version(**{_snake_case(key): value for key, value in selector.items()})
        builder.build()


def _snake_case(name: str) -> str:
    return re.sub(r"(?<!^)([A-Z])", r"_\1", name).lower()


def _nothing_verified(plan: VerificationPlan, outcome: VerificationOutcome) -> None:
    """The verifier verified nothing from the broker: ask the broker why, rather than read its log.

    The verifier reports a broker that failed while listing the pacts as "no pacts"; with
    PACT_FAIL_IF_NO_PACTS_FOUND=false it would pass.
    """
    try:
        listed = pacts_for_verification(plan)
    except BrokerUnavailableError as error:
        reason = f"HTTP {error.status}" if error.status else str(error)
        outcome.problems.append(f"the Pact Broker at {plan.broker_url} failed while listing the pacts: {reason}")
        return
    if listed:
        outcome.problems.append(f"the broker selects {listed} pact(s) for {plan.provider}, and none was verified")
    elif plan.fail_if_no_pacts:
        outcome.problems.append(
            f"the broker returned no pacts for {plan.provider}; PACT_FAIL_IF_NO_PACTS_FOUND=false lets that pass"
        )
    else:
        outcome.notes.append(f"the broker returned no pacts for {plan.provider}: nothing was verified")


def run_verification(plan: VerificationPlan, base_url: str, api_token: SecretStr | None) -> VerificationOutcome:
    """Verify the provider at `base_url` as `plan` says; the verifier prints its report."""
    verifier = build_verifier(plan, base_url, api_token)
    try:
        verifier.verify()
        passed = True
    except RuntimeError:
        passed = False
    output = str(verifier.output(strip_ansi=True))
    interactions: list[dict[str, object]] = verifier.results.get("interactionResults") or []
    outcome = VerificationOutcome(passed, output, interactions, unpublished(plan, interactions))
    if plan.source == "broker" and not interactions:
        _nothing_verified(plan, outcome)
    filters = plan.description_filter or plan.state_filter or plan.no_state_filter
    if filters and not interactions and outcome.passed:
        outcome.problems.append(
            "no interaction matches PACT_DESCRIPTION / PACT_PROVIDER_STATE / PACT_PROVIDER_NO_STATE"
        )
    pending = [
        f"{item.get('consumer')}: {item.get('description')}"
        for item in interactions
        if item.get("pending") and item.get("result") != "OK"
    ]
    if pending:
        outcome.notes.append(
            f"{len(pending)} interaction(s) of pending or work-in-progress pacts failed, which does not fail the "
            "build until this provider has verified them once (docs.pact.io/pending): " + "; ".join(pending)
        )
    outcome.passed = outcome.passed and not outcome.problems
    return outcome


def verify(settings: PipelineSettings, server: ServerSettings, consequence: str = "") -> None:
    """Verify the app as `server`'s settings run it, authentication on, against the pacts the settings select.

    Raises `PipelineError` before verifying anything when the settings or the pact source
    cannot be used, and when the verification fails: why, then `consequence`.
    """
    plan = plan_verification(settings)
    refuse_the_servers_database(settings.verify_database_url, server)
    # The app as it runs, authentication on: with the server's API_TOKEN, or a token of this run's own.
    api_token = server.api_token or SecretStr(secrets.token_urlsafe(32))
    with forwarded_stdout():
        print(plan.describe(), flush=True)
        if plan.skipped:
            print(plan.skipped, flush=True)
        check_pact_source(plan)
        with verification_database(settings.verify_database_url) as database:
            app = create_app(database, provider_states=True, api_token=api_token)
            with serve_in_thread(app) as base_url:
                outcome = run_verification(plan, base_url, api_token)
        for line in outcome.notes + outcome.problems:
            print(line, flush=True)
    if not outcome.passed:
        why = "the provider does not honour its pacts" if outcome.interactions else "nothing was verified"
        msg = f"{why} (see above){consequence}"
        raise PipelineError(msg)
