"""The request head is bounded: 16 KiB of target and headers, refused before it is read whole.

Against `example-provider` itself (uvicorn with the options of `server_options.py`): uvicorn's
default parser would read a header of any size into memory.
"""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest

from example_provider.http_json import JSON_UTF8
from example_provider.server_options import MAX_HEADER_BYTES
from tests.process import run_provider
from tests.raw_http import raw_get, raw_request

MIB = 1024 * 1024


@pytest.fixture(scope="module")
def base_url() -> Iterator[str]:
    with run_provider() as provider:
        yield provider.base_url


def test_a_one_mib_header_is_refused_quickly_and_the_server_lives_on(base_url: str) -> None:
    address = urlsplit(base_url)
    started = time.monotonic()
    with socket.create_connection((address.hostname, address.port), timeout=5) as connection:
        connection.sendall(b"GET /products HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: ")
        sent = 0
        try:
            while sent < MIB:  # in pieces, never finishing the head
                connection.sendall(b"a" * 65536)
                sent += 65536
            answer = connection.recv(65536)
        except (BrokenPipeError, ConnectionResetError):
            answer = b""  # closed on us: refused
    assert answer == b"" or answer.startswith(b"HTTP/1.1 400 "), answer[:100]
    assert time.monotonic() - started < 2
    assert raw_get(base_url, b"/products").status == 200


@pytest.mark.parametrize(
    "head",
    [
        pytest.param(b"GET /products HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: " + b"a" * MAX_HEADER_BYTES, id="a header"),
        pytest.param(b"GET /product/" + b"9" * MAX_HEADER_BYTES + b" HTTP/1.1\r\nHost: 127.0.0.1", id="a target"),
        pytest.param(
            b"GET /products HTTP/1.1\r\nHost: 127.0.0.1"
            + b"".join(b"\r\nX-%d: %s" % (n, b"a" * 900) for n in range(20)),
            id="many headers",
        ),
    ],
)
def test_a_head_just_over_the_limit_is_a_json_431(base_url: str, head: bytes) -> None:
    """Sent at once, h11 may finish reading it; the app still refuses it, as JSON."""
    response = raw_request(base_url, head)
    assert response.status == 431, response
    assert response.headers["content-type"] == JSON_UTF8
    assert "larger than 16384 bytes" in json.loads(response.body)["detail"]


def test_a_head_under_the_limit_is_served(base_url: str) -> None:
    response = raw_request(base_url, b"GET /products HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: " + b"a" * 15_000)
    assert response.status == 200, response
