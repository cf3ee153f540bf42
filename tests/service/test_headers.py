"""What every response carries, errors included: `X-Content-Type-Options: nosniff`; and HEAD wherever GET answers."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from fastapi import Depends
from fastapi.testclient import TestClient
from sqlalchemy import URL
from starlette.routing import Mount

from example_provider.app import create_app
from example_provider.pipeline.server import serve_in_thread
from example_provider.verifier_endpoints import PROVIDER_STATES_PATH
from tests.service.app_routes import every_route


def _every_route() -> list[tuple[str, str]]:
    """Each method and path the app serves, the state endpoint and the docs' assets included."""
    app = create_app(provider_states=True)
    mounts = [("GET", f"{route.path}/swagger-ui.css") for route in app.routes if isinstance(route, Mount)]
    return every_route(app) + mounts


ROUTES = _every_route()
ERRORS = [
    ("GET", "/product/99"),  # 404
    ("GET", "/no-such-route"),  # 404, no route
    ("PATCH", "/products"),  # 405
    ("POST", "/products"),  # 422, no body
    ("GET", "/docs/assets/no-such-file"),  # 404 from the static files
]


@pytest.fixture(scope="module")
def base_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    database = f"sqlite:///{tmp_path_factory.mktemp('headers')}/catalogue.db"
    with serve_in_thread(create_app(database, provider_states=True)) as url:
        yield url


@pytest.mark.parametrize(("method", "path"), [*ROUTES, *ERRORS])
def test_every_answer_says_nosniff(base_url: str, method: str, path: str) -> None:
    body = {"state": "products exist"} if path == PROVIDER_STATES_PATH else None
    response = httpx.request(method, base_url + path, json=body, timeout=5)
    assert response.headers["x-content-type-options"] == "nosniff", response


def test_the_routes_cover_the_api_the_docs_and_the_state_endpoint() -> None:
    """A route added later is in ROUTES without a change here."""
    assert {("GET", "/products"), ("DELETE", "/products/10"), ("GET", "/docs"), ("POST", PROVIDER_STATES_PATH)} <= set(
        ROUTES
    )
    assert ("GET", "/docs/assets/swagger-ui.css") in ROUTES


def test_a_refused_host_says_nosniff(base_url: str) -> None:
    response = httpx.get(base_url + "/products", headers={"Host": "rebind.evil.example"}, timeout=5)
    assert (response.status_code, response.headers["x-content-type-options"]) == (400, "nosniff")


@pytest.mark.parametrize("path", sorted({path for method, path in ROUTES if method == "GET"} | {"/product/99"}))
def test_head_answers_wherever_get_does(base_url: str, path: str) -> None:
    get, head = httpx.get(base_url + path, timeout=5), httpx.head(base_url + path, timeout=5)
    assert head.status_code == get.status_code
    assert head.headers["content-type"] == get.headers["content-type"]
    assert head.headers["content-length"] == get.headers["content-length"]
    assert head.content == b""


def test_head_where_get_does_not_answer_is_a_405(base_url: str) -> None:
    response = httpx.head(base_url + PROVIDER_STATES_PATH, timeout=5)
    assert (response.status_code, response.headers["allow"]) == (405, "POST")


def test_a_server_error_is_json_and_says_nosniff(sqlite_database: URL) -> None:
    """Answered outside the app's middleware: the handler says it itself."""

    def broken() -> None:
        msg = "a bug"
        raise RuntimeError(msg)

    app = create_app(sqlite_database, dependencies=[Depends(broken)])
    with TestClient(app, base_url="http://127.0.0.1:8000", raise_server_exceptions=False) as client:
        response = client.get("/products")
    assert (response.status_code, response.json()) == (500, {"detail": "internal server error"})
    assert response.headers["x-content-type-options"] == "nosniff"
