"""Bodies the API could not serve back, sent byte for byte to the real server: a 422 JSON, and the API lives on.

One lone surrogate stored used to make every later `GET /products` a 500; NaN, Infinity and
numbers too large for a float were a plain-text 500.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from fastapi.routing import APIRoute, iter_route_contexts
from pydantic import ValidationError
from sqlalchemy import URL
from sqlalchemy.orm import Session

from example_provider.app import create_app
from example_provider.http_json import JSON_UTF8, StrictJSONRoute
from example_provider.pipeline.server import serve_in_thread
from example_provider.products import SEED_PRODUCTS, Product
from example_provider.verifier_endpoints import MESSAGES_PATH, PROVIDER_STATES_PATH
from tests.raw_http import raw_get, raw_request
from tests.service.databases import KINDS, fresh_database
from tests.service.rows import store_only, stored

BAD_VALUES = {
    "lone trailing surrogate": rb'"\udfff"',
    "lone leading surrogate": rb'"\ud800"',
    "NaN": b"NaN",
    "Infinity": b"Infinity",
    "-Infinity": b"-Infinity",
    "overflowing float": b"1e999999",
    "overflowing negative float": b"-1e400",
    "int of 5000 digits": b"9" * 5000,
    "invalid UTF-8": b'"\xff\xfe"',
}
BODIES = {
    "POST /products": b'{"id": "n4", "type": "T", "name": %s, "version": "v"}',
    "PUT /products/10": b'{"type": "T", "name": %s, "version": "v"}',
    f"POST {PROVIDER_STATES_PATH}": b'{"state": "a product exists", "params": {"id": "n4", "name": %s}}',
    f"POST {MESSAGES_PATH}": b'{"description": %s}',
}


@pytest.fixture(scope="module", params=KINDS)
def database(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> URL:
    return fresh_database(request, tmp_path_factory)


@pytest.fixture(scope="module")
def base_url(database: URL) -> Iterator[str]:
    with serve_in_thread(create_app(database, provider_states=True)) as url:
        yield url


@pytest.mark.parametrize("value", BAD_VALUES.values(), ids=BAD_VALUES.keys())
@pytest.mark.parametrize("request_line", BODIES.keys())
def test_a_body_the_api_could_not_serve_back_is_a_422_and_reads_still_answer(
    base_url: str, session: Session, request_line: str, value: bytes
) -> None:
    body = BODIES[request_line] % value
    head = f"{request_line} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
    response = raw_request(base_url, head.encode() + b"Content-Length: %d" % len(body), body)
    assert response.status == 422, response
    assert response.headers["content-type"] == JSON_UTF8
    assert b"\n" not in response.body
    assert "not JSON the API accepts" in response.body.decode() or "too large" in response.body.decode()
    assert stored(session) == list(SEED_PRODUCTS)
    after = raw_get(base_url, b"/products")
    assert after.status == 200
    assert [p["id"] for p in json.loads(after.body)] == [p.id for p in SEED_PRODUCTS]


def test_a_good_body_on_the_same_path_is_accepted(base_url: str, session: Session) -> None:
    """The control: the same request with a plain name is stored and served back."""
    body = BODIES["POST /products"] % b'"\\ud83c\\udf55 pizza"'  # a surrogate pair: one emoji, valid
    head = b"POST /products HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
    try:
        assert raw_request(base_url, head + b"Content-Length: %d" % len(body), body).status == 201
        assert json.loads(raw_get(base_url, b"/products/n4").body)["name"] == "\N{SLICE OF PIZZA} pizza"
    finally:
        store_only(session, SEED_PRODUCTS)


@pytest.mark.parametrize("text", ["\udfff", "a\ud800b", "a\x00b"], ids=["lone surrogate", "inner surrogate", "NUL"])
@pytest.mark.parametrize("field", ["id", "type", "name", "version"])
def test_a_product_cannot_hold_text_that_cannot_be_stored_or_sent(field: str, text: str) -> None:
    """However it is built: from a request, a provider state, or a database row."""
    fields = {"id": "1", "type": "T", "name": "n", "version": "v", field: text}
    with pytest.raises(ValidationError, match=field):
        Product(**fields)


def test_every_route_reads_json_strictly() -> None:
    """A route added with another route class (an `APIRouter` without `route_class`) would read NaN and surrogates."""
    app = create_app(provider_states=True)
    routes = [c.original_route for c in iter_route_contexts(app.routes) if isinstance(c.original_route, APIRoute)]
    assert len(routes) > 5, "the included router's routes are in the list"
    assert [route.path for route in routes if not isinstance(route, StrictJSONRoute)] == []
