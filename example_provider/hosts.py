"""`ALLOWED_HOSTS`: the API answers only requests addressed to a host name it was told is its own.

Without it, a web page on a name that resolves to 127.0.0.1 (DNS rebinding) could read and
change the catalogue of a server on the developer's machine. Any port is allowed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

from example_provider.http_json import JSONUTF8Response

LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "[::1]")
ANY_HOST = "*"
#: A `Host` header: a name, an IPv4 address or a bracketed IPv6 address, then an optional port.
_HOST_HEADER = re.compile(r"(?P<name>\[[0-9a-f:.]+\]|[a-z0-9._~%!$&'()*+,;=-]+)(?::[0-9]*)?")


def host_name(host_header: str) -> str | None:
    """The host of a `Host` header, lower-cased, IPv6 in brackets; None when it is not one."""
    match = _HOST_HEADER.fullmatch(host_header.lower())
    return match["name"] if match else None


def allowed_host_entry(entry: str) -> str:
    """One `ALLOWED_HOSTS` entry as the middleware compares it; ValueError when it is not a host."""
    name = entry.strip().lower()
    if name != ANY_HOST and host_name(name) != name:
        msg = f"{entry!r} is not a host name: list names or addresses without a port, IPv6 in brackets, or {ANY_HOST}"
        raise ValueError(msg)
    return name


class AllowedHosts:
    """Answer 400 JSON to a request whose `Host` is not one of `allowed` (`*`: any), before anything else."""

    def __init__(self, app: ASGIApp, allowed: Iterable[str]) -> None:
        self.app = app
        self.allowed = frozenset(allowed_host_entry(entry) for entry in allowed)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in {"http", "websocket"} and ANY_HOST not in self.allowed:
            header = Headers(scope=scope).get("host", "")
            if host_name(header) not in self.allowed:
                detail = f"the Host {header!r} is not one this server answers to: add it to ALLOWED_HOSTS"
                await JSONUTF8Response({"detail": detail}, status_code=400)(scope, receive, send)
                return
        await self.app(scope, receive, send)
