"""ALLOWED_HOSTS: a request addressed to another host gets a JSON 400 and changes nothing, token or not.

The attack it stops: a web page on a name that resolves to 127.0.0.1 (DNS rebinding) reaching
the API of a server on the developer's machine, which answers without a token by default.
"""

from __future__ import annotations

import httpx
import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import URL
from sqlalchemy.orm import Session

from example_provider.app import create_app
from example_provider.cli import loopback_only_hosts
from example_provider.hosts import host_name
from example_provider.http_json import JSON_UTF8
from example_provider.products import SEED_PRODUCTS
from example_provider.settings import ServerSettings, SettingsError, load_settings
from tests.process import run_provider
from tests.service.rows import events_stored, stored

REBIND = "rebind.evil.example"
TOKEN = "s3cr3t-api-token"  # noqa: S105 - a marker, not a credential
WRITES = [
    ("GET", "/products", None),
    ("POST", "/products", {"id": "n1", "type": "T", "name": "n", "version": "v"}),
    ("DELETE", "/products/11", None),
]


def assert_refused(response: httpx.Response, host: str) -> None:
    assert response.status_code == 400, response.text
    assert response.headers["content-type"] == JSON_UTF8
    assert response.json() == {
        "detail": f"the Host {host!r} is not one this server answers to: add it to ALLOWED_HOSTS"
    }


@pytest.mark.parametrize("token", [None, TOKEN], ids=["no token", "with the token"])
@pytest.mark.parametrize(("method", "path", "body"), WRITES, ids=[f"{m} {p}" for m, p, _ in WRITES])
def test_another_host_is_refused_and_changes_nothing(  # noqa: PLR0913, PLR0917 - pytest passes them
    database: URL, session: Session, method: str, path: str, body: object, token: str | None
) -> None:
    app = create_app(database, api_token=SecretStr(token) if token else None)
    headers = {"Host": REBIND, **({"Authorization": f"Bearer {token}"} if token else {})}
    with TestClient(app) as client:
        assert_refused(client.request(method, path, json=body, headers=headers), REBIND)
    assert stored(session) == list(SEED_PRODUCTS)
    assert events_stored(session) == 0


@pytest.mark.parametrize("host", ["localhost:8000", "127.0.0.1", "127.0.0.1:1", "[::1]:8000", "LOCALHOST"])
def test_the_loopback_names_are_answered_by_default(sqlite_database: URL, host: str) -> None:
    with TestClient(create_app(sqlite_database)) as client:
        assert client.get("/product/11", headers={"Host": host}).status_code == 200


@pytest.mark.parametrize(
    "host",
    [
        "",
        "127.0.0.2",
        "localhost.",
        "127.0.0.1.evil.example:8000",
        "localhost@evil.example",
        "evil.example#localhost",
        "[::1",
        "[::2]:8000",
    ],
)
def test_look_alikes_and_malformed_hosts_are_refused(sqlite_database: URL, host: str) -> None:
    with TestClient(create_app(sqlite_database)) as client:
        assert_refused(client.get("/products", headers={"Host": host}), host)


def test_a_configured_host_is_answered_and_others_refused(sqlite_database: URL) -> None:
    with TestClient(create_app(sqlite_database, allowed_hosts=["api.example.test"])) as client:
        assert client.get("/products", headers={"Host": "api.example.test:443"}).status_code == 200
        for host in ("localhost", REBIND):
            assert_refused(client.get("/products", headers={"Host": host}), host)


def test_a_star_answers_any_host(sqlite_database: URL) -> None:
    with TestClient(create_app(sqlite_database, allowed_hosts=["*"])) as client:
        assert client.get("/products", headers={"Host": REBIND}).status_code == 200


def test_the_setting_reaches_the_real_server() -> None:
    with (
        run_provider(env={"ALLOWED_HOSTS": "api.example.test, localhost"}) as provider,
        httpx.Client(base_url=provider.base_url, timeout=5) as client,
    ):
        assert client.get("/products", headers={"Host": "api.example.test"}).status_code == 200
        assert client.get("/products", headers={"Host": f"localhost:{provider.base_url.rsplit(':', 1)[1]}"}).is_success
        assert_refused(client.get("/products"), provider.base_url.removeprefix("http://"))  # 127.0.0.1 is not listed
        assert_refused(client.delete("/products/11", headers={"Host": REBIND}), REBIND)
        assert client.get("/products/11", headers={"Host": "localhost"}).status_code == 200
        # The API serves no websockets: an upgrade request is plain HTTP to the server, Host check included.
        upgrade = {
            "Upgrade": "websocket",
            "Connection": "Upgrade",
            "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
            "Sec-WebSocket-Version": "13",
        }
        assert_refused(client.get("/products", headers={"Host": REBIND, **upgrade}), REBIND)


def test_the_setting_is_comma_separated_and_checked() -> None:
    settings = load_settings(ServerSettings, allowed_hosts="api.example.test, [::1],LOCALHOST")
    assert settings.allowed_hosts == ("api.example.test", "[::1]", "localhost")
    for bad in ("api.example.test:8000", "https://api.example.test", "::1", "", "a b"):
        with pytest.raises(SettingsError, match="ALLOWED_HOSTS"):
            load_settings(ServerSettings, allowed_hosts=bad)


def test_host_names_are_read_strictly() -> None:
    assert host_name("Example.TEST:8000") == "example.test"
    assert host_name("[::1]:80") == "[::1]"
    assert host_name("example.test:80:80") is None


def test_a_reachable_server_that_answers_only_loopback_names_is_warned_about() -> None:
    anywhere = "0.0.0.0"  # noqa: S104 - the settings only, nothing is bound
    assert loopback_only_hosts(load_settings(ServerSettings, host=anywhere))
    assert not loopback_only_hosts(load_settings(ServerSettings))
    assert not loopback_only_hosts(load_settings(ServerSettings, host=anywhere, allowed_hosts="api.example.test"))
    assert not loopback_only_hosts(load_settings(ServerSettings, host=anywhere, allowed_hosts="*"))
