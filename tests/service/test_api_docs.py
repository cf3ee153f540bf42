"""The docs page needs no internet: every asset it names is served by the app, under a strict CSP."""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Iterator
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import httpx
import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import URL

from example_provider.app import create_app
from example_provider.pipeline.server import serve_in_thread


class PageParts(HTMLParser):
    """The URLs a page names (src, href) and the text of its inline scripts."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []
        self.inline_scripts: list[str] = []
        self._in_inline_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.urls += [value for name, value in attrs if name in {"src", "href"} and value]
        self._in_inline_script = tag == "script" and not dict(attrs).get("src")

    def handle_data(self, data: str) -> None:
        if self._in_inline_script:
            self.inline_scripts.append(data)
            self._in_inline_script = False


@pytest.fixture(scope="module")
def base_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with serve_in_thread(create_app(f"sqlite:///{tmp_path_factory.mktemp('docs')}/catalogue.db")) as url:
        yield url


@pytest.fixture(scope="module")
def page(base_url: str) -> httpx.Response:
    return httpx.get(base_url + "/docs", timeout=5)


def parts(page: httpx.Response) -> PageParts:
    parser = PageParts()
    parser.feed(page.text)
    return parser


def test_the_page_names_no_outside_url(page: httpx.Response) -> None:
    assert page.status_code == 200
    assert not re.search(r"https?:|//", page.text), page.text
    assert all(not urlsplit(url).scheme and not urlsplit(url).netloc for url in parts(page).urls)


def test_every_asset_the_page_names_loads_from_the_server(page: httpx.Response) -> None:
    found = parts(page)
    (start,) = found.inline_scripts
    document = re.search(r'url: "([^"]+)"', start)
    assert document is not None
    urls = [*found.urls, document.group(1)]
    assert len(urls) == 4, urls  # the stylesheet, the icon, Swagger UI's script, and the OpenAPI document
    for url in urls:
        response = httpx.get(urljoin(str(page.url), url), timeout=5)
        assert response.status_code == 200, url
        assert response.headers["content-type"].split(";")[0] in {
            "text/css",
            "image/png",
            "text/javascript",
            "application/javascript",
            "application/json",
        }, url


def test_the_page_may_run_only_its_own_scripts_and_not_be_framed(page: httpx.Response) -> None:
    policy = dict(d.strip().split(" ", 1) for d in page.headers["content-security-policy"].split(";"))
    assert policy["default-src"] == "'none'"
    assert policy["frame-ancestors"] == "'none'"
    assert page.headers["x-frame-options"] == "DENY"
    script_sources = policy["script-src"].split()
    assert "'unsafe-inline'" not in script_sources
    assert "'unsafe-eval'" not in script_sources
    for script in parts(page).inline_scripts:  # each inline script runs only because its hash is allowed
        digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
        assert f"'sha256-{digest}'" in script_sources


def test_the_page_and_its_assets_are_open_with_an_api_token(sqlite_database: URL) -> None:
    app = create_app(sqlite_database, api_token=SecretStr("s3cr3t-api-token"))
    with TestClient(app, base_url="http://127.0.0.1:8000") as client:
        assert client.get("/products").status_code == 401
        for path in ("/docs", "/docs/assets/swagger-ui-bundle.js", "/docs/assets/swagger-ui.css", "/openapi.json"):
            assert client.get(path).status_code == 200, path
