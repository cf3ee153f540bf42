"""The HTTP API: `create_app(...)` builds the FastAPI application around a repository.

How it reads and answers (strict JSON in, UTF-8 JSON out, errors included) is `http_json.py`'s job,
which hosts it answers to `hosts.py`'s, and the docs page `api_docs.py`'s.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, Literal

from fastapi import Depends, FastAPI, HTTPException, Response
from fastapi.params import Depends as Dependency
from pydantic import BaseModel, SecretStr

from example_provider import __version__
from example_provider.api_docs import add_docs
from example_provider.auth import require_bearer_token
from example_provider.events import EventKind, Publisher, PublishError, product_event
from example_provider.fields import ProductId, Text
from example_provider.hosts import LOOPBACK_HOSTS, AllowedHosts
from example_provider.http_json import (
    BodyLimit,
    HeadAsGet,
    HeadLimit,
    JSONUTF8Response,
    NoSniff,
    StrictJSONRoute,
    answer_errors_as_json,
)
from example_provider.products import Announce, Product, ProductExistsError, ProductNotFoundError, ProductRepository
from example_provider.publishers import LogPublisher
from example_provider.server_options import MAX_HEADER_BYTES
from example_provider.verifier_endpoints import add_verifier_endpoints

PUBLIC_PATHS = frozenset({"/health", "/docs", "/openapi.json"})  # open even with an API token
MAX_BODY_BYTES = 64 * 1024  # a larger request body is refused with 413 before it is read whole


class ErrorBody(BaseModel):
    detail: Any


class Health(BaseModel):
    status: Literal["ok"] = "ok"


class ProductFields(BaseModel):
    """A product but its id: what a replace sends, to the path that names the product."""

    type: Text
    name: Text
    version: Text


def create_app(  # noqa: PLR0913 - each keyword is one thing a team configures
    repository: ProductRepository | None = None,
    *,
    provider_states: bool = False,
    allow_non_loopback: bool = False,
    api_token: SecretStr | None = None,
    dependencies: Sequence[Dependency] = (),
    publisher: Publisher | None = None,
    allowed_hosts: Collection[str] = LOOPBACK_HOSTS,
) -> FastAPI:
    """Build the API.

    Args:
        repository: the products to serve; a freshly seeded one when omitted.
        provider_states: also serve the endpoints Pact verifiers use (`verifier_endpoints.py`),
            which let any caller rewrite the data. For verification only.
        allow_non_loopback: accept state changes addressed to any host, not only loopback
            (a verifier reaching the server inside a container).
        api_token: when given, every route but `PUBLIC_PATHS` answers 401 without
            `Authorization: Bearer <api_token>`, the state endpoint and routes added later included.
        dependencies: app-wide dependencies, applied to every route after the token check.
        publisher: where the writes' product events go; the server log when omitted.
        allowed_hosts: the host names (any port) requests may be addressed to; `*` for any.
            Others get 400, token or not (`hosts.py`).
    """
    repository = repository if repository is not None else ProductRepository()
    if api_token is not None:
        dependencies = [Depends(require_bearer_token(api_token, public_paths=PUBLIC_PATHS)), *dependencies]
    app = FastAPI(
        title="example-provider",
        version=__version__,
        description="Product API verified against its consumers' Pact contracts.",
        default_response_class=JSONUTF8Response,
        dependencies=list(dependencies),
        openapi_url=None,  # served below, as UTF-8 JSON like every other response
        docs_url=None,
        redoc_url=None,
        redirect_slashes=False,  # `/products/` is an empty product id: a JSON 404, not a redirect
    )
    app.router.route_class = StrictJSONRoute  # before the first route: each one reads JSON strictly
    app.add_middleware(BodyLimit, limit=MAX_BODY_BYTES)
    app.add_middleware(HeadAsGet)
    app.add_middleware(HeadLimit, limit=MAX_HEADER_BYTES)
    app.add_middleware(AllowedHosts, allowed=allowed_hosts)
    app.add_middleware(NoSniff)  # the outermost: on every answer, a refused host's included
    answer_errors_as_json(app)
    add_docs(app)

    @app.get("/health", tags=["operations"], openapi_extra={"security": [{}]})  # {}: open, token or not
    async def health() -> Health:
        """Readiness: the app is up and serving."""
        return Health()

    @app.get("/products", tags=["products"])
    async def list_products() -> list[Product]:
        """Every product in the catalogue."""
        return list(repository.all())

    @app.get("/product/{product_id}", tags=["products"], responses={404: {"model": ErrorBody}})
    @app.get("/products/{product_id}", tags=["products"], responses={404: {"model": ErrorBody}})
    async def get_product(product_id: str) -> Product:
        """One product by id."""
        product = repository.get(product_id)
        if product is None:
            raise HTTPException(status_code=404, detail=f"product {product_id!r} not found")
        return product

    _add_writes(app, repository, publisher if publisher is not None else LogPublisher())
    if provider_states:
        add_verifier_endpoints(app, repository, allow_non_loopback=allow_non_loopback)
    return app


def _error(description: str) -> dict[str, Any]:
    return {"model": ErrorBody, "description": description}


UNPUBLISHED = _error("The change's product event could not be published, so the change was not made: retry.")
UNREADABLE = _error("The body cannot be read as JSON text.")
TOO_LARGE = _error(f"The body is larger than {MAX_BODY_BYTES} bytes.")
NOT_FOUND = _error("No product has this id.")


@contextmanager
def _write_errors() -> Iterator[None]:
    """The repository's and the publisher's refusals, as the HTTP answers the routes document."""
    try:
        yield
    except ProductExistsError as error:
        raise HTTPException(status_code=409, detail=f"product {error.args[0]!r} already exists") from None
    except ProductNotFoundError as error:
        raise HTTPException(status_code=404, detail=f"product {error.args[0]!r} not found") from None
    except PublishError as error:
        raise HTTPException(status_code=503, detail=f"{error}; nothing was changed, try again") from None


def _add_writes(app: FastAPI, repository: ProductRepository, publisher: Publisher) -> None:
    """The writes. Plain `def`s: publishing blocks, so FastAPI runs them in its thread pool."""

    def publishing(kind: EventKind) -> Announce:
        return lambda product: publisher.publish(product_event(product, kind))

    created = {"description": "Created.", "headers": {"Location": {"schema": {"type": "string"}}}}

    @app.post(
        "/products",
        status_code=201,
        tags=["products"],
        responses={
            201: created,
            400: UNREADABLE,
            409: _error("A product has this id."),
            413: TOO_LARGE,
            503: UNPUBLISHED,
        },
    )
    def create_product(product: Product, response: Response) -> Product:
        """Add a product; publishes a CREATED event."""
        with _write_errors():
            repository.create(product, publishing(EventKind.CREATED))
        response.headers["Location"] = f"/products/{product.id}"  # an id needs no encoding in a URL
        return product

    @app.put(
        "/products/{product_id}",
        tags=["products"],
        responses={400: UNREADABLE, 404: NOT_FOUND, 413: TOO_LARGE, 503: UNPUBLISHED},
    )
    def replace_product(product_id: ProductId, fields: ProductFields) -> Product:
        """Replace a product's fields; publishes an UPDATED event. The path names it: an `id` in the body is ignored."""
        product = Product(id=product_id, **fields.model_dump())
        with _write_errors():
            repository.replace(product, publishing(EventKind.UPDATED))
        return product

    @app.delete(
        "/products/{product_id}",
        status_code=204,
        response_class=Response,
        tags=["products"],
        responses={404: NOT_FOUND, 503: UNPUBLISHED},
    )
    def delete_product(product_id: str) -> Response:
        """Remove a product; publishes a DELETED event carrying it."""
        with _write_errors():
            repository.delete(product_id, publishing(EventKind.DELETED))
        return Response(status_code=204)
