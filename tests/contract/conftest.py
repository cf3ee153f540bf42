"""Fixtures for contract verification: the provider served for real on a loopback port."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from pydantic import SecretStr
from sqlalchemy import URL

from example_provider.app import create_app
from example_provider.pipeline.server import serve_in_thread

#: The token the app under verification requires, as `invoke verify` runs it: authentication on.
API_TOKEN = SecretStr("contract-tests-token")


@pytest.fixture
def provider_url(sqlite_database: URL) -> Iterator[str]:
    """The app on 127.0.0.1:<free port> over a fresh SQLite file, with its state-change endpoint for the verifier."""
    with serve_in_thread(create_app(sqlite_database, provider_states=True, api_token=API_TOKEN)) as base_url:
        yield base_url
