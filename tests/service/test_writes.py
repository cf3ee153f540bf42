"""The writes, on SQLite and on PostgreSQL: each that succeeds stores one event; a refused one changes nothing."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import URL
from sqlalchemy.orm import Session

from example_provider.app import create_app
from example_provider.events import EventKind, product_event
from example_provider.http_json import JSON_UTF8
from example_provider.products import SEED_PRODUCTS, Product, get_product
from example_provider.routes import MAX_BODY_BYTES
from tests.service.recording import RecordingPublisher
from tests.service.rows import stored
from tests.service.stored_events import stored_events

PIZZA = Product(id="27", type="Pizza", name="Margharita", version="v1")
TEN = Product(id="10", type="CREDIT_CARD", name="28 Degrees", version="v1")
SEED = list(SEED_PRODUCTS)
LOCAL = "http://127.0.0.1:8000"


@pytest.fixture
def docs_client(sqlite_database: URL) -> Iterator[TestClient]:
    """For what the database has no part in: the OpenAPI document and the methods of a path."""
    with TestClient(create_app(sqlite_database), base_url=LOCAL) as client:
        yield client


def test_create_replace_delete_store_one_event_each_in_order(
    client: TestClient, session: Session, published: RecordingPublisher
) -> None:
    created = client.post("/products", json=PIZZA.model_dump())
    assert (created.status_code, created.json()) == (201, PIZZA.model_dump())
    assert created.headers["location"] == "/products/27"
    assert created.headers["content-type"] == JSON_UTF8
    assert client.get(created.headers["location"]).json() == PIZZA.model_dump()
    assert stored(session) == [*SEED, PIZZA]

    renamed = PIZZA.model_copy(update={"name": "Marinara", "version": "v2"})
    replaced = client.put("/products/27", json=renamed.model_dump())
    assert (replaced.status_code, replaced.json()) == (200, renamed.model_dump())
    assert stored(session) == [*SEED, renamed]

    deleted = client.delete("/products/27")
    assert (deleted.status_code, deleted.content) == (204, b"")
    assert stored(session) == SEED

    events = stored_events(session)
    assert [event.contents for event in events] == [
        product_event(PIZZA, EventKind.CREATED).contents,
        product_event(renamed, EventKind.UPDATED).contents,
        product_event(renamed, EventKind.DELETED).contents,  # the product as it was when deleted
    ]
    assert {event.product_id for event in events} == {"27"}
    for event in events:
        assert event.metadata == {"Content-Type": "application/json", "topic": "products", "eventId": event.event_id}
    assert len({event.event_id for event in events}) == 3
    relayed = published.wait_for(3)
    assert [(e.event_id, e.contents, e.metadata) for e in relayed] == [
        (e.event_id, e.contents, e.metadata) for e in events
    ]


def test_a_replace_takes_its_id_from_the_path(client: TestClient, session: Session) -> None:
    """The body need not carry the id; one that does is not asked to agree (OpenAPI cannot say they must)."""
    fields = {"type": "CREDIT_CARD", "name": "Renamed", "version": "v2"}
    for body in (fields, {**fields, "id": "27"}):
        response = client.put("/products/10", json=body)
        assert (response.status_code, response.json()) == (200, {"id": "10", **fields})
    assert get_product(session, "27") is None


def test_an_id_goes_into_the_location_as_it_is(client: TestClient) -> None:
    response = client.post("/products", json={**PIZZA.model_dump(), "id": "Ab-9_x.y~z"})
    assert response.headers["location"] == "/products/Ab-9_x.y~z"
    assert client.get(response.headers["location"]).json()["id"] == "Ab-9_x.y~z"


@pytest.mark.parametrize(
    "product_id",
    ["a b", "a?b", "a#b", "ü", "%C3%95", "%", ".", "..", ".hidden", "a" * 101],
)
def test_an_id_a_url_would_carry_otherwise_is_refused(client: TestClient, product_id: str) -> None:
    """Clients encode, or normalise, these differently: the product made would be out of reach for some."""
    response = client.post("/products", json={**PIZZA.model_dump(), "id": product_id})
    assert response.status_code == 422, product_id
    assert response.json()["detail"][0]["loc"] == ["body", "id"]


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "detail"),
    [
        pytest.param("POST", "/products", TEN.model_dump(), 409, "product '10' already exists", id="create taken id"),
        pytest.param("POST", "/products", {"id": "27", "type": "Pizza"}, 422, "'name'", id="create invalid"),
        pytest.param("POST", "/products", {**PIZZA.model_dump(), "id": ""}, 422, "'id'", id="create empty id"),
        pytest.param("POST", "/products", {**PIZZA.model_dump(), "id": "a/b"}, 422, "'id'", id="create id with /"),
        pytest.param("PUT", "/products/27", PIZZA.model_dump(), 404, "product '27' not found", id="replace missing"),
        pytest.param("PUT", "/products/10", {"id": "10"}, 422, "'type'", id="replace invalid"),
        pytest.param(
            "PUT", "/products/%00", {"type": "T", "name": "n", "version": "v"}, 422, "'product_id'", id="NUL id"
        ),
        pytest.param("POST", "/products", {**PIZZA.model_dump(), "name": "a\x00b"}, 422, "'name'", id="NUL name"),
        pytest.param("DELETE", "/products/27", None, 404, "product '27' not found", id="delete missing"),
    ],
)
def test_refused_writes_change_no_row_and_store_no_event(  # noqa: PLR0913, PLR0917 - pytest passes them
    client: TestClient,
    session: Session,
    method: str,
    path: str,
    body: object,
    status: int,
    detail: str,
) -> None:
    response = client.request(method, path, json=body)
    assert response.status_code == status
    assert response.headers["content-type"] == JSON_UTF8
    assert detail in str(response.json()["detail"])
    assert "\n" not in response.text
    assert stored(session) == SEED
    assert stored_events(session) == []
    assert client.post("/products", json=PIZZA.model_dump()).status_code == 201  # the app still writes
    assert len(stored_events(session)) == 1


def _big_body() -> bytes:
    return b'{"id": "27", "type": "' + b"x" * MAX_BODY_BYTES + b'", "name": "n", "version": "v1"}'


@pytest.mark.parametrize("method", ["POST", "PUT", "GET", "DELETE"])
def test_a_body_over_the_limit_is_refused_by_its_length(client: TestClient, session: Session, method: str) -> None:
    path = "/products" if method == "POST" else "/products/10"
    response = client.request(method, path, content=_big_body(), headers={"Content-Type": "application/json"})
    assert response.status_code == 413
    assert response.headers["content-type"] == JSON_UTF8
    assert response.json() == {"detail": f"the request body is larger than {MAX_BODY_BYTES} bytes"}
    assert stored(session) == SEED
    assert stored_events(session) == []


def test_a_chunked_body_over_the_limit_is_refused(client: TestClient, session: Session) -> None:
    def chunks() -> Iterator[bytes]:  # a generator: sent chunked, with no Content-Length
        yield from (_big_body()[i : i + 4096] for i in range(0, 4 * MAX_BODY_BYTES, 4096))

    response = client.post("/products", content=chunks(), headers={"Content-Type": "application/json"})
    assert "content-length" not in response.request.headers
    assert response.status_code == 413
    assert response.json()["detail"] == f"the request body is larger than {MAX_BODY_BYTES} bytes"
    assert stored(session) == SEED
    assert stored_events(session) == []


def test_a_body_at_the_limit_is_accepted(client: TestClient, session: Session) -> None:
    padding = MAX_BODY_BYTES - len(b'{"id":"27","type":"","name":"n","version":"v1"}')
    body = b'{"id":"27","type":"' + b"x" * padding + b'","name":"n","version":"v1"}'
    assert len(body) == MAX_BODY_BYTES
    assert client.post("/products", content=body, headers={"Content-Type": "application/json"}).status_code == 201
    assert [p.type for p in stored(session) if p.id == "27"] == ["x" * padding]
    assert [event.contents["event"] for event in stored_events(session)] == ["CREATED"]


def test_every_write_status_is_documented(docs_client: TestClient) -> None:
    paths = docs_client.get("/openapi.json").json()["paths"]
    documented = {
        (method.upper(), path): set(operation["responses"])
        for path, operations in paths.items()
        for method, operation in operations.items()
    }
    assert documented[("POST", "/products")] >= {"201", "400", "409", "413", "422", "503"}
    assert documented[("PUT", "/products/{product_id}")] >= {"200", "400", "404", "413", "422", "503"}
    assert documented[("DELETE", "/products/{product_id}")] >= {"204", "404", "422", "503"}
    assert "Location" in paths["/products"]["post"]["responses"]["201"]["headers"]


def test_allow_names_every_method_of_the_path(docs_client: TestClient) -> None:
    response = docs_client.patch("/products/10")
    assert response.status_code == 405
    assert response.headers["allow"] == "DELETE, GET, HEAD, PUT"
    assert docs_client.patch("/products").headers["allow"] == "GET, HEAD, POST"
