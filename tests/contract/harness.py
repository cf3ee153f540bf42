"""Turn a `VerificationPlan` into a configured pact-python `Verifier` and run it.

Kept apart from the test functions so the real verification and the negative controls use
exactly the same configuration.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from urllib.parse import urlsplit

from pact import Verifier

from example_provider.app import PROVIDER_STATES_PATH
from example_provider.verification import VerificationPlan

logger = logging.getLogger(__name__)


@dataclass
class VerificationOutcome:
    passed: bool
    output: str
    results: dict[str, object]


def build_verifier(plan: VerificationPlan, base_url: str) -> Verifier:
    """Configure a verifier for the provider served at `base_url`.

    States are changed through the app's own state-change endpoint, the one external
    verifiers use, so both ways of verifying run the same code. A state that fails there
    answers 400, which the verifier reports at once; pact-python's in-process callback
    answers 500 instead, which the verifier retries with backoff for about two minutes
    per interaction (measured) before it reports the failure.
    """
    host = urlsplit(base_url).hostname or "127.0.0.1"
    verifier = (
        Verifier(plan.provider, host=host)
        .add_transport(url=base_url)
        .state_handler(base_url + PROVIDER_STATES_PATH, teardown=True, body=True)
        .set_error_on_empty_pact(enabled=plan.fail_if_no_pacts)
        .set_coloured_output(enabled=False)
    )
    creds = plan.credentials
    token = creds.token.get_secret_value() if creds.token else None
    password = creds.password.get_secret_value() if creds.password else None
    if plan.source == "directory":
        verifier.add_source(plan.location)
    elif plan.source == "url":
        # `add_source` does not read the broker variables: credentials go in explicitly.
        if token:
            verifier.add_source(plan.location, token=token)
        else:
            verifier.add_source(plan.location, username=creds.username, password=password)
    else:
        builder = (
            verifier.broker_source(plan.location, token=token, selector=True, use_env=False)
            if token
            else verifier.broker_source(
                plan.location, username=creds.username, password=password, selector=True, use_env=False
            )
        )
        if plan.include_pending:
            builder.include_pending()
        if plan.include_wip_since:
            builder.include_wip_since(plan.include_wip_since)
        if plan.provider_branch:
            builder.provider_branch(plan.provider_branch)
        builder.consumer_versions(*(json.dumps(selector) for selector in plan.consumer_version_selectors))
        builder.build()
    if plan.publish:
        verifier.set_publish_options(
            version=plan.publish.version, branch=plan.publish.branch, url=plan.publish.build_url
        )
    return verifier


def run_verification(plan: VerificationPlan, base_url: str) -> VerificationOutcome:
    logger.info(plan.describe())
    for note in plan.notes:
        logger.warning(note)
    verifier = build_verifier(plan, base_url)
    try:
        verifier.verify()
        passed = True
    except RuntimeError:
        passed = False
    return VerificationOutcome(passed, str(verifier.output(strip_ansi=True)), verifier.results)
