"""The message registry and the opt-in message endpoint that Pact verifiers call."""

from __future__ import annotations

import base64
import json

import pytest
from fastapi.testclient import TestClient

from example_provider.app import create_app
from example_provider.events import EventKind, product_event
from example_provider.http_json import JSON_UTF8
from example_provider.messages import MessageError, known_messages, message_for
from example_provider.products import ProductRepository
from example_provider.verifier_endpoints import MESSAGES_PATH, PROVIDER_STATES_PATH

LOCAL = "http://127.0.0.1:8000"


@pytest.fixture
def repository() -> ProductRepository:
    return ProductRepository()


@pytest.mark.parametrize(
    ("description", "kind"),
    [
        ("a product event update", EventKind.UPDATED),
        ("a product created event", EventKind.CREATED),
        ("a product deleted event", EventKind.DELETED),
    ],
)
def test_each_description_is_its_event_about_the_default_product(
    repository: ProductRepository, description: str, kind: EventKind
) -> None:
    ten = repository.get("10")
    assert ten is not None
    assert message_for(description, "10", repository) == product_event(ten, kind)


@pytest.mark.parametrize(
    ("description", "product_id", "reason"),
    [
        pytest.param("a product archived event", "10", "unknown message 'a product archived event'", id="unknown"),
        pytest.param("a product created event", "12", "product '12', which the provider states", id="missing"),
    ],
)
def test_a_message_that_cannot_be_built_says_why(
    repository: ProductRepository, description: str, product_id: str, reason: str
) -> None:
    with pytest.raises(MessageError, match=reason) as raised:
        message_for(description, product_id, repository)
    assert "\n" not in str(raised.value)


def test_an_unknown_message_names_the_known_ones(repository: ProductRepository) -> None:
    with pytest.raises(MessageError) as raised:
        message_for("nope", "10", repository)
    for description in known_messages():
        assert repr(description) in str(raised.value)


def test_the_endpoint_answers_the_contents_and_the_metadata(repository: ProductRepository) -> None:
    with TestClient(create_app(repository, provider_states=True), base_url=LOCAL) as client:
        response = client.post(MESSAGES_PATH, json={"description": "a product event update", "providerStates": []})
    event = message_for("a product event update", "10", repository)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.content == event.body
    assert json.loads(base64.b64decode(response.headers["pact-message-metadata"])) == event.metadata


@pytest.mark.parametrize(
    ("state", "params", "product_id"),
    [
        pytest.param("a product with ID 10 exists", {"id": "12"}, "12", id="a consumer's state, its params"),
        pytest.param("a product exists", {"id": "42", "name": "Answer"}, "42", id="the parameterised state"),
        pytest.param("products exist", {}, "10", id="no id handed back: the default product"),
    ],
)
def test_the_message_is_about_the_product_the_states_handed_back(
    repository: ProductRepository, state: str, params: dict[str, str], product_id: str
) -> None:
    with TestClient(create_app(repository, provider_states=True), base_url=LOCAL) as client:
        client.post(PROVIDER_STATES_PATH, json={"state": state, "params": params}).raise_for_status()
        response = client.post(MESSAGES_PATH, json={"description": "a product created event"})
        product = repository.get(product_id)
        client.post(PROVIDER_STATES_PATH, json={"state": state, "params": params, "action": "teardown"})
        after_teardown = client.post(MESSAGES_PATH, json={"description": "a product created event"})
    assert product is not None
    assert response.content == product_event(product, EventKind.CREATED).body
    assert after_teardown.json()["id"] == "10", "the values of an interaction outlived its teardown"


@pytest.mark.parametrize(
    ("body", "status", "detail"),
    [
        pytest.param({"description": "nope"}, 400, "known messages: 'a product event update'", id="unknown"),
        pytest.param({"providerStates": []}, 422, "'description'", id="no description"),
    ],
)
def test_the_endpoint_refuses_with_a_reason_not_a_5xx(
    repository: ProductRepository, body: dict[str, object], status: int, detail: str
) -> None:
    with TestClient(create_app(repository, provider_states=True), base_url=LOCAL) as client:
        response = client.post(MESSAGES_PATH, json=body)
    assert response.status_code == status
    assert response.headers["content-type"] == JSON_UTF8
    assert detail in str(response.json()["detail"])


@pytest.mark.parametrize(
    ("headers", "status"),
    [({"Content-Type": "text/plain"}, 415), ({"Host": "evil.example"}, 403)],
)
def test_the_endpoint_has_the_state_endpoints_guards(
    repository: ProductRepository, headers: dict[str, str], status: int
) -> None:
    body = '{"description": "a product event update"}'
    app = create_app(repository, provider_states=True, allowed_hosts=["*"])
    with TestClient(app, base_url=LOCAL) as client:
        response = client.post(MESSAGES_PATH, content=body, headers={"Content-Type": "application/json", **headers})
    assert response.status_code == status


def test_the_endpoint_is_absent_by_default(repository: ProductRepository) -> None:
    with TestClient(create_app(repository), base_url=LOCAL) as client:
        assert client.post(MESSAGES_PATH, json={"description": "a product event update"}).status_code == 404
        assert MESSAGES_PATH not in client.get("/openapi.json").json()["paths"]
