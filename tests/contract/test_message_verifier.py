"""The message endpoint, checked by the standalone `pact verifier` CLI against the real server.

The verifier drives provider states over HTTP and asks for each message at the message
transport (`--transports message:<port>/_pact/messages`), as any external verifier would.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from tests.pacts import BUNDLED_PROVIDER
from tests.process import pact_verifier, run_provider

ROOT = Path(__file__).resolve().parents[2]
PACT_CLI = str(Path(sys.executable).with_name("pact"))
PROVIDER = BUNDLED_PROVIDER  # the V4 fixture names it too
SNS_CONSUMER, SNS_PROVIDER = "pactflow-example-consumer-python-sns", "pactflow-example-provider-python-sns"
FIXTURES = ROOT / "tests" / "contract" / "pacts"


@pytest.mark.parametrize(
    ("pact", "provider", "interactions"),
    [
        pytest.param(
            ROOT / "pacts" / f"example-product-events-consumer-{BUNDLED_PROVIDER}.json",
            PROVIDER,
            ["a product event update", "a product created event"],
            id="bundled V3 message pact",
        ),
        pytest.param(
            FIXTURES / "good" / "catalogue-consumer-v4-http-and-messages.json",
            PROVIDER,
            ["a request to get a product", "a product created event", "a product deleted event"],
            id="V4 pact mixing HTTP and messages",
        ),
        pytest.param(
            FIXTURES / "good" / f"{SNS_CONSUMER}-{SNS_PROVIDER}.json",
            SNS_PROVIDER,
            ["a product event update"],
            id="pactflow example-consumer-python-sns",
        ),
    ],
)
def test_the_pact_verifier_cli_passes_message_pacts(pact: Path, provider: str, interactions: list[str]) -> None:
    with run_provider("--provider-states") as server:
        result = pact_verifier(server.base_url, "--file", str(pact), provider=provider)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "There were" not in result.stdout
    for description in interactions:
        assert f"  {description} (" in result.stdout
    assert result.stdout.count("has a matching body (OK)") == len(interactions)


def test_an_event_kind_we_never_send_fails_and_names_the_mismatch() -> None:
    with run_provider("--provider-states") as server:
        result = pact_verifier(server.base_url, "--file", str(FIXTURES / "broken" / "archived-event.json"))
    assert result.returncode != 0
    assert "$.event -> Expected 'CREATED' to match '^(ARCHIVED)$'" in result.stdout
    assert "There were 1 pact failures" in result.stdout
