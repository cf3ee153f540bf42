"""The catalogue-admin consumer's pact for the writes, generated here with pact-python's consumer API.

catalogue-admin is a small tool that adds, replaces and removes products, and follows the events
those writes publish. The test runs its client against pact-python's mock server and its event
handler against the message, as a consumer's own tests would, and compares the pact that makes
with `pacts/catalogue-admin-pactflow-example-provider-python.json`, the one `invoke verify` and the
pact CLI verify. The file is generated, never edited: when it differs, the test rewrites it and
fails, so the change shows in the diff and is committed with the test that made it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from pact import Pact, generate, match

from example_provider.pipeline.plan import plan_verification
from example_provider.pipeline.settings import PipelineSettings
from example_provider.pipeline.verifier import run_verification
from example_provider.settings import load_settings
from tests.contract.conftest import API_TOKEN

ROOT = Path(__file__).resolve().parents[2]
CONSUMER = "catalogue-admin"
PROVIDER = "pactflow-example-provider-python"
BUNDLED = ROOT / "pacts" / f"{CONSUMER}-{PROVIDER}.json"
NEW = {"id": "99", "type": "CREDIT_CARD", "name": "Platinum Visa", "version": "v1"}
EXISTING = {"id": "10", "type": "CREDIT_CARD", "name": "28 Degrees", "version": "v1"}
#: An id this consumer does not know: the provider state hands back the real one (fromProviderState).
SOME_ID = "1234"


class ProductExistsError(Exception):
    pass


@dataclass
class Created:
    location: str
    product: dict[str, Any]


class CatalogueAdmin:
    """The consumer's client for the writes."""

    def __init__(self, base_url: str) -> None:
        self.http = httpx.Client(base_url=base_url, timeout=5)

    def create(self, product: dict[str, Any]) -> Created:
        response = self.http.post("/products", json=product)
        if response.status_code == httpx.codes.CONFLICT:
            raise ProductExistsError(response.json()["detail"])
        response.raise_for_status()
        return Created(response.headers["Location"], response.json())

    def replace(self, product: dict[str, Any]) -> dict[str, Any]:
        response = self.http.put(f"/products/{product['id']}", json=product)
        response.raise_for_status()
        result: dict[str, Any] = response.json()
        return result

    def delete(self, product_id: str) -> None:
        self.http.delete(f"/products/{product_id}").raise_for_status()


def on_product_event(body: str | bytes | None, metadata: dict[str, object]) -> dict[str, Any]:
    """The consumer's event handler: a product event from the `products` topic, as JSON."""
    assert metadata["topic"] == "products"
    assert str(metadata["Content-Type"]).startswith("application/json")
    event: dict[str, Any] = json.loads(body or "")
    assert event["event"] in {"CREATED", "UPDATED", "DELETED"}
    return event


def _the_writes(pact: Pact) -> None:
    product = match.like(NEW)
    (
        pact.upon_receiving("a request to create a product")
        .given("a product does not exist", {"id": NEW["id"]})
        .with_request("POST", "/products")
        .with_body(NEW, content_type="application/json")
        .will_respond_with(201)
        .with_header("Location", "/products/99")
        .with_body(product, content_type="application/json")
    )
    (
        pact.upon_receiving("a request to create a product that exists")
        .given("a product exists", {"id": EXISTING["id"]})
        .with_request("POST", "/products")
        .with_body(EXISTING, content_type="application/json")
        .will_respond_with(409)
        .with_body({"detail": match.str("product '10' already exists")}, content_type="application/json")
    )
    state_id = match.like(SOME_ID, generator=generate.provider_state("${id}"))
    state_path = match.like(f"/products/{SOME_ID}", generator=generate.provider_state("/products/${id}"))
    (
        pact.upon_receiving("a request to replace a product")
        .given("a product exists", {"name": "Old name"})
        .with_request("PUT", state_path)
        .with_body({**NEW, "id": state_id, "name": "New name"}, content_type="application/json")
        .will_respond_with(200)
        .with_body(match.like({**NEW, "id": SOME_ID, "name": "New name"}), content_type="application/json")
    )
    (
        pact.upon_receiving("a request to delete a product")
        .given("a product exists")
        .with_request("DELETE", state_path)
        .will_respond_with(204)
    )


