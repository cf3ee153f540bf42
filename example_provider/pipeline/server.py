"""Run an ASGI app with a real uvicorn server on a free loopback port, in a thread of this process.

The port comes from a socket bound to port 0 and handed to uvicorn, so there is no window in
which another process could take it. The server is waited for until it answers.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator

import uvicorn
from starlette.types import ASGIApp

from example_provider.server_options import HTTP_PARSER, MAX_HEADER_BYTES, WEBSOCKETS

LOOPBACK = "127.0.0.1"


def wait_until_answering(url: str, timeout: float = 15.0) -> None:
    """Poll `url` until it answers with any HTTP status, or fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    last_error: Exception | None = None
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2):  # noqa: S310 - loopback http only
                return
        except urllib.error.HTTPError:
            return
        except OSError as error:
            last_error = error
            time.sleep(0.05)
    msg = f"server at {url} did not answer within {timeout}s: {last_error}"
    raise TimeoutError(msg)


@contextlib.contextmanager
def serve_in_thread(app: ASGIApp, ready_path: str = "/health") -> Iterator[str]:
    """Serve `app` on 127.0.0.1:<free port> in a daemon thread; yields the base URL."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((LOOPBACK, 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(
            app,
            log_level="warning",
            access_log=False,
            lifespan="on",
            http=HTTP_PARSER,
            h11_max_incomplete_event_size=MAX_HEADER_BYTES,
            ws=WEBSOCKETS,
        )
    )
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    base_url = f"http://{LOOPBACK}:{port}"
    try:
        while not server.started and thread.is_alive():  # the lifespan (the database) may fail
            time.sleep(0.01)
        if not server.started:
            msg = "the app did not start: see its error above"
            raise RuntimeError(msg)
        wait_until_answering(base_url + ready_path)
        yield base_url
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()
