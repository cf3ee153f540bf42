"""Property-based tests generated from the OpenAPI document (schemathesis).

Every documented operation gets generated requests, valid and invalid; each response must
not be a server error and must match the document: status code, content type, headers and
body schema. Bounded in examples per operation and in time, so it runs with the suite.
"""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from example_provider.app import create_app

schema = schemathesis.openapi.from_asgi("/openapi.json", create_app())


@pytest.mark.timeout(120)
@schema.parametrize()
@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
def test_every_operation_answers_as_documented(case: schemathesis.Case[Any]) -> None:
    case.call_and_validate()
