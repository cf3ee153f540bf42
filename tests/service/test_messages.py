"""The message registry and the opt-in message endpoint that Pact verifiers call, on SQLite and on PostgreSQL."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import URL
from sqlalchemy.orm import Session

from example_provider.app import create_app
from example_provider.events import EventKind, ProductEvent, product_event
from example_provider.http_json import JSON_UTF8
from example_provider.messages import MessageError, known_messages, message_for
from example_provider.products import SEED_PRODUCTS, Product, get_product
from example_provider.verifier_endpoints import MESSAGES_PATH, PROVIDER_STATES_PATH
from tests.service.rows import events_stored, stored

LOCAL = "http://127.0.0.1:8000"
SEED = list(SEED_PRODUCTS)


@pytest.fixture
def client(database: URL) -> Iterator[TestClient]:
    with TestClient(create_app(database, provider_states=True, allowed_hosts=["*"]), base_url=LOCAL) as client:
        yield client  # any host reaches the app: the endpoint's own Host rule is tested here


def assert_is_the_event(message: ProductEvent, product: Product, kind: EventKind) -> None:
    """Equal to `product_event(product, kind)` but for the event id, which is new each time."""
    expected = product_event(product, kind)
    assert message.contents == expected.contents
    assert message.metadata == {**expected.metadata, "eventId": message.event_id}
    assert message.product_id == product.id


@pytest.mark.parametrize(
    ("description", "kind"),
    [
        ("a product event update", EventKind.UPDATED),
        ("a product created event", EventKind.CREATED),
        ("a product deleted event", EventKind.DELETED),
    ],
)
def test_each_description_is_its_event_about_the_product(session: Session, description: str, kind: EventKind) -> None:
    ten = get_product(session, "10")
    assert ten is not None
    assert_is_the_event(message_for(description, "10", session), ten, kind)
    assert message_for(description, "10", session).contents["event"] == kind.value


@pytest.mark.parametrize(
    ("description", "product_id", "reason"),
    [
        pytest.param("a product archived event", "10", "unknown message 'a product archived event'", id="unknown"),
        pytest.param("a product created event", "12", "product '12', which the provider states", id="missing"),
    ],
)
def test_a_message_that_cannot_be_built_says_why(
    session: Session, description: str, product_id: str, reason: str
) -> None:
    with pytest.raises(MessageError, match=reason) as raised:
        message_for(description, product_id, session)
    assert "\n" not in str(raised.value)


def test_an_unknown_message_names_the_known_ones(session: Session) -> None:
    with pytest.raises(MessageError) as raised:
        message_for("nope", "10", session)
    for description in known_messages():
        assert repr(description) in str(raised.value)


def received(response: httpx.Response) -> ProductEvent:
    """The message the endpoint answered, as a `ProductEvent`."""
    assert response.status_code == 200, response.text
    metadata = json.loads(base64.b64decode(response.headers["pact-message-metadata"]))
    assert metadata.pop("content-type") == metadata["Content-Type"], "the content type as pact-js consumers write it"
    return ProductEvent(metadata["eventId"], response.json()["id"], response.json(), metadata)


def test_the_endpoint_answers_the_contents_and_the_metadata(client: TestClient) -> None:
    response = client.post(MESSAGES_PATH, json={"description": "a product event update", "providerStates": []})
    assert response.headers["content-type"] == "application/json"
    message = received(response)
    assert response.content == message.body, "the body is the event's compact UTF-8 JSON"
    assert_is_the_event(message, SEED[1], EventKind.UPDATED)
    assert "content-type" not in product_event(SEED[1], EventKind.UPDATED).metadata, "not an attribute SNS is sent"


@pytest.mark.parametrize(
    ("state", "params", "product"),
    [
        pytest.param(
            "a product with ID 10 exists",
            {"id": "12"},
            Product(id="12", type="CREDIT_CARD", name="28 Degrees", version="v1"),
            id="a consumer's state, its params",
        ),
        pytest.param(
            "a product exists",
            {"id": 42, "name": "Answer"},
            Product(id="42", type="CREDIT_CARD", name="Answer", version="v1"),
            id="the parameterised state",
        ),
        pytest.param("products exist", {}, SEED[1], id="no id handed back: the default product"),
    ],
)
def test_the_message_is_about_the_product_its_states_hand_back(
    client: TestClient, state: str, params: dict[str, Any], product: Product
) -> None:
    """What a verifier does: set the interaction's states up, then ask for its message with them."""
    client.post(PROVIDER_STATES_PATH, json={"state": state, "params": params}).raise_for_status()
    body = {"description": "a product created event", "providerStates": [{"name": state, "params": params}]}
    assert_is_the_event(received(client.post(MESSAGES_PATH, json=body)), product, EventKind.CREATED)


