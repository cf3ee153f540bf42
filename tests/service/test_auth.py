"""The API token: every route but /health and the docs needs `Authorization: Bearer <API_TOKEN>`."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import URL
from sqlalchemy.orm import Session

from example_provider.app import PUBLIC_PATHS, create_app
from example_provider.auth import require_bearer_token
from example_provider.http_json import JSON_UTF8
from example_provider.products import SEED_PRODUCTS
from example_provider.verifier_endpoints import MESSAGES_PATH, PROVIDER_STATES_PATH
from tests.service.app_routes import every_route
from tests.service.rows import stored

TOKEN = "s3cr3t-api-token"  # noqa: S105 - a marker to look for in output
LOCAL = "http://127.0.0.1:8000"
STATE_CHANGE = {"state": "a product with ID 11 does not exist"}
LATER = "/added-after-create-app"


def guarded_app(database: URL | None = None) -> FastAPI:
    """The app with a token and the state endpoint, plus a route a team adds after `create_app`."""
    app = create_app(database, provider_states=True, api_token=SecretStr(TOKEN))

    @app.get(LATER)
    async def added_later() -> dict[str, str]:
        return {"added": "later"}

    return app


def routes(*, public: bool) -> list[tuple[str, str]]:
    """Each method and path of the app's routes, public ones or guarded ones."""
    return [(method, path) for method, path in every_route(guarded_app()) if (path in PUBLIC_PATHS) == public]


GUARDED = routes(public=False)


@pytest.fixture
def client(database: URL) -> Iterator[TestClient]:
    with TestClient(guarded_app(database), base_url=LOCAL) as client:
        yield client


def test_the_routes_cover_reads_the_state_endpoint_and_a_later_route() -> None:
    assert {
        ("GET", "/products"),
        ("GET", "/product/10"),
        ("GET", "/outbox"),
        ("POST", PROVIDER_STATES_PATH),
        ("GET", LATER),
    } <= set(GUARDED)
    assert {path for _, path in routes(public=True)} == PUBLIC_PATHS


#: Each refused, by its description: no header, then every near miss of `Bearer <TOKEN>`.
WRONG_AUTHORIZATIONS = {
    "no header": None,
    "wrong token": "Bearer wrong-token",
    "token with a suffix": f"Bearer {TOKEN}x",
    "token prefix": f"Bearer {TOKEN[:-1]}",
    "another scheme": f"Basic {TOKEN}",
    "no scheme": TOKEN,
    "empty token": "Bearer ",
    "a pact-js consumer's example value": "Bearer 2026-11-26T04:00:00.000Z",
}


@pytest.mark.parametrize(("method", "path"), GUARDED)
def test_every_guarded_route_answers_401_without_the_token(
    client: TestClient, session: Session, subtests: pytest.Subtests, method: str, path: str
) -> None:
    """One app for every wrong header: each is refused, and none changes the data."""
    for described, authorization in WRONG_AUTHORIZATIONS.items():
        with subtests.test(described):
            headers = {"Authorization": authorization} if authorization is not None else {}
            response = client.request(method, path, json=STATE_CHANGE, headers=headers)
            assert response.status_code == 401
            assert response.headers["www-authenticate"] == "Bearer"
            assert response.headers["content-type"] == JSON_UTF8
            detail = response.json()["detail"]
            assert list(response.json()) == ["detail"]
            assert isinstance(detail, str)
            assert "\n" not in detail
            assert TOKEN not in response.text
            assert stored(session) == list(SEED_PRODUCTS), "a route changed the data without the token"


EXPECTED = {
    ("GET", "/products"): 200,
    ("GET", "/product/10"): 200,
    ("GET", "/products/10"): 200,
    ("GET", "/outbox"): 200,
    ("POST", PROVIDER_STATES_PATH): 200,
    ("GET", LATER): 200,
    # Past the token, the writes and the message endpoint judge the body: a state change is not theirs.
    ("POST", "/products"): 422,
    ("PUT", "/products/10"): 422,
    ("DELETE", "/products/10"): 204,
    ("POST", MESSAGES_PATH): 422,
}


@pytest.mark.parametrize(("method", "path"), GUARDED)
def test_every_guarded_route_answers_with_the_token(
    client: TestClient, session: Session, method: str, path: str
) -> None:
    response = client.request(method, path, json=STATE_CHANGE, headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == EXPECTED[method, path], response.text
    assert response.headers.get("content-type", JSON_UTF8) == JSON_UTF8  # a 204 has none
    if path == PROVIDER_STATES_PATH:
        assert "11" not in [p.id for p in stored(session)], "the state change did not apply"


def test_the_scheme_name_is_case_insensitive(client: TestClient) -> None:
    assert client.get("/products", headers={"Authorization": f"bearer {TOKEN}"}).status_code == 200


def test_a_missing_product_is_still_a_404_with_the_token(client: TestClient) -> None:
    response = client.get("/product/99", headers={"Authorization": f"Bearer {TOKEN}"})
    assert (response.status_code, response.json()) == (404, {"detail": "product '99' not found"})


@pytest.mark.parametrize(("method", "path"), routes(public=True))
def test_health_and_the_docs_are_open(client: TestClient, method: str, path: str) -> None:
    for headers in ({}, {"Authorization": "Bearer wrong-token"}):
        assert client.request(method, path, headers=headers).status_code == 200


def test_the_openapi_document_declares_the_bearer_scheme(client: TestClient) -> None:
    document = client.get("/openapi.json").json()
    schemes = document["components"]["securitySchemes"]
    assert [scheme for scheme in schemes.values() if scheme == {**scheme, "type": "http", "scheme": "bearer"}]
    operations = document["paths"]
    assert operations["/products"]["get"]["security"] == [{name: []} for name in schemes]
    assert {} in operations["/health"]["get"]["security"], "health is open: anonymous is allowed"


def test_without_a_token_the_api_is_open_and_declares_no_scheme(database: URL) -> None:
    with TestClient(create_app(database, provider_states=True), base_url=LOCAL) as client:
        assert client.get("/products").status_code == 200
        assert client.post(PROVIDER_STATES_PATH, json=STATE_CHANGE).status_code == 200
        assert "securitySchemes" not in client.get("/openapi.json").json().get("components", {})


def test_the_token_shows_nowhere(client: TestClient, caplog: pytest.LogCaptureFixture) -> None:
    app = guarded_app()
    with caplog.at_level(logging.DEBUG):
        client.get("/products", headers={"Authorization": f"Bearer {TOKEN}"})
        client.get("/products", headers={"Authorization": "Bearer wrong"})
        client.post(PROVIDER_STATES_PATH, json=STATE_CHANGE, headers={"Authorization": f"Bearer {TOKEN}"})
    assert TOKEN not in caplog.text
    assert TOKEN not in repr(app.router.dependencies)
    assert TOKEN not in repr([route.__dict__ for route in app.routes])
    assert TOKEN not in client.get("/openapi.json").text


def test_an_empty_token_is_refused_rather_than_opening_the_api() -> None:
    with pytest.raises(ValueError, match="empty"):
        require_bearer_token(SecretStr(""))
    with pytest.raises(ValueError, match="empty"):
        create_app(api_token=SecretStr(""))
