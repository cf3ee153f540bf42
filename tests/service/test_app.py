"""The API's routes and the opt-in state endpoint, on SQLite and on PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy.exc
from fastapi import Depends, HTTPException
from fastapi.testclient import TestClient
from sqlalchemy import URL
from sqlalchemy.orm import Session

from example_provider.app import create_app
from example_provider.products import SEED_PRODUCTS, Product
from example_provider.verifier_endpoints import PROVIDER_STATES_PATH
from tests.service.app_routes import every_route
from tests.service.rows import events_stored, store_only, stored

JSON_UTF8 = "application/json; charset=utf-8"
AUTH = {"Authorization": "Bearer 2026-11-26T04:00:00.000Z"}
LOCAL = "http://127.0.0.1:8000"  # how a verifier on this machine addresses the server
SEED = list(SEED_PRODUCTS)


@pytest.fixture
def client(database: URL) -> Iterator[TestClient]:
    with TestClient(create_app(database), base_url=LOCAL) as client:
        yield client


@pytest.fixture
def verifier_client(database: URL) -> Iterator[TestClient]:
    """The app with the state endpoint, addressed as a verifier on this machine addresses it."""
    with TestClient(create_app(database, provider_states=True, allowed_hosts=["*"]), base_url=LOCAL) as client:
        yield client  # any host reaches the app: the state endpoint's own Host rule is what is tested


def test_list_products(client: TestClient) -> None:
    response = client.get("/products")
    assert response.status_code == 200
    assert response.headers["content-type"] == JSON_UTF8
    assert response.json() == [p.model_dump() for p in SEED_PRODUCTS]


@pytest.mark.parametrize("path", ["/product/10", "/products/10"])
def test_one_product(client: TestClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 200
    assert response.headers["content-type"] == JSON_UTF8
    assert response.json() == {"id": "10", "type": "CREDIT_CARD", "name": "28 Degrees", "version": "v1"}


@pytest.mark.parametrize("path", ["/products", "/product/10", "/product/404"])
def test_authorization_header_changes_nothing(client: TestClient, path: str) -> None:
    without, with_auth = client.get(path), client.get(path, headers=AUTH)
    assert (without.status_code, without.headers["content-type"], without.content) == (
        with_auth.status_code,
        with_auth.headers["content-type"],
        with_auth.content,
    )


@pytest.mark.parametrize("path", ["/product/11", "/products/99", "/no-such-route"])
def test_not_found_is_json(client: TestClient, session: Session, path: str) -> None:
    store_only(session, [p for p in SEED_PRODUCTS if p.id != "11"])
    response = client.get(path)
    assert response.status_code == 404
    assert response.headers["content-type"] == JSON_UTF8
    assert "detail" in response.json()


def test_rows_committed_beside_the_app_are_served(client: TestClient, session: Session) -> None:
    assert client.get("/product/27").status_code == 404
    store_only(session, [*SEED_PRODUCTS, Product(id="27", type="Pizza", name="Margharita", version="v1")])
    assert client.get("/product/27").json()["name"] == "Margharita"
    assert len(client.get("/products").json()) == 4
    store_only(session, [])
    assert client.get("/products").json() == []


def test_health(client: TestClient) -> None:
    response = client.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_the_outbox_starts_empty(client: TestClient) -> None:
    response = client.get("/outbox")
    assert (response.status_code, response.headers["content-type"]) == (200, JSON_UTF8)
    assert response.json() == {"unsent": 0, "oldest_unsent_seconds": None}


def test_openapi_and_docs(client: TestClient) -> None:
    schema = client.get("/openapi.json")
    assert schema.headers["content-type"] == JSON_UTF8
    assert schema.json() == create_app().openapi(), "tests/service/test_fuzz.py generates from this document"
    paths = schema.json()["paths"]
    assert {"/products", "/product/{product_id}", "/products/{product_id}", "/health", "/outbox"} <= set(paths)
    assert PROVIDER_STATES_PATH not in paths
    docs = client.get("/docs")
    assert docs.status_code == 200
    assert '"openapi.json"' in docs.text


def test_wrong_method_is_json(client: TestClient) -> None:
    response = client.patch("/products")
    assert response.status_code == 405
    assert response.headers["content-type"] == JSON_UTF8


def test_state_endpoint_absent_by_default(client: TestClient, session: Session) -> None:
    response = client.post(PROVIDER_STATES_PATH, json={"state": "a product with ID 11 does not exist"})
    assert response.status_code == 404
    assert stored(session) == SEED


def test_state_endpoint_when_enabled(verifier_client: TestClient, session: Session) -> None:
    setup = {"state": "a product with ID 11 does not exist", "params": {"id": "10"}, "action": "setup"}
    response = verifier_client.post(PROVIDER_STATES_PATH, json=setup)
    assert (response.status_code, response.json()) == (200, {})
    assert verifier_client.get("/product/10").status_code == 404
    assert [p.id for p in stored(session)] == ["09", "11"]
    verifier_client.post(PROVIDER_STATES_PATH, json={**setup, "action": "teardown"})
    assert verifier_client.get("/product/10").status_code == 200
    assert stored(session) == SEED


def test_state_changes_store_no_events(verifier_client: TestClient, session: Session) -> None:
    """States set up data; they are not the catalogue's history."""
    for state in ("a product with ID 10 exists", "a product with ID 11 does not exist", "products exist"):
        verifier_client.post(PROVIDER_STATES_PATH, json={"state": state, "params": {"id": "42"}}).raise_for_status()
    verifier_client.post(PROVIDER_STATES_PATH, json={"state": "products exist", "action": "teardown"})
    assert events_stored(session) == 0
    assert verifier_client.delete("/products/09").status_code == 204  # negative control: a write stores its event
    assert events_stored(session) == 1


