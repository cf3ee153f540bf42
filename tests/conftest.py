"""Test-wide set-up: the pact tools never call home from a test run."""

from __future__ import annotations

import os

import pytest


def pytest_configure(config: pytest.Config) -> None:  # noqa: ARG001 - pytest hook signature
    os.environ["PACT_DO_NOT_TRACK"] = "true"
