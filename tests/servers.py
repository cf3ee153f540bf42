"""Test servers that are not the app."""

from __future__ import annotations

import contextlib
import socket
from collections.abc import Iterator

from example_provider.pipeline.server import LOOPBACK


@contextlib.contextmanager
def refusing_url() -> Iterator[str]:
    """An http URL on 127.0.0.1 that refuses connections: its port is bound, but nothing listens."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOOPBACK, 0))
        yield f"http://{LOOPBACK}:{sock.getsockname()[1]}"
