"""The service tests' app: on the `database` fixture's database, its events kept by a recording publisher.

Test modules that need another app (a token, the verifier endpoints) define their own `client`.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import URL

from example_provider.app import create_app
from tests.service.recording import RecordingPublisher

LOCAL = "http://127.0.0.1:8000"  # how a client on this machine addresses the server (ALLOWED_HOSTS)


@pytest.fixture
def published() -> RecordingPublisher:
    return RecordingPublisher()


@pytest.fixture
def client(database: URL, published: RecordingPublisher) -> Iterator[TestClient]:
    with TestClient(create_app(database, publisher=published), base_url=LOCAL) as client:
        yield client
