"""The docs match the code: settings table, .env.example, the README's task list, the uvicorn options."""

from __future__ import annotations

import importlib
import os
from pathlib import Path

import pytest
from invoke.collection import Collection

from example_provider.pipeline.docs import env_example, settings_table
from example_provider.pipeline.settings import PipelineSettings
from example_provider.server_options import HTTP_PARSER, MAX_HEADER_BYTES
from example_provider.settings import ServerSettings

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


@pytest.mark.parametrize(("doc", "kind"), [("README.md", ServerSettings), ("docs/pipeline.md", PipelineSettings)])
def test_settings_tables_match_the_settings(doc: str, kind: type[ServerSettings | PipelineSettings]) -> None:
    text = (ROOT / doc).read_text(encoding="utf-8")
    block = text.split("<!-- settings-table:start -->\n", 1)[1].split("\n<!-- settings-table:end -->", 1)[0]
    assert block == settings_table(kind), "run `invoke docs` to regenerate the table"


def test_env_example_matches_the_settings() -> None:
    assert (ROOT / ".env.example").read_text(encoding="utf-8") == env_example(), "run `invoke docs`"


def test_every_task_and_option_has_help_text() -> None:
    import tasks  # noqa: PLC0415 - the repository's tasks.py

    collection = Collection.from_module(tasks)
    assert "test" in collection.tasks
    for name, task in collection.tasks.items():
        assert (task.__doc__ or "").strip(), f"invoke task {name!r} has no docstring"
        for option in task.get_arguments():
            assert option.help, f"option --{option.name} of invoke task {name!r} has no help text"


def test_readme_names_every_task() -> None:
    import tasks  # noqa: PLC0415

    for name in Collection.from_module(tasks).tasks:
        dashed = name.replace("_", "-")
        assert f"`{dashed}`" in README or f"invoke {dashed}" in README, f"README does not mention task {dashed!r}"


def test_the_tasks_keep_the_pact_tools_from_calling_home(monkeypatch: pytest.MonkeyPatch) -> None:
    """`invoke verify` runs the verifier in the invoke process itself, not only in the commands it starts."""
    import tasks  # noqa: PLC0415

    monkeypatch.delenv("PACT_DO_NOT_TRACK")
    importlib.reload(tasks)
    assert os.environ["PACT_DO_NOT_TRACK"] == "true"


def test_the_deployment_docs_give_uvicorn_the_servers_options() -> None:
    """Whoever starts the app with the `uvicorn` command gets the header limit `example-provider` has."""
    deployment = (ROOT / "docs" / "deployment.md").read_text(encoding="utf-8")
    assert f"--http {HTTP_PARSER} --h11-max-incomplete-event-size {MAX_HEADER_BYTES}" in deployment
