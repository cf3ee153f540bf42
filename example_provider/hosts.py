"""`ALLOWED_HOSTS`: the host names the API answers to (`http_json.AllowedHosts` refuses the others).

Without it, a web page on a name that resolves to 127.0.0.1 (DNS rebinding) could read and
change the catalogue of a server on the developer's machine. Any port is allowed. No web
framework here: the settings, which every task reads, import this module.
"""

from __future__ import annotations

import re

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
