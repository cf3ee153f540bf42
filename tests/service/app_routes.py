"""Every route an app serves, those of its included routers too, for tests that must cover them all."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.routing import APIRoute, iter_route_contexts


def every_route(app: FastAPI) -> list[tuple[str, str]]:
    """Each (method, path) of the app's API routes, `{product_id}` filled in as "10"."""
    return [
        (method, context.original_route.path.format(product_id="10"))
        for context in iter_route_contexts(app.routes)
        if isinstance(context.original_route, APIRoute)
        for method in sorted(context.original_route.methods or ())
    ]
