from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from example_provider.app import PROVIDER_STATES_PATH, create_app
from example_provider.products import Product, ProductRepository

JSON_UTF8 = "application/json; charset=utf-8"
AUTH = {"Authorization": "Bearer 2026-11-26T04:00:00.000Z"}


@pytest.fixture
def repository() -> ProductRepository:
    return ProductRepository()


@pytest.fixture
def client(repository: ProductRepository) -> Iterator[TestClient]:
    with TestClient(create_app(repository)) as client:
        yield client


def test_list_products(client: TestClient, repository: ProductRepository) -> None:
    response = client.get("/products")
    assert response.status_code == 200
    assert response.headers["content-type"] == JSON_UTF8
    assert response.json() == [p.model_dump() for p in repository.all()]


@pytest.mark.parametrize("path", ["/product/10", "/products/10"])
def test_one_product(client: TestClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 200
    assert response.headers["content-type"] == JSON_UTF8
    assert response.json() == {"id": "10", "type": "CREDIT_CARD", "name": "28 Degrees", "version": "v1"}


@pytest.mark.parametrize("path", ["/products", "/product/10", "/product/404"])
def test_authorization_header_changes_nothing(client: TestClient, path: str) -> None:
    without, with_auth = client.get(path), client.get(path, headers=AUTH)
    assert (without.status_code, without.headers["content-type"], without.content) == (
        with_auth.status_code,
        with_auth.headers["content-type"],
        with_auth.content,
    )


@pytest.mark.parametrize("path", ["/product/11", "/products/99", "/no-such-route"])
def test_not_found_is_json(client: TestClient, repository: ProductRepository, path: str) -> None:
    repository.remove("11")
    response = client.get(path)
    assert response.status_code == 404
    assert response.headers["content-type"] == JSON_UTF8
    assert "detail" in response.json()


def test_changes_to_the_repository_are_served(client: TestClient, repository: ProductRepository) -> None:
    assert client.get("/product/27").status_code == 404
    repository.put(Product(id="27", type="Pizza", name="Margharita", version="v1"))
    assert client.get("/product/27").json()["name"] == "Margharita"
    assert len(client.get("/products").json()) == 4
    repository.replace_all([])
    assert client.get("/products").json() == []


def test_health(client: TestClient) -> None:
    response = client.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_openapi_and_docs(client: TestClient) -> None:
    schema = client.get("/openapi.json")
    assert schema.headers["content-type"] == JSON_UTF8
    paths = schema.json()["paths"]
    assert {"/products", "/product/{product_id}", "/products/{product_id}", "/health"} <= set(paths)
    assert PROVIDER_STATES_PATH not in paths
    docs = client.get("/docs")
    assert docs.status_code == 200
    assert "/openapi.json" in docs.text


def test_wrong_method_is_json(client: TestClient) -> None:
    response = client.post("/products")
    assert response.status_code == 405
    assert response.headers["content-type"] == JSON_UTF8


def test_state_endpoint_absent_by_default(client: TestClient) -> None:
    assert client.post(PROVIDER_STATES_PATH, json={"state": "products exist"}).status_code == 404


def test_state_endpoint_when_enabled(repository: ProductRepository, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING):
        app = create_app(repository, provider_states=True)
    assert "provider-state endpoint ENABLED" in caplog.text
    with TestClient(app) as client:
        setup = {"state": "a product with ID 11 does not exist", "params": {"id": "10"}, "action": "setup"}
        response = client.post(PROVIDER_STATES_PATH, json=setup)
        assert (response.status_code, response.json()) == (200, {})
        assert client.get("/product/10").status_code == 404
        client.post(PROVIDER_STATES_PATH, json={**setup, "action": "teardown"})
        assert client.get("/product/10").status_code == 200


@pytest.mark.parametrize(
    ("body", "status", "detail"),
    [
        pytest.param(
            {"state": "a product is on sale"}, 400, "unknown provider state 'a product is on sale'", id="unknown"
        ),
        pytest.param(
            {"state": "a product with ID 10 exists", "params": {"id": [1]}}, 400, "failed", id="handler error"
        ),
        pytest.param({"state": "products exist", "action": "reset"}, 422, "'action'", id="bad action"),
        pytest.param({"params": {}}, 422, "'state'", id="no state"),
    ],
)
def test_state_endpoint_rejects_bad_changes(
    repository: ProductRepository, body: dict[str, object], status: int, detail: str
) -> None:
    repository.replace_all([])  # not the seed: a rejected change must leave the data as it was
    with TestClient(create_app(repository, provider_states=True)) as client:
        response = client.post(PROVIDER_STATES_PATH, json=body)
    assert response.status_code == status
    assert response.headers["content-type"] == JSON_UTF8
    assert detail in str(response.json()["detail"])
    assert repository.all() == ()
