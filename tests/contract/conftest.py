"""Fixtures for contract verification: the provider served for real on a loopback port."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from example_provider.app import create_app
from example_provider.products import ProductRepository
from tests.servers import serve_in_thread


@dataclass
class RunningProvider:
    base_url: str
    repository: ProductRepository


@pytest.fixture
def running_provider() -> Iterator[RunningProvider]:
    """The app on 127.0.0.1:<free port>, with its state-change endpoint for the verifier."""
    repository = ProductRepository()
    with serve_in_thread(create_app(repository, provider_states=True)) as base_url:
        yield RunningProvider(base_url, repository)
