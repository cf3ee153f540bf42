"""One HTTP request over a raw socket: nothing on the client side normalises, encodes or refuses it."""

from __future__ import annotations

import socket
from dataclasses import dataclass
from urllib.parse import urlsplit


@dataclass(frozen=True)
class RawResponse:
    status: int
    headers: dict[str, str]
    body: bytes


def raw_request(base_url: str, head: bytes, body: bytes = b"") -> RawResponse:
    """Send `head` (request line and headers, without the blank line) and `body` on a connection of its own."""
    address = urlsplit(base_url)
    with socket.create_connection((address.hostname, address.port), timeout=10) as connection:
        connection.sendall(head + b"\r\nConnection: close\r\n\r\n" + body)
        received = b""
        while chunk := connection.recv(65536):
            received += chunk
    response_head, _, response_body = received.partition(b"\r\n\r\n")
    status_line, *header_lines = response_head.decode("latin-1").split("\r\n")
    headers = dict(line.lower().split(": ", 1) for line in header_lines)
    return RawResponse(int(status_line.split()[1]), headers, response_body)


def raw_get(base_url: str, target: bytes, host: bytes = b"127.0.0.1") -> RawResponse:
    """`GET <target>`, byte for byte."""
    return raw_request(base_url, b"GET " + target + b" HTTP/1.1\r\nHost: " + host)
