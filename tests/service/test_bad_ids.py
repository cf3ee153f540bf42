"""Hostile product ids, sent byte for byte to the real server on SQLite and PostgreSQL: a JSON 404, never a 500.

The requests go over a raw socket so nothing on the client side normalises, encodes or
refuses them: the server sees exactly these request targets, as it would from any client.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from example_provider.app import create_app
from example_provider.http_json import JSON_UTF8
from example_provider.pipeline.server import serve_in_thread
from example_provider.server_options import MAX_HEADER_BYTES
from tests.raw_http import RawResponse, raw_get
from tests.service.databases import KINDS, fresh_database


@pytest.fixture(scope="module", params=KINDS)
def base_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """One server per database for the module: these requests change no data."""
    with serve_in_thread(create_app(fresh_database(request, tmp_path_factory))) as url:
        yield url


def assert_json_404(response: RawResponse) -> None:
    assert response.status == 404, response
    assert response.headers["content-type"] == JSON_UTF8
    assert "detail" in json.loads(response.body)


@pytest.mark.parametrize("prefix", [b"/product/", b"/products/"])
@pytest.mark.parametrize(
    "product_id",
    [
        pytest.param(b"9" * (MAX_HEADER_BYTES - 100), id="very long"),
        pytest.param(b"%E2%82%AC%F0%9F%8D%95", id="unicode, percent-encoded UTF-8"),
        pytest.param(b"%C3%A9t%C3%A9", id="accented letters"),
        pytest.param(b"%FF%FE", id="percent-encoded bytes that are not UTF-8"),
        pytest.param(b"%00", id="NUL"),
        pytest.param(b"%", id="lone percent sign"),
        pytest.param(b"%zz", id="malformed percent escape"),
        pytest.param(b"%20", id="space"),
        pytest.param(b"..", id="dot dot"),
        pytest.param(b"%2e%2e", id="encoded dot dot"),
        pytest.param(b"..%2F..%2Fetc%2Fpasswd", id="encoded traversal"),
        pytest.param(b"../../etc/passwd", id="traversal"),
        pytest.param(b"%2F", id="encoded slash"),
        pytest.param(b"10%2F", id="known id with encoded slash"),
        pytest.param(b"", id="empty"),
        pytest.param(b"10;drop", id="matrix parameter"),
        pytest.param(b"'%20OR%20'1'='1", id="injection-like"),
    ],
)
def test_hostile_ids_are_a_json_404(base_url: str, prefix: bytes, product_id: bytes) -> None:
    assert_json_404(raw_get(base_url, prefix + product_id))


def test_a_percent_encoded_known_id_is_that_product(base_url: str) -> None:
    response = raw_get(base_url, b"/product/%31%30")
    assert (response.status, response.headers["content-type"]) == (200, JSON_UTF8)
    assert json.loads(response.body)["id"] == "10"


@pytest.mark.parametrize(
    "target",
    [
        pytest.param("/product/\u20ac".encode(), id="raw UTF-8 bytes in the request line"),
        pytest.param(b"/product/a\tb", id="control character in the request line"),
    ],
)
def test_requests_the_http_parser_rejects_are_a_400_and_the_server_lives_on(base_url: str, target: bytes) -> None:
    """These never reach the app: uvicorn answers them itself, with a 400."""
    assert raw_get(base_url, target).status == 400
    assert raw_get(base_url, b"/product/10").status == 200
