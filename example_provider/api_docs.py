"""The OpenAPI document and its docs page, which needs no internet.

The Swagger UI assets come from the `fastapi-offline` package and are served by the app itself,
so `/docs` names no outside URL. Its URLs are relative, so the page works under any path prefix
a proxy adds. The page's Content-Security-Policy lets it load only from this server, run only
its own script and the one inline line below, and not be framed.
"""

from __future__ import annotations

import base64
import hashlib
import html
from importlib.resources import files

from fastapi import FastAPI
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

from example_provider.http_json import JSONUTF8Response

ASSETS_PATH = "/docs/assets"
_START = 'SwaggerUIBundle({url: "openapi.json", dom_id: "#swagger-ui", validatorUrl: null})'
_PAGE = f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>TITLE</title>
<link rel="stylesheet" href="docs/assets/swagger-ui.css">
<link rel="icon" href="docs/assets/favicon.png">
</head>
<body>
<div id="swagger-ui"></div>
<script src="docs/assets/swagger-ui-bundle.js"></script>
<script>{_START}</script>
</body>
</html>
"""
_START_HASH = base64.b64encode(hashlib.sha256(_START.encode()).digest()).decode()
CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'none'",
        f"script-src 'self' 'sha256-{_START_HASH}'",
        "style-src 'self' 'unsafe-inline'",  # Swagger UI sets style attributes
        "img-src 'self' data:",
        "connect-src 'self'",
        "base-uri 'none'",
        "form-action 'none'",
        "frame-ancestors 'none'",
    )
)


def add_docs(app: FastAPI) -> None:
    """Serve `/openapi.json` (as UTF-8 JSON like every other response), `/docs` and its assets."""
    page = _PAGE.replace("TITLE", html.escape(f"{app.title} - docs"))
    headers = {"Content-Security-Policy": CONTENT_SECURITY_POLICY, "X-Frame-Options": "DENY"}

    @app.get("/openapi.json", include_in_schema=False)
    def openapi() -> JSONUTF8Response:
        return JSONUTF8Response(app.openapi())

    @app.get("/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        return HTMLResponse(page, headers=headers)

    assets = files("fastapi_offline") / "static"
    app.mount(ASSETS_PATH, StaticFiles(directory=str(assets)), name="docs-assets")
