"""Property-based tests generated from the OpenAPI document (schemathesis).

Every documented operation (the writes too: the relay publishes their events to the server log)
gets generated requests, valid and invalid, sent over HTTP to the app served by a real uvicorn
server on a loopback port, on SQLite and on PostgreSQL; every built-in check runs (schemathesis
`--checks all`): no server error, the status code, content type, headers and body as documented,
valid data accepted and invalid data refused, 405 for an undocumented method.
Bounded in examples per operation and in time, so it runs with the suite.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, cast

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import CHECKS, CheckFunction, load_all_checks

from example_provider.app import create_app
from example_provider.pipeline.server import serve_in_thread
from tests.service.databases import KINDS, fresh_database

#: The document the app serves at /openapi.json (tests/service/test_app.py checks they are the same).
schema = schemathesis.openapi.from_dict(create_app().openapi())
load_all_checks()
ALL_CHECKS = cast("list[CheckFunction]", CHECKS.get_all())  # `--checks all`


@pytest.fixture(scope="module", params=KINDS)
def base_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """One server per database, SQLite then PostgreSQL, for every operation's examples."""
    with serve_in_thread(create_app(fresh_database(request, tmp_path_factory))) as url:
        yield url


@pytest.mark.timeout(120)
@schema.parametrize()
@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
def test_every_operation_answers_as_documented(case: schemathesis.Case[Any], base_url: str) -> None:
    case.call_and_validate(base_url=base_url, timeout=10, checks=ALL_CHECKS)