def _the_event(pact: Pact) -> None:
    (
        pact.upon_receiving("a product created event", "Async")
        .given("a product exists", {"id": "12", "name": "Gem Visa Gold"})
        .with_body(
            match.like(
                {**NEW, "id": "12", "name": "Gem Visa Gold", "event": match.regex("CREATED", regex="^CREATED$")}
            ),
            content_type="application/json",
        )
        .with_metadata(
            {
                "Content-Type": match.regex("application/json", regex=r"^application/json"),
                "topic": match.str("products"),
            }
        )
    )


def _generate(directory: Path) -> Path:
    """Run the consumer against the mock server and the message, and write the pact into `directory`."""
    http = Pact(CONSUMER, PROVIDER).with_specification("V4")
    _the_writes(http)
    with http.serve() as server:
        admin = CatalogueAdmin(str(server.url))
        assert admin.create(NEW).location == "/products/99"
        with pytest.raises(ProductExistsError, match="already exists"):
            admin.create(EXISTING)
        assert admin.replace({**NEW, "id": SOME_ID, "name": "New name"})["name"] == "New name"
        admin.delete(SOME_ID)
    http.write_file(directory, overwrite=True)
    # A separate pact object: pact-python's mock server cannot serve a pact that also holds messages.
    events = Pact(CONSUMER, PROVIDER).with_specification("V4")
    _the_event(events)
    received: list[dict[str, Any]] = []
    events.verify(lambda body, metadata: received.append(on_product_event(body, metadata)), "Async")
    assert [event["event"] for event in received] == ["CREATED"]
    events.write_file(directory)
    return directory / BUNDLED.name


def test_the_bundled_catalogue_admin_pact_is_the_one_its_consumer_tests_generate(tmp_path: Path) -> None:
    generated = json.loads(_generate(tmp_path).read_text(encoding="utf-8"))
    descriptions = sorted(i["description"] for i in generated["interactions"])
    assert descriptions == [
        "a product created event",
        "a request to create a product",
        "a request to create a product that exists",
        "a request to delete a product",
        "a request to replace a product",
    ]
    bundled = json.loads(BUNDLED.read_text(encoding="utf-8")) if BUNDLED.exists() else None
    if bundled != generated:
        BUNDLED.write_text(json.dumps(generated, indent=2, sort_keys=True) + "\n", encoding="utf-8")
        msg = f"{BUNDLED.relative_to(ROOT)} was out of date and has been regenerated: review and commit it"
        raise AssertionError(msg)


def _interaction(pact: dict[str, Any], description: str) -> dict[str, Any]:
    return next(i for i in pact["interactions"] if i["description"] == description)


def _without_generators(pact: dict[str, Any]) -> None:
    del _interaction(pact, "a request to replace a product")["request"]["generators"]


def _another_location(pact: dict[str, Any]) -> None:
    _interaction(pact, "a request to create a product")["response"]["headers"]["Location"] = ["/product/99"]


def _another_content_type(pact: dict[str, Any]) -> None:
    rules = _interaction(pact, "a product created event")["matchingRules"]["metadata"]
    rules["Content-Type"]["matchers"] = [{"match": "regex", "regex": "^text/plain"}]


@pytest.mark.parametrize(
    ("change", "mismatch"),
    [
        pytest.param(_without_generators, "expected 200 but was 404", id="PUT without fromProviderState"),
        pytest.param(
            _another_location,
            "Mismatch with header 'Location': Expected '/products/99' to be equal to '/product/99'",
            id="another Location",
        ),
        pytest.param(
            _another_content_type,
            "Expected 'application/json' to match '^text/plain'",
            id="metadata matcher",
        ),
    ],
)
def test_the_writes_pact_changed_fails_and_names_the_change(
    provider_url: str,
    tmp_path: Path,
    change: Any,
    mismatch: str,
) -> None:
    """Negative controls: the bundled pact passes because of what it says (the generators, the header, the matcher)."""
    pact = json.loads(BUNDLED.read_text(encoding="utf-8"))
    change(pact)
    (tmp_path / BUNDLED.name).write_text(json.dumps(pact), encoding="utf-8")
    plan = plan_verification(load_settings(PipelineSettings, pact_dir=tmp_path))
    outcome = run_verification(plan, provider_url, API_TOKEN)
    assert not outcome.passed, "a changed pact passed"
    assert mismatch in outcome.output, outcome.output
