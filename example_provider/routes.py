"""The product API's routes. Reads and writes go through `products.py`, one trip to a worker thread each
(`deps.Database.read` and `run`); a write wakes the relay once it has committed."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, HTTPException, Response
from pydantic import BaseModel, TypeAdapter

from example_provider import products
from example_provider.deps import DatabaseDep, RelayDep
from example_provider.fields import ProductId
from example_provider.http_json import JSONBytes, StrictJSONRoute
from example_provider.products import Product, ProductExistsError, ProductFields, ProductNotFoundError
from example_provider.relay import Backlog, backlog

MAX_BODY_BYTES = 64 * 1024  # a larger request body is refused with 413 before it is read whole

router = APIRouter(route_class=StrictJSONRoute)  # each route reads JSON strictly (http_json.py)


class ErrorBody(BaseModel):
    detail: Any


class Health(BaseModel):
    status: Literal["ok"] = "ok"


def _error(description: str) -> dict[str, Any]:
    return {"model": ErrorBody, "description": description}


UNAVAILABLE = _error("The database is unavailable: nothing was changed, try again.")
UNREADABLE = _error("The body cannot be read as JSON text.")
TOO_LARGE = _error(f"The body is larger than {MAX_BODY_BYTES} bytes.")
NOT_FOUND = _error("No product has this id.")
CREATED = {"description": "Created.", "headers": {"Location": {"schema": {"type": "string"}}}}


def _not_found(product_id: str) -> HTTPException:
    return HTTPException(status_code=404, detail=f"product {product_id!r} not found")


@router.get("/health", tags=["operations"], openapi_extra={"security": [{}]})  # {}: open, token or not
async def health() -> Health:
    """Readiness: the app is up and serving. It does not touch the database."""
    return Health()


@router.get("/outbox", tags=["operations"], responses={503: UNAVAILABLE})
async def outbox(database: DatabaseDep) -> Backlog:
    """The product events not yet published, and how long the oldest has waited (seconds)."""
    return await database.run(backlog)


# The reads answer bytes serialised straight from the products (`response_model` documents them): what
# the database holds was validated on its way in. Measured in benchmarks/README.md.
CATALOGUE = TypeAdapter(list[Product])


@router.get("/products", tags=["products"], response_model=list[Product], responses={503: UNAVAILABLE})
async def list_products(database: DatabaseDep) -> Response:
    """Every product in the catalogue."""
    return JSONBytes(CATALOGUE.dump_json(await database.read(products.all_products)))


ONE_PRODUCT: dict[str, Any] = {"response_model": Product, "responses": {404: NOT_FOUND, 503: UNAVAILABLE}}


@router.get("/product/{product_id}", tags=["products"], **ONE_PRODUCT)
@router.get("/products/{product_id}", tags=["products"], **ONE_PRODUCT)
async def get_product(product_id: str, database: DatabaseDep) -> Response:
    """One product by id."""
    product = await database.read(products.get_product, product_id)
    if product is None:
        raise _not_found(product_id)
    return JSONBytes(product.model_dump_json())


@router.post(
    "/products",
    status_code=201,
    tags=["products"],
    responses={
        201: CREATED,
        400: UNREADABLE,
        409: _error("A product has this id."),
        413: TOO_LARGE,
        503: UNAVAILABLE,
    },
)
async def create_product(product: Product, database: DatabaseDep, relay: RelayDep, response: Response) -> Product:
    """Add a product; its CREATED event is published once the change is committed."""
    try:
        await database.run(products.create, product)
    except ProductExistsError:
        raise HTTPException(status_code=409, detail=f"product {product.id!r} already exists") from None
    relay.wake()
    response.headers["Location"] = f"/products/{product.id}"  # an id needs no encoding in a URL
    return product


@router.put(
    "/products/{product_id}",
    tags=["products"],
    responses={400: UNREADABLE, 404: NOT_FOUND, 413: TOO_LARGE, 503: UNAVAILABLE},
)
async def replace_product(
    product_id: ProductId, fields: ProductFields, database: DatabaseDep, relay: RelayDep
) -> Product:
    """Replace a product's fields (the path names it: a body `id` is ignored); its UPDATED event follows the commit."""
    product = Product(id=product_id, **fields.model_dump())
    try:
        await database.run(products.replace, product)
    except ProductNotFoundError:
        raise _not_found(product_id) from None
    relay.wake()
    return product


@router.delete(
    "/products/{product_id}",
    status_code=204,
    response_class=Response,
    tags=["products"],
    responses={404: NOT_FOUND, 503: UNAVAILABLE},
)
async def delete_product(product_id: str, database: DatabaseDep, relay: RelayDep) -> Response:
    """Remove a product; its DELETED event, carrying it, is published once the change is committed."""
    try:
        await database.run(products.delete_product, product_id)
    except ProductNotFoundError:
        raise _not_found(product_id) from None
    relay.wake()
    return Response(status_code=204)
