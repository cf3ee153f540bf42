"""Test-wide set-up: the pact tools never call home, and tests do not see the developer's settings."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from example_provider.pipeline.docs import ALL_SETTINGS, environment_variables


def pytest_configure(config: pytest.Config) -> None:
    os.environ["PACT_DO_NOT_TRACK"] = "true"
    config.addinivalue_line(
        "markers", "uses_environment: reads the settings from the real environment (and .env) on purpose"
    )


@pytest.fixture(autouse=True)
def no_ambient_settings(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Clear every setting variable and ignore .env, unless the test reads the environment on purpose.

    CI sets PACT_BROKER_BASE_URL and friends for the verification step; a unit test that picked
    them up would test the CI's configuration instead of the code.
    """
    if request.node.get_closest_marker("uses_environment") is None:
        for name in environment_variables():
            monkeypatch.delenv(name, raising=False)
        for kind in ALL_SETTINGS:
            monkeypatch.setitem(kind.model_config, "env_file", None)
        monkeypatch.setenv("ENV_FILE", os.devnull)  # the tasks' .env, beside tasks.py


@pytest.fixture
def outside_the_repository(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """Run in an empty directory: no .env from the repository, and no git repository around."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path.parent))
    return tmp_path