@pytest.mark.parametrize(
    ("body", "detail"),
    [
        pytest.param({"state": "products exist", "action": "reset"}, "'action'", id="bad action"),
        pytest.param({"params": {}}, "'state'", id="no state"),
    ],
)
def test_state_endpoint_rejects_malformed_changes(
    verifier_client: TestClient, session: Session, body: dict[str, object], detail: str
) -> None:
    store_only(session, [])  # not the seed: a change that is no state change leaves the rows as they were
    response = verifier_client.post(PROVIDER_STATES_PATH, json=body)
    assert response.status_code == 422
    assert response.headers["content-type"] == JSON_UTF8
    assert detail in str(response.json()["detail"])
    assert stored(session) == []


@pytest.mark.parametrize(
    ("body", "detail"),
    [
        pytest.param({"state": "a product is on sale"}, "unknown provider state 'a product is on sale'", id="unknown"),
        pytest.param(
            {"state": "a product with ID 11 does not exist", "params": {"id": [1]}},
            "provider state 'a product with ID 11 does not exist' failed: state parameter 'id'",
            id="bad params",
        ),
        pytest.param(
            {"state": "a product exists", "params": {"name": {"first": "x"}}},
            "provider state 'a product exists' failed: state parameter 'name'",
            id="bad name",
        ),
    ],
)
def test_a_failing_state_after_one_that_succeeded_answers_400_and_restores_the_seed(
    verifier_client: TestClient, session: Session, body: dict[str, object], detail: str
) -> None:
    """Verifiers retry a 5xx for minutes, so 400; and no half-made interaction stays behind."""
    first = verifier_client.post(
        PROVIDER_STATES_PATH, json={"state": "a product with ID 10 exists", "params": {"id": "42"}}
    )
    assert first.json() == {"id": "42"}
    assert [p.id for p in stored(session)] == ["09", "10", "11", "42"]
    response = verifier_client.post(PROVIDER_STATES_PATH, json=body)
    assert response.status_code == 400
    assert response.headers["content-type"] == JSON_UTF8
    assert response.json()["detail"].startswith(detail)
    assert "\n" not in response.json()["detail"]
    assert verifier_client.get("/product/42").status_code == 404
    assert stored(session) == SEED


TWO_STATES = [
    {"state": "a product with ID 10 exists", "params": {"id": "42"}},
    {"state": "a product with ID 11 does not exist", "params": {}},
]


@pytest.mark.parametrize("order", [TWO_STATES, TWO_STATES[::-1]], ids=["pact order", "reversed"])
def test_an_interaction_with_two_states_gets_both(
    verifier_client: TestClient, session: Session, order: list[dict[str, object]]
) -> None:
    """What a verifier does for `given(...)` twice: both setups, the request, then the teardowns."""
    answers = [verifier_client.post(PROVIDER_STATES_PATH, json={**change, "action": "setup"}) for change in order]
    assert [a.status_code for a in answers] == [200, 200]
    assert verifier_client.get("/product/42").status_code == 200
    assert verifier_client.get("/product/11").status_code == 404
    teardowns = [verifier_client.post(PROVIDER_STATES_PATH, json={**change, "action": "teardown"}) for change in order]
    assert [(t.status_code, t.json()) for t in teardowns] == [(200, {}), (200, {})]
    assert stored(session) == SEED


@pytest.mark.parametrize(
    ("change", "values"),
    [
        pytest.param({"state": "a product with ID 10 exists"}, {"id": "10"}, id="ID 10 exists"),
        pytest.param({"state": "a product with ID 10 exists", "params": {"id": 42}}, {"id": "42"}, id="id 42"),
        pytest.param({"state": "a product exists", "params": {"id": "7", "name": "x"}}, {"id": "7"}, id="any product"),
        pytest.param({"state": "a product with ID 11 does not exist"}, {}, id="does not exist"),
        pytest.param({"state": "products exist"}, {}, id="products exist"),
        pytest.param({"state": "a product with ID 10 exists", "action": "teardown"}, {}, id="teardown"),
    ],
)
def test_state_endpoint_answers_the_values_for_from_provider_state(
    verifier_client: TestClient, change: dict[str, object], values: dict[str, object]
) -> None:
    response = verifier_client.post(PROVIDER_STATES_PATH, json=change)
    assert (response.status_code, response.json()) == (200, values)
    assert response.headers["content-type"] == JSON_UTF8


