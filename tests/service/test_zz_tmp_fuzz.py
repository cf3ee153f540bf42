from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from example_provider.app import create_app
from example_provider.pipeline.server import serve_in_thread
from tests.service.databases import KINDS, fresh_database

schema = schemathesis.openapi.from_dict(create_app().openapi()).include(method="POST")


@pytest.fixture(scope="module", params=KINDS)
def base_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with serve_in_thread(create_app(fresh_database(request, tmp_path_factory))) as url:
        yield url


@schema.parametrize()
@settings(max_examples=600, deadline=None, suppress_health_check=list(HealthCheck))
def test_post(case: schemathesis.Case[Any], base_url: str) -> None:
    case.call_and_validate(base_url=base_url, timeout=10)
