"""Bearer-token authentication, as one app-wide FastAPI dependency."""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable, Collection
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import SecretStr

#: Declares the scheme in the OpenAPI document (the /docs Authorize button); answering is ours.
bearer = HTTPBearer(auto_error=False, description="The server's API_TOKEN.")


def require_bearer_token(token: SecretStr, *, public_paths: Collection[str] = ()) -> Callable[..., Awaitable[None]]:
    """A dependency that answers 401 unless the request carries `Authorization: Bearer <token>`.

    Routes whose path is in `public_paths` (health checks, the API docs) are open.
    """
    expected = token.get_secret_value().encode()
    if not expected:
        msg = "the API token is empty: set one, or pass none to leave the API open"
        raise ValueError(msg)

    async def bearer_token(
        request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]
    ) -> None:
        route = request.scope.get("route")
        if getattr(route, "path", None) in public_paths:
            return
        if credentials is None:
            raise _unauthorized(detail="a bearer token is required: send Authorization: Bearer <API_TOKEN>")
        # Header values arrive decoded as latin-1: encoding back gives the bytes the client sent.
        if not secrets.compare_digest(credentials.credentials.encode("latin-1"), expected):
            raise _unauthorized(detail="the bearer token is not valid")

    return bearer_token


def _unauthorized(*, detail: str) -> HTTPException:
    return HTTPException(status_code=401, detail=detail, headers={"WWW-Authenticate": "Bearer"})
