"""Turn a `VerificationPlan` into a configured pact-python `Verifier` and run it.

Kept apart from the test functions so the real verification and the negative controls use
exactly the same configuration.
"""

from __future__ import annotations

import contextlib
import logging
import re
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from pact import Verifier
from pact.logging import forwarding_level

from example_provider.app import PROVIDER_STATES_PATH
from example_provider.pipeline import BrokerUnavailableError, check_pact_source
from example_provider.verification import VerificationPlan

logger = logging.getLogger(__name__)


#: What the Rust verifier logs after each publication (pact_verifier's `publish_result`): it
#: never fails the run on its own, so the harness reads these to make a failed publish fail.
PUBLISHED = "Results published to Pact Broker"
PUBLISH_FAILED = "Publishing of verification results failed"
VERIFIER_LOGGER = "pact.ffi.pact_verifier"


class NoPactsFoundWarning(UserWarning):
    """The broker selected no pact and the settings allow that: the run passes, verifying nothing."""


class PendingPactFailureWarning(UserWarning):
    """A pending (or WIP) pact failed: reported, but it does not fail the build by design."""


@dataclass
class VerificationOutcome:
    passed: bool
    output: str
    results: dict[str, object]
    problems: list[str] = field(default_factory=list)


def build_verifier(plan: VerificationPlan, base_url: str, provider: str | None = None) -> Verifier:
    """Configure a verifier for the provider served at `base_url`, as `provider` (default: `plan.provider`).

    States are changed through the app's own state-change endpoint, the one external
    verifiers use, so both ways of verifying run the same code. A state that fails there
    answers 400, which the verifier reports at once; pact-python's in-process callback
    answers 500 instead, which the verifier retries with backoff for about two minutes
    per interaction (measured) before it reports the failure.
    """
    host = urlsplit(base_url).hostname or "127.0.0.1"
    verifier = (
        Verifier(provider or plan.provider, host=host)
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
        for selector in plan.consumer_version_selectors:
            builder.consumer_version(**{_snake_case(key): value for key, value in selector.items()})
        builder.build()
    if plan.publish:
        verifier.set_publish_options(
            version=plan.publish.version, branch=plan.publish.branch, url=plan.publish.build_url
        )
    return verifier


def _snake_case(name: str) -> str:
    return re.sub(r"(?<!^)([A-Z])", r"_\1", name).lower()


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.messages: list[tuple[int, str]] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append((record.levelno, record.getMessage()))


@contextlib.contextmanager
def _verifier_log() -> Iterator[_Collect]:
    """Collect what the verifier logs (pact-python forwards the FFI's INFO events to `logging`)."""
    target = logging.getLogger(VERIFIER_LOGGER)
    handler, level = _Collect(), target.level
    target.addHandler(handler)
    if target.getEffectiveLevel() > logging.INFO:
        target.setLevel(logging.INFO)
    try:
        yield handler
    finally:
        target.removeHandler(handler)
        target.setLevel(level)


def _publish_problems(plan: VerificationPlan, log: _Collect, interactions: list[object]) -> list[str]:
    if not plan.publish:
        return []
    failures = [message for level, message in log.messages if PUBLISH_FAILED in message and level >= logging.ERROR]
    published = sum(PUBLISHED in message for _, message in log.messages)
    if failures:
        return [f"the verification results were NOT published to the broker: {failures[0]}"]
    # The success line is an INFO event: only its absence at a forwarding level that admits it means anything.
    if interactions and not published and forwarding_level() <= logging.INFO:
        return ["the verification results were NOT published to the broker (the verifier reported no publication)"]
    return []


def _pending_failures(interactions: list[object]) -> list[str]:
    return [
        f"{item.get('consumer')}: {item.get('description')}"
        for item in interactions
        if isinstance(item, dict) and item.get("pending") and item.get("result") != "OK"
    ]


def run_verification(plan: VerificationPlan, base_url: str) -> VerificationOutcome:
    logger.info(plan.describe())
    try:
        check_pact_source(plan)
    except BrokerUnavailableError as error:
        return VerificationOutcome(passed=False, output=str(error), results={}, problems=[str(error)])
    passed, outputs, interactions = True, list[str](), list[object]()
    with _verifier_log() as log:
        for provider in plan.provider_names:  # one name, unless local pacts name this API differently
            verifier = build_verifier(plan, base_url, provider)
            try:
                verifier.verify()
            except RuntimeError:
                passed = False
            outputs.append(str(verifier.output(strip_ansi=True)))
            interactions += verifier.results.get("interactionResults") or []
    output = "\n".join(outputs)
    publish_problems = _publish_problems(plan, log, interactions)
    problems = list(publish_problems)
    said = [output] + [message for _, message in log.messages]
    broken = next((m for m in said if "No pacts found" in m and "IO Error" in m), None)
    if plan.source == "broker" and broken:
        # The verifier files a broker failure under "no pacts"; with PACT_FAIL_IF_NO_PACTS_FOUND=false it
        # would even pass. A broker that failed is never "no pacts".
        problems.append(f"the Pact Broker at {plan.location} failed while listing the pacts: {broken.strip()}")
        passed = False
    elif plan.source == "broker" and not interactions and any("No pacts found" in m for m in said):
        if plan.fail_if_no_pacts:
            problems.append(
                f"the broker returned no pacts for {plan.provider} ({plan.describe()}); "
                "set PACT_FAIL_IF_NO_PACTS_FOUND=false to let this pass"
            )
        else:
            warnings.warn(
                NoPactsFoundWarning(
                    f"the broker returned no pacts for {plan.provider}: nothing was verified, "
                    "and PACT_FAIL_IF_NO_PACTS_FOUND=false lets that pass"
                ),
                stacklevel=2,
            )
    pending = _pending_failures(interactions)
    if pending:
        warnings.warn(
            PendingPactFailureWarning(
                f"{len(pending)} interaction(s) of pending or work-in-progress pacts failed; they do not fail "
                "the build until the provider has verified them once (docs.pact.io/pending): " + "; ".join(pending)
            ),
            stacklevel=2,
        )
    if problems:
        output = "\n".join(problems) + "\n\n" + output
    results: dict[str, object] = {"interactionResults": interactions}
    return VerificationOutcome(passed and not publish_problems, output, results, problems)
