"""A loopback stand-in for GitHub's `repository_dispatch` API, the only thing the broker's webhook calls.

Scenarios point the webhook at it through `GITHUB_API_URL`, so no broker (double or real) ever
holds a webhook to a host outside this machine, and what the webhook sent is read back here.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from example_provider.pipeline.server import serve_in_thread


@dataclass(frozen=True)
class Dispatch:
    repository: str
    headers: dict[str, str]
    body: dict[str, Any]


@dataclass
class GitHubStandIn:
    url: str = ""
    dispatches: list[Dispatch] = field(default_factory=list)

    async def _dispatch(self, request: Request) -> Response:
        repository = f"{request.path_params['owner']}/{request.path_params['repo']}"
        self.dispatches.append(Dispatch(repository, dict(request.headers), json.loads(await request.body())))
        return Response(status_code=204)  # what GitHub answers a repository_dispatch


@contextlib.contextmanager
def running_github() -> Iterator[GitHubStandIn]:
    github = GitHubStandIn()
    app = Starlette(
        routes=[
            Route("/repos/{owner}/{repo}/dispatches", github._dispatch, methods=["POST"]),
            Route("/health", lambda _: Response("ok"), methods=["GET"]),
        ]
    )
    with serve_in_thread(app) as url:
        github.url = url
        yield github
