"""Test servers that are not the app: one that refuses, one that never answers."""

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


@contextlib.contextmanager
def silent_url() -> Iterator[str]:
    """An http URL on 127.0.0.1 that takes connections and never answers: a hung server."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOOPBACK, 0))
        sock.listen(16)  # the kernel completes the handshakes; nobody reads or answers
        yield f"http://{LOOPBACK}:{sock.getsockname()[1]}"