@pytest.mark.parametrize(
    ("headers", "status", "detail"),
    [
        pytest.param({"Content-Type": "text/plain"}, 415, "application/json", id="a simple cross-site POST"),
        pytest.param({"Content-Type": "application/x-www-form-urlencoded"}, 415, "application/json", id="a form"),
        pytest.param({"Host": "evil.example"}, 403, "'evil.example'", id="DNS rebinding"),
        pytest.param({"Host": "127.0.0.1.evil.example:8000"}, 403, "loopback", id="a look-alike host"),
        pytest.param({"Host": "[::1"}, 403, "loopback", id="a malformed host"),
    ],
)
def test_state_endpoint_refuses_what_a_web_page_could_send(
    verifier_client: TestClient, session: Session, headers: dict[str, str], status: int, detail: str
) -> None:
    """A page open in the developer's browser may POST text/plain cross-site with no preflight,
    or reach the server under its own host name: neither may change the data, even with ALLOWED_HOSTS=*."""
    body = '{"state": "a product with ID 11 does not exist", "params": {"id": "10"}}'
    response = verifier_client.post(
        PROVIDER_STATES_PATH, content=body, headers={"Content-Type": "application/json", **headers}
    )
    assert response.status_code == status
    assert detail in response.json()["detail"]
    assert "\n" not in response.json()["detail"]
    assert stored(session) == SEED


@pytest.mark.parametrize("host", ["localhost:8000", "127.0.0.1", "[::1]:8000", "127.0.0.2:9"])
def test_state_endpoint_accepts_loopback_hosts(verifier_client: TestClient, session: Session, host: str) -> None:
    change = {"state": "a product with ID 11 does not exist"}
    response = verifier_client.post(PROVIDER_STATES_PATH, json=change, headers={"Host": host})
    assert response.status_code == 200, response.text
    assert [p.id for p in stored(session)] == ["09", "10"]


def test_state_endpoint_may_accept_any_host_when_allowed(database: URL, session: Session) -> None:
    """Inside a container the verifier reaches the server by its service name."""
    app = create_app(database, provider_states=True, allow_non_loopback=True, allowed_hosts=["provider"])
    with TestClient(app, base_url="http://provider:8000") as client:
        response = client.post(PROVIDER_STATES_PATH, json={"state": "a product with ID 11 does not exist"})
    assert response.status_code == 200, response.text
    assert [p.id for p in stored(session)] == ["09", "10"]


def deny() -> None:
    raise HTTPException(status_code=403, detail="denied")


EVERY_ROUTE = every_route(create_app(provider_states=True))  # not started: no database is opened


def test_every_route_covers_the_routers_routes_and_the_state_endpoint() -> None:
    assert {
        ("GET", "/products"),
        ("DELETE", "/products/10"),
        ("GET", "/outbox"),
        ("POST", PROVIDER_STATES_PATH),
    } <= set(EVERY_ROUTE)


@pytest.mark.parametrize(("method", "path"), [*EVERY_ROUTE, ("GET", "/product/99")])
def test_an_app_wide_dependency_guards_every_route(database: URL, session: Session, method: str, path: str) -> None:
    """Where a team adds authentication: nothing may answer around it, successful reads included."""
    app = create_app(database, provider_states=True, dependencies=[Depends(deny)])
    with TestClient(app, base_url=LOCAL) as client:
        response = client.request(method, path, json={"state": "a product with ID 11 does not exist"}, headers=AUTH)
    assert (response.status_code, response.json()) == (403, {"detail": "denied"})
    assert stored(session) == SEED, "a route changed the data around the dependency"
    assert events_stored(session) == 0


@pytest.mark.parametrize(
    "error",
    [
        sqlalchemy.exc.TimeoutError("QueuePool limit of size 5 overflow 10 reached"),
        sqlalchemy.exc.InternalError("UPDATE", {}, Exception("cannot execute UPDATE in a read-only transaction")),
    ],
    ids=["every pooled connection busy", "a read-only database after a failover"],
)
def test_a_database_that_cannot_serve_answers_503(sqlite_database: URL, error: Exception) -> None:
    def failing() -> None:
        raise error

    with TestClient(create_app(sqlite_database, dependencies=[Depends(failing)]), base_url=LOCAL) as client:
        response = client.get("/products")
    assert (response.status_code, response.json()) == (503, {"detail": "the database is unavailable: try again"})
