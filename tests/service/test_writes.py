"""The writes: each successful one publishes exactly one event; a refused or unpublished one changes nothing."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from example_provider.app import MAX_BODY_BYTES, create_app
from example_provider.events import EventKind, ProductEvent, PublishError, product_event
from example_provider.http_json import JSON_UTF8
from example_provider.products import Announce, Product, ProductExistsError, ProductNotFoundError, ProductRepository

PIZZA = Product(id="27", type="Pizza", name="Margharita", version="v1")
TEN = Product(id="10", type="CREDIT_CARD", name="28 Degrees", version="v1")
LOCAL = "http://127.0.0.1:8000"


class RecordingPublisher:
    def __init__(self) -> None:
        self.events: list[ProductEvent] = []

    def publish(self, event: ProductEvent) -> None:
        self.events.append(event)


class FailingPublisher:
    def publish(self, event: ProductEvent) -> None:  # noqa: ARG002
        msg = "the product event was not published (EndpointConnectionError)"
        raise PublishError(msg)


@pytest.fixture
def repository() -> ProductRepository:
    return ProductRepository()


@pytest.fixture
def published() -> RecordingPublisher:
    return RecordingPublisher()


@pytest.fixture
def client(repository: ProductRepository, published: RecordingPublisher) -> Iterator[TestClient]:
    with TestClient(create_app(repository, publisher=published), base_url=LOCAL) as client:
        yield client


def test_create_replace_delete_publish_one_event_each_in_order(
    client: TestClient, repository: ProductRepository, published: RecordingPublisher
) -> None:
    created = client.post("/products", json=PIZZA.model_dump())
    assert (created.status_code, created.json()) == (201, PIZZA.model_dump())
    assert created.headers["location"] == "/products/27"
    assert created.headers["content-type"] == JSON_UTF8
    assert client.get(created.headers["location"]).json() == PIZZA.model_dump()

    renamed = PIZZA.model_copy(update={"name": "Marinara", "version": "v2"})
    replaced = client.put("/products/27", json=renamed.model_dump())
    assert (replaced.status_code, replaced.json()) == (200, renamed.model_dump())
    assert repository.get("27") == renamed

    deleted = client.delete("/products/27")
    assert (deleted.status_code, deleted.content) == (204, b"")
    assert repository.get("27") is None

    assert published.events == [
        product_event(PIZZA, EventKind.CREATED),
        product_event(renamed, EventKind.UPDATED),
        product_event(renamed, EventKind.DELETED),  # the product as it was when deleted
    ]


def test_a_replace_takes_its_id_from_the_path(client: TestClient, repository: ProductRepository) -> None:
    """The body need not carry the id; one that does is not asked to agree (OpenAPI cannot say they must)."""
    fields = {"type": "CREDIT_CARD", "name": "Renamed", "version": "v2"}
    for body in (fields, {**fields, "id": "27"}):
        response = client.put("/products/10", json=body)
        assert (response.status_code, response.json()) == (200, {"id": "10", **fields})
    assert repository.get("27") is None


def test_an_id_goes_into_the_location_as_it_is(client: TestClient) -> None:
    response = client.post("/products", json={**PIZZA.model_dump(), "id": "Ab-9_x.y~z"})
    assert response.headers["location"] == "/products/Ab-9_x.y~z"
    assert client.get(response.headers["location"]).json()["id"] == "Ab-9_x.y~z"


@pytest.mark.parametrize(
    "product_id",
    ["a b", "a?b", "a#b", "ü", "%C3%95", "%", ".", "..", ".hidden", "a" * 101],
)
def test_an_id_a_url_would_carry_otherwise_is_refused(client: TestClient, product_id: str) -> None:
    """Clients encode, or normalise, these differently: the product made would be out of reach for some."""
    response = client.post("/products", json={**PIZZA.model_dump(), "id": product_id})
    assert response.status_code == 422, product_id
    assert response.json()["detail"][0]["loc"] == ["body", "id"]


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "detail"),
    [
        pytest.param("POST", "/products", TEN.model_dump(), 409, "product '10' already exists", id="create taken id"),
        pytest.param("POST", "/products", {"id": "27", "type": "Pizza"}, 422, "'name'", id="create invalid"),
        pytest.param("POST", "/products", {**PIZZA.model_dump(), "id": ""}, 422, "'id'", id="create empty id"),
        pytest.param("POST", "/products", {**PIZZA.model_dump(), "id": "a/b"}, 422, "'id'", id="create id with /"),
        pytest.param("PUT", "/products/27", PIZZA.model_dump(), 404, "product '27' not found", id="replace missing"),
        pytest.param("PUT", "/products/10", {"id": "10"}, 422, "'type'", id="replace invalid"),
        pytest.param(
            "PUT", "/products/%00", {"type": "T", "name": "n", "version": "v"}, 422, "'product_id'", id="NUL id"
        ),
        pytest.param("POST", "/products", {**PIZZA.model_dump(), "name": "a\x00b"}, 422, "'name'", id="NUL name"),
        pytest.param("DELETE", "/products/27", None, 404, "product '27' not found", id="delete missing"),
    ],
)
def test_refused_writes_change_nothing_and_publish_nothing(  # noqa: PLR0913, PLR0917 - pytest passes them
    client: TestClient,
    repository: ProductRepository,
    published: RecordingPublisher,
    method: str,
    path: str,
    body: object,
    status: int,
    detail: str,
) -> None:
    before = repository.catalog
    response = client.request(method, path, json=body)
    assert response.status_code == status
    assert response.headers["content-type"] == JSON_UTF8
    assert detail in str(response.json()["detail"])
    assert "\n" not in response.text
    assert repository.catalog is before
    assert published.events == []


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        pytest.param("POST", "/products", PIZZA.model_dump(), id="create"),
        pytest.param("PUT", "/products/10", TEN.model_copy(update={"name": "Renamed"}).model_dump(), id="replace"),
        pytest.param("DELETE", "/products/10", None, id="delete"),
    ],
)
def test_a_write_whose_event_is_not_published_is_not_made(
    repository: ProductRepository, method: str, path: str, body: object
) -> None:
    with TestClient(create_app(repository, publisher=FailingPublisher()), base_url=LOCAL) as client:
        before = repository.catalog
        response = client.request(method, path, json=body)
    assert response.status_code == 503
    assert response.headers["content-type"] == JSON_UTF8
    assert response.json() == {
        "detail": "the product event was not published (EndpointConnectionError); nothing was changed, try again"
    }
    assert repository.catalog is before


def _big_body() -> bytes:
    return b'{"id": "27", "type": "' + b"x" * MAX_BODY_BYTES + b'", "name": "n", "version": "v1"}'


@pytest.mark.parametrize("method", ["POST", "PUT", "GET", "DELETE"])
def test_a_body_over_the_limit_is_refused_by_its_length(
    client: TestClient, published: RecordingPublisher, method: str
) -> None:
    path = "/products" if method == "POST" else "/products/10"
    response = client.request(method, path, content=_big_body(), headers={"Content-Type": "application/json"})
    assert response.status_code == 413
    assert response.headers["content-type"] == JSON_UTF8
    assert response.json() == {"detail": f"the request body is larger than {MAX_BODY_BYTES} bytes"}
    assert published.events == []


def test_a_chunked_body_over_the_limit_is_refused(client: TestClient, repository: ProductRepository) -> None:
    def chunks() -> Iterator[bytes]:  # a generator: sent chunked, with no Content-Length
        yield from (_big_body()[i : i + 4096] for i in range(0, 4 * MAX_BODY_BYTES, 4096))

    before = repository.catalog
    response = client.post("/products", content=chunks(), headers={"Content-Type": "application/json"})
    assert "content-length" not in response.request.headers
    assert response.status_code == 413
    assert response.json()["detail"] == f"the request body is larger than {MAX_BODY_BYTES} bytes"
    assert repository.catalog is before


def test_a_body_at_the_limit_is_accepted(client: TestClient) -> None:
    padding = MAX_BODY_BYTES - len(b'{"id":"27","type":"","name":"n","version":"v1"}')
    body = b'{"id":"27","type":"' + b"x" * padding + b'","name":"n","version":"v1"}'
    assert len(body) == MAX_BODY_BYTES
    assert client.post("/products", content=body, headers={"Content-Type": "application/json"}).status_code == 201


def test_every_write_status_is_documented(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    documented = {
        (method.upper(), path): set(operation["responses"])
        for path, operations in paths.items()
        for method, operation in operations.items()
    }
    assert documented[("POST", "/products")] >= {"201", "400", "409", "413", "422", "503"}
    assert documented[("PUT", "/products/{product_id}")] >= {"200", "400", "404", "413", "422", "503"}
    assert documented[("DELETE", "/products/{product_id}")] >= {"204", "404", "422", "503"}
    assert "Location" in paths["/products"]["post"]["responses"]["201"]["headers"]


def test_allow_names_every_method_of_the_path(client: TestClient) -> None:
    response = client.patch("/products/10")
    assert response.status_code == 405
    assert response.headers["allow"] == "DELETE, GET, HEAD, PUT"
    assert client.patch("/products").headers["allow"] == "GET, HEAD, POST"


def test_repository_writes_announce_before_the_change_is_seen(repository: ProductRepository) -> None:
    seen: list[Product | None] = []
    repository.create(PIZZA, lambda product: seen.append(repository.get(product.id)))
    assert seen == [None], "the announcement came after the change was visible"
    assert repository.get("27") == PIZZA


def test_repository_writes_refuse_and_keep_the_catalogue(repository: ProductRepository) -> None:
    before = repository.catalog
    with pytest.raises(ProductExistsError):
        repository.create(TEN)
    with pytest.raises(ProductNotFoundError):
        repository.replace(PIZZA)
    with pytest.raises(ProductNotFoundError):
        repository.delete("27")

    def fail(_: Product) -> None:
        msg = "down"
        raise PublishError(msg)

    for write in (lambda: repository.create(PIZZA, fail), lambda: repository.delete("10", fail)):
        with pytest.raises(PublishError):
            write()
    assert repository.catalog is before


def test_concurrent_writes_are_announced_in_the_order_they_are_made() -> None:
    """Each thread creates, replaces and deletes its own products; the announcements replay into the same end."""
    repository = ProductRepository([])
    announced: list[tuple[str, Product]] = []

    def log(kind: str) -> Announce:
        return lambda product: announced.append((kind, product))

    def write(prefix: str) -> None:
        for i in range(100):
            product = Product(id=f"{prefix}-{i}", type="T", name="n", version="v1")
            repository.create(product, log("create"))
            repository.replace(product.model_copy(update={"version": "v2"}), log("replace"))
            if i % 2:
                repository.delete(product.id, log("delete"))

    threads = [threading.Thread(target=write, args=(str(n),)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    replayed: dict[str, Product] = {}
    for kind, product in announced:
        if kind == "delete":
            del replayed[product.id]
        else:
            replayed[product.id] = product
    assert sorted(replayed.values(), key=lambda p: p.id) == sorted(repository.all(), key=lambda p: p.id)
    assert len(repository.all()) == 4 * 50