def test_the_states_in_the_request_are_applied_and_rolled_back(client: TestClient, session: Session) -> None:
    """A verifier may call the state endpoint or not: the message comes from the request's states alone."""
    states = [
        {"name": "a product with ID 11 does not exist", "params": {"id": "10"}},
        {"name": "a product exists", "params": {"id": "42", "name": "Answer"}},
    ]
    body = {"description": "a product deleted event", "providerStates": states}
    answer = Product(id="42", type="CREDIT_CARD", name="Answer", version="v1")
    assert_is_the_event(received(client.post(MESSAGES_PATH, json=body)), answer, EventKind.DELETED)
    assert stored(session) == SEED, "the message's states outlived it"
    assert events_stored(session) == 0, "a message is not a write: nothing is published"


def test_a_message_without_states_is_about_the_default_product_whatever_came_before(client: TestClient) -> None:
    """Values do not leak: an earlier interaction's state handed back 42 and put it in place."""
    change = {"state": "a product with ID 10 exists", "params": {"id": "42"}}
    assert client.post(PROVIDER_STATES_PATH, json=change).json() == {"id": "42"}
    assert client.get("/product/42").status_code == 200
    for body in (
        {"description": "a product created event"},
        {"description": "a product created event", "providerStates": []},
    ):
        assert_is_the_event(received(client.post(MESSAGES_PATH, json=body)), SEED[1], EventKind.CREATED)


def test_a_message_whose_states_set_up_no_product_says_so(client: TestClient) -> None:
    states = [{"name": "a product with ID 11 does not exist", "params": {"id": "10"}}]
    response = client.post(MESSAGES_PATH, json={"description": "a product created event", "providerStates": states})
    assert (response.status_code, response.headers["content-type"]) == (400, JSON_UTF8)
    assert "product '10', which the provider states did not set up" in response.json()["detail"]


def test_a_synchronous_message_is_refused_naming_it(client: TestClient) -> None:
    """A V4 synchronous message carries a request: this provider answers none."""
    asynchronous = {"description": "a product event update", "providerStates": []}
    assert client.post(MESSAGES_PATH, json=asynchronous).status_code == 200  # the same description, without one
    response = client.post(MESSAGES_PATH, json={**asynchronous, "request": {"contents": {"id": "10"}}})
    assert (response.status_code, response.headers["content-type"]) == (400, JSON_UTF8)
    detail = response.json()["detail"]
    assert detail.startswith("'a product event update' is a synchronous (request/response) message")
    assert "\n" not in detail


@pytest.mark.parametrize(
    ("body", "status", "detail"),
    [
        pytest.param({"description": "nope"}, 400, "known messages: 'a product event update'", id="unknown"),
        pytest.param({"providerStates": []}, 422, "'description'", id="no description"),
        pytest.param(
            {"description": "a product created event", "providerStates": [{"name": "a product is on sale"}]},
            400,
            "unknown provider state 'a product is on sale'",
            id="unknown state",
        ),
        pytest.param(
            {
                "description": "a product created event",
                "providerStates": [{"name": "a product exists", "params": {"id": [1]}}],
            },
            400,
            "state parameter 'id' must be a string or a number",
            id="bad state params",
        ),
    ],
)
def test_the_endpoint_refuses_with_a_reason_not_a_5xx(
    client: TestClient, session: Session, body: dict[str, object], status: int, detail: str
) -> None:
    response = client.post(MESSAGES_PATH, json=body)
    assert response.status_code == status
    assert response.headers["content-type"] == JSON_UTF8
    assert detail in str(response.json()["detail"])
    assert stored(session) == SEED


@pytest.mark.parametrize(
    ("headers", "status"),
    [({"Content-Type": "text/plain"}, 415), ({"Host": "evil.example"}, 403)],
)
def test_the_endpoint_has_the_state_endpoints_guards(client: TestClient, headers: dict[str, str], status: int) -> None:
    body = '{"description": "a product event update"}'
    response = client.post(MESSAGES_PATH, content=body, headers={"Content-Type": "application/json", **headers})
    assert response.status_code == status


def test_the_endpoint_is_absent_by_default(database: URL) -> None:
    with TestClient(create_app(database), base_url=LOCAL) as client:
        assert client.post(MESSAGES_PATH, json={"description": "a product event update"}).status_code == 404
        assert MESSAGES_PATH not in client.get("/openapi.json").json()["paths"]
