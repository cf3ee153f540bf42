"""The benchmark's baseline: the original example's provider, serving our catalogue.

This is what pactflow's example-provider-python does (a module-level FastAPI app, a plain
list of dicts, `async def` routes returning them, no response models), fed with the same
products as `example_provider.products.SEED_PRODUCTS` so both servers send the same JSON.
The benchmark runs it with uvicorn's default settings: access log on, loop and http "auto".
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Response

from example_provider.products import SEED_PRODUCTS

app = FastAPI()

catalog: list[dict[str, Any]] = [product.model_dump() for product in SEED_PRODUCTS]


@app.get("/products")
async def products() -> Any:  # noqa: ANN401 - the original returns whatever the list holds
    return catalog


@app.get("/products/{product_id}")
@app.get("/product/{product_id}")
async def product(product_id: str, response: Response) -> Any:  # noqa: ANN401
    for item in catalog:
        if item["id"] == product_id:
            return item
    response.status_code = 404
    return {}
