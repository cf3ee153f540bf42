"""The read fast path: rendered once per snapshot, and answering exactly as the routes do."""

from __future__ import annotations

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from example_provider.app import JSON_UTF8, CatalogResponses, ServeCatalogReads, create_app
from example_provider.products import Product, ProductRepository

READS = ["/products", "/product/10", "/products/10"]


def routes_only() -> FastAPI:
    """The app without its fast path: every request goes through the FastAPI routes."""
    app = create_app()
    app.user_middleware = [
        m for m in app.user_middleware if not (isinstance(m.cls, type) and issubclass(m.cls, ServeCatalogReads))
    ]
    return app


@pytest.mark.parametrize("path", READS)
def test_the_fast_path_answers_as_the_routes_would(path: str) -> None:
    with TestClient(create_app()) as through_middleware, TestClient(routes_only()) as routes_only_client:
        fast, routed = through_middleware.get(path), routes_only_client.get(path)
    assert fast.status_code == routed.status_code == 200
    assert fast.content == routed.content
    for header in ("content-type", "content-length"):
        assert fast.headers[header] == routed.headers[header]
    assert fast.headers["content-type"] == JSON_UTF8


def test_each_snapshot_is_rendered_once_and_changes_are_seen_at_once() -> None:
    repository = ProductRepository()
    responses = CatalogResponses(repository)
    first = responses.current()
    assert responses.current() is first
    repository.put(Product(id="27", type="Pizza", name="Margharita", version="v1"))
    second = responses.current()
    assert second is not first
    assert second.catalog is repository.catalog
    assert b'"Margharita"' in second.by_id["27"]
    assert b'"Margharita"' in second.products


def test_ids_no_path_can_carry_are_left_to_the_routes() -> None:
    repository = ProductRepository([Product(id="a/b", type="T", name="N", version="v1")])
    rendered = CatalogResponses(repository).current()
    assert "a/b" in rendered.by_id
    assert set(rendered.by_path) == {"/products"}
    with TestClient(create_app(repository)) as client:
        for path in ("/product/a/b", "/product/a%2Fb", "/products/a%2Fb"):
            response = client.get(path)
            assert (response.status_code, response.headers["content-type"]) == (404, JSON_UTF8), path
