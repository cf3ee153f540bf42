"""External verification: the console script, verified by the standalone `pact verifier` CLI.

This is how other teams' verifiers (the pact CLI, Docker images) check the provider: the
server runs on its own, with the opt-in state-change endpoint, and the verifier drives it
over HTTP only.
"""

from __future__ import annotations

import json
import re
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from example_provider.verifier_endpoints import PROVIDER_STATES_PATH
from tests.pacts import BUNDLED_PROVIDER, JS_PROVIDER
from tests.process import CONSOLE_SCRIPT, pact_verifier, run_provider

ROOT = Path(__file__).resolve().parents[2]
PACT_CLI = str(Path(sys.executable).with_name("pact"))
PROVIDER = BUNDLED_PROVIDER  # the good fixtures name it too
API_TOKEN = "external-verifier-token-never-print-me"  # noqa: S105 - a test value
AUTHORIZED = ("--header", f"Authorization=Bearer {API_TOKEN}")
GOOD = ROOT / "tests" / "contract" / "pacts" / "good"
BROKEN = ROOT / "tests" / "contract" / "pacts" / "broken"


def post_state(base_url: str, state: str) -> int:
    request = urllib.request.Request(  # noqa: S310 - loopback http only
        base_url + PROVIDER_STATES_PATH,
        data=json.dumps({"state": state, "action": "setup", "params": {}}).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310
            return int(response.status)
    except urllib.error.HTTPError as error:
        return error.code


@pytest.mark.parametrize(
    "command",
    [
        pytest.param((CONSOLE_SCRIPT,), id="example-provider"),
        pytest.param((sys.executable, "-m", "example_provider"), id="python -m example_provider"),
    ],
)
def test_pact_verifier_cli_passes_against_the_console_script(command: tuple[str, ...]) -> None:
    with run_provider("--provider-states", command=command, env={"API_TOKEN": API_TOKEN}) as provider:
        ours = pact_verifier(provider.base_url, *AUTHORIZED, "--dir", str(ROOT / "pacts"), "--dir", str(GOOD))
        # The pact-js consumers' pacts call this API by the JS provider's name.
        theirs = pact_verifier(provider.base_url, *AUTHORIZED, "--dir", str(GOOD), provider=JS_PROVIDER)
        without_token = pact_verifier(provider.base_url, "--dir", str(ROOT / "pacts"))
    assert without_token.returncode != 0, "the public consumer's pact passed without the token"
    assert 'Error("Invalid status code: 401"' in without_token.stdout, without_token.stdout  # at the state change
    for result in (ours, theirs, without_token):
        assert API_TOKEN not in result.stdout + result.stderr
    assert API_TOKEN not in provider.output
    for result, provider_name, consumers in (
        (ours, PROVIDER, ["pactflow-example-consumer-python", "example-product-events-consumer"]),
        (theirs, JS_PROVIDER, ["pactflow-example-consumer", "pactflow-example-consumer-v3"]),
    ):
        assert result.returncode == 0, result.stdout + result.stderr
        assert "There were" not in result.stdout  # the verifier's failure summary
        for consumer in consumers:
            assert f"Verifying a pact between {consumer} and {provider_name}" in result.stdout
    assert "provider-state endpoint ENABLED" in provider.output


def test_pact_verifier_cli_fails_on_a_broken_pact() -> None:
    with run_provider("--provider-states") as provider:
        result = pact_verifier(provider.base_url, "--file", str(BROKEN / "wrong-status.json"))
    assert result.returncode != 0
    assert "expected 404 but was 200" in result.stdout


def test_unknown_state_fails_fast_with_its_name() -> None:
    """A 5xx state change is retried with backoff for minutes; a 400 is answered once and not retried."""
    with run_provider("--provider-states", "--access-log") as provider:
        result = pact_verifier(provider.base_url, "--file", str(BROKEN / "unknown-state.json"))
    assert result.returncode != 0
    state_changes = re.findall(r'"POST /_pact/provider-states HTTP/1.1" (\d+)', provider.output)
    assert state_changes[0] == "400", provider.output
    assert "500" not in state_changes, provider.output
    assert "state change handlers has failed" in result.stdout
    assert "unknown provider state 'a product with ID 99 is on sale'" in provider.output


def test_state_endpoint_is_off_by_default() -> None:
    with run_provider() as provider:
        assert post_state(provider.base_url, "products exist") == 404
    assert "provider-state endpoint ENABLED" not in provider.output


def test_state_endpoint_can_be_enabled_by_setting() -> None:
    with run_provider(env={"PROVIDER_STATES_ENABLED": "true"}) as provider:
        assert post_state(provider.base_url, "products exist") == 200
        assert post_state(provider.base_url, "no such state") == 400
