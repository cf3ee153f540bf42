"""The message endpoint, checked by the standalone `pact verifier` CLI against the real server.

The verifier drives provider states over HTTP and asks for each message at the message
transport (`--transports message:<port>/_pact/messages`), as any external verifier would.
"""

from __future__ import annotations

import json
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


def _message(description: str, states: list[dict[str, object]], **kind: object) -> dict[str, object]:
    return {"description": description, "providerStates": states, **kind}


ABOUT_TEN = {"id": "10", "event": "UPDATED"}
ASYNC = {"type": "Asynchronous/Messages", "contents": {"content": ABOUT_TEN, "contentType": "application/json"}}


def test_a_message_without_state_after_one_about_another_id_is_about_the_default_product(tmp_path: Path) -> None:
    """No teardown (the CLI's default): the first interaction's state hands back 42; the second has no state."""
    pact = {
        "consumer": {"name": "held-out-consumer"},
        "provider": {"name": PROVIDER},
        "interactions": [
            _message(
                "a product event update",
                [{"name": "a product exists", "params": {"id": "42"}}],
                **{**ASYNC, "contents": {**ASYNC["contents"], "content": {"id": "42", "event": "UPDATED"}}},  # type: ignore[dict-item]
            ),
            _message("a product event update", [], **ASYNC),
        ],
        "metadata": {"pactSpecification": {"version": "4.0"}},
    }
    path = tmp_path / "pact.json"
    path.write_text(json.dumps(pact), encoding="utf-8")
    with run_provider("--provider-states") as server:
        result = pact_verifier(server.base_url, "--file", str(path), provider=PROVIDER, teardown=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count("has a matching body (OK)") == 2


def test_a_synchronous_message_fails_naming_synchronous_messages(tmp_path: Path) -> None:
    sync = {
        "type": "Synchronous/Messages",
        "request": {"contents": {"content": {"ask": "product 10"}, "contentType": "application/json"}},
        "response": [{"contents": {"content": ABOUT_TEN, "contentType": "application/json"}}],
    }
    pact = {
        "consumer": {"name": "held-out-consumer"},
        "provider": {"name": PROVIDER},
        "interactions": [_message("a product event update", [], **sync)],
        "metadata": {"pactSpecification": {"version": "4.0"}},
    }
    path = tmp_path / "pact.json"
    path.write_text(json.dumps(pact), encoding="utf-8")
    with run_provider("--provider-states") as server:
        result = pact_verifier(server.base_url, "--file", str(path), provider=PROVIDER)
    assert result.returncode != 0
    assert "Request to fetch message from provider failed: status 400" in result.stdout
    assert "'a product event update' is a synchronous (request/response) message" in server.output
