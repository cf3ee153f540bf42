"""A real verifier, the `pact verifier` CLI, against the console script with API_TOKEN set.

It proves, over HTTP only, what a consumer may write: several states in one interaction, and a
request path generated from the values the state endpoint answers (`fromProviderState`, a V3
generator of type ProviderState); and that the token, sent as a custom header, reaches both
the requests and the state changes. And why the values need the state endpoint: pact-python's
in-process state callback drops what a state hands back.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, cast

import pytest
from pact import Verifier
from sqlalchemy import URL
from sqlalchemy.orm import Session

from example_provider.app import create_app
from example_provider.db import make_engine
from example_provider.pipeline.server import serve_in_thread
from example_provider.provider_states import set_up
from tests.process import pact_verifier, run_provider

PACT_CLI = str(Path(sys.executable).with_name("pact"))
PROVIDER = "state-values-provider"  # the pacts below are the tests' own
TOKEN = "verifier-test-token"  # noqa: S105 - a test value
TEN = {"id": "10", "type": "CREDIT_CARD", "name": "28 Degrees", "version": "v1"}


def interaction(
    description: str, states: list[dict[str, Any]], status: int, body: object, path: str | None = None
) -> dict[str, Any]:
    """A GET of `path`, or, without one, of `/product/${id}` with the id the states hand back."""
    if path is not None:
        return {
            "description": description,
            "providerStates": states,
            "request": {"method": "GET", "path": path},
            "response": {"status": status, "body": body},
        }
    generated = {"type": "ProviderState", "expression": "/product/${id}", "dataType": "STRING"}
    return {
        "description": description,
        "providerStates": states,
        "request": {"method": "GET", "path": "/product/99", "generators": {"path": generated}},  # 99: 404
        "response": {"status": status, "body": body},
    }


PACT: dict[str, Any] = {
    "consumer": {"name": "state-values-consumer"},
    "provider": {"name": PROVIDER},
    "interactions": [
        interaction(
            "the id a state hands back",
            [{"name": "a product with ID 10 exists"}],
            200,
            TEN,
        ),
        interaction(
            "two states, a product by its generated id",
            [
                {"name": "a product exists", "params": {"id": "42", "name": "Answer"}},
                {"name": "a product with ID 11 does not exist"},
            ],
            200,
            {**TEN, "id": "42", "name": "Answer"},
        ),
        interaction(
            "two states, the product the second one removed",
            [
                {"name": "a product with ID 10 exists", "params": {"id": "42"}},
                {"name": "a product with ID 11 does not exist"},
            ],
            404,
            {"detail": "product '11' not found"},
            path="/product/11",
        ),
    ],
    "metadata": {"pactSpecification": {"version": "3.0.0"}},
}


def test_a_verifier_uses_the_state_values_and_the_token(tmp_path: Path) -> None:
    pact = tmp_path / "pact.json"
    pact.write_text(json.dumps(PACT), encoding="utf-8")
    with run_provider("--provider-states", env={"API_TOKEN": TOKEN}) as provider:
        header = f"Authorization=Bearer {TOKEN}"
        with_token = pact_verifier(provider.base_url, "--file", str(pact), "--header", header, provider=PROVIDER)
        without = pact_verifier(provider.base_url, "--file", str(pact), provider=PROVIDER)
    assert with_token.returncode == 0, with_token.stdout + with_token.stderr
    assert without.returncode != 0, "the API answered without the token"
    assert "401" in without.stdout, without.stdout


def test_pact_pythons_in_process_state_callback_drops_what_a_state_hands_back(
    tmp_path: Path, sqlite_database: URL
) -> None:
    """Why verification changes states through the app's endpoint, not pact-python's state callback.

    The same states, handed to the callback: the verifier never sees the `{"id": "10"}` the first
    interaction's state answers, so the generated path keeps the pact's example (/product/99: 404).
    """
    pact = tmp_path / "pact.json"
    pact.write_text(json.dumps({**PACT, "interactions": PACT["interactions"][:1]}), encoding="utf-8")

    def handle(state: str, action: str = "setup", parameters: dict[str, Any] | None = None) -> dict[str, Any]:
        with Session(engine) as session:
            values = set_up(session, state, parameters or {}) if action == "setup" else {}
            session.commit()
            return values

    with serve_in_thread(create_app(sqlite_database)) as base_url:
        engine = make_engine(sqlite_database)
        verifier = (
            Verifier(PROVIDER, host="127.0.0.1")
            .add_transport(url=base_url)
            # It does return the values: pact-python types the callback `-> None`, and drops them.
            .state_handler(cast("Callable[..., None]", handle), teardown=True)
            .add_source(pact)
        )
        with pytest.raises(RuntimeError):
            verifier.verify()
        engine.dispose()
    assert "expected 200 but was 404" in verifier.output(strip_ansi=True)
