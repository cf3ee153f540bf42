"""The docs match the code: settings table, .env.example, the README's task list, the uvicorn options."""

from __future__ import annotations

import importlib
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from invoke.collection import Collection
from invoke.context import Context
from invoke.exceptions import Exit

from example_provider.pipeline import docs as docs_module
from example_provider.pipeline.docs import env_example, rendered_docs, settings_table, stale_docs, write_docs
from example_provider.pipeline.settings import PipelineSettings
from example_provider.server_options import HTTP_PARSER, MAX_HEADER_BYTES, WEBSOCKETS
from example_provider.settings import PACT_TOOL_VARIABLES, known_variables
from tests.process import clean_env

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def _copy_of_the_docs(tmp_path: Path) -> Path:
    for path in rendered_docs():
        target = tmp_path / path.relative_to(ROOT)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(path.read_text(encoding="utf-8"), encoding="utf-8")
    return tmp_path


def test_docs_regenerated_match_the_settings(tmp_path: Path) -> None:
    """Whatever the committed docs say (a rename may not have run `invoke docs` yet), regenerating makes them match.

    The committed docs themselves are checked by `invoke lint` (`invoke docs --check`).
    """
    root = _copy_of_the_docs(tmp_path)
    write_docs(root)
    assert stale_docs(root) == []
    text = (root / "docs" / "pipeline.md").read_text(encoding="utf-8")
    block = text.split("<!-- settings-table:start -->\n", 1)[1].split("\n<!-- settings-table:end -->", 1)[0]
    assert block == settings_table(PipelineSettings)
    assert (root / ".env.example").read_text(encoding="utf-8") == env_example()


@pytest.mark.parametrize("doc", ["README.md", "docs/pipeline.md", ".env.example"])
def test_a_stale_settings_doc_is_found(tmp_path: Path, doc: str) -> None:
    root = _copy_of_the_docs(tmp_path)
    write_docs(root)
    path = root / doc
    text = path.read_text(encoding="utf-8")
    stale = text.replace("\n<!-- settings-table:end -->", "\n| `GONE` | | removed |\n<!-- settings-table:end -->")
    path.write_text(stale if doc.endswith(".md") else text + "# GONE=\n", encoding="utf-8")
    assert stale_docs(root) == [path]


def test_invoke_docs_check_names_the_stale_files(monkeypatch: pytest.MonkeyPatch) -> None:
    import tasks  # noqa: PLC0415 - the repository's tasks.py

    monkeypatch.setattr(docs_module, "stale_docs", lambda: [ROOT / ".env.example"])
    with pytest.raises(Exit, match=r"^error: .env.example do not match the settings: run `invoke docs`$"):
        tasks.docs(Context(), check=True)


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


def test_the_docs_name_the_pact_broker_image_ci_runs() -> None:
    workflow = (ROOT / ".github" / "workflows" / "build.yml").read_text(encoding="utf-8")
    [image] = re.findall(r"image: (pactfoundation/pact-broker:\S+)", workflow)
    assert image != "pactfoundation/pact-broker:2.126.0-pactbroker2.113.0", "pact_broker 2.113.0 is from February 2025"
    assert image in (ROOT / "docs" / "broker-tests.md").read_text(encoding="utf-8")


def test_a_webhook_build_does_not_stop_on_an_empty_branch() -> None:
    """pact_broker sends an empty providerVersionBranch for a deployed or released provider version."""
    workflow = (ROOT / ".github" / "workflows" / "verify_changed_pact.yml").read_text(encoding="utf-8")
    guards = [line for line in workflow.splitlines() if line.strip().startswith("if:")]
    assert guards == ["        if: env.GIT_COMMIT == ''"]


def test_every_task_names_the_settings_it_reads() -> None:
    """`invoke --help <task>` shows the docstring: its Settings paragraph names real settings only."""
    import tasks  # noqa: PLC0415

    known = known_variables() | PACT_TOOL_VARIABLES
    for name, task in Collection.from_module(tasks).tasks.items():
        settings = (task.__doc__ or "").split("Settings: ", 1)
        assert len(settings) == 2, f"invoke task {name!r} does not name its settings"
        named = set(re.findall(r"\b[A-Z][A-Z0-9_]{2,}\b", settings[1]))
        assert named <= known, f"invoke task {name!r} names what is not a setting: {sorted(named - known)}"
    verify_help = subprocess.run(
        [str(Path(sys.executable).with_name("invoke")), "--help", "verify"],
        cwd=ROOT,
        env=clean_env(),
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    for setting in ("PACT_URL", "PACT_DIR", "PACTICIPANT", "PACT_BROKER_BASE_URL", "API_TOKEN"):
        assert setting in verify_help.split("Settings:", 1)[1]


def test_one_line_of_code_outside_tests_names_the_provider() -> None:
    """The PACTICIPANT default: a team renames the provider there, and only there (docs/adopting.md)."""
    name = str(PipelineSettings.model_fields["pacticipant"].default)
    sources = [*ROOT.glob("example_provider/**/*.py"), *ROOT.glob("benchmarks/*.py"), ROOT / "tasks.py"]
    naming = [
        f"{path.relative_to(ROOT)}: {line.strip()}"
        for path in sources
        for line in path.read_text(encoding="utf-8").splitlines()
        if name in line
    ]
    assert naming == [
        f'example_provider/pipeline/settings.py: pacticipant: Name = Field("{name}", alias="PACTICIPANT")'
    ]


def _repository_files() -> list[str]:
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return [name for name in listed.stdout.splitlines() if (ROOT / name).is_file()]


def test_nothing_points_outside_the_repository() -> None:
    """The docs, code and tests name no folder beside the repository (a team's copy has none)."""
    markers = ("../" + "shared", "/work/" + "shared")  # spelt apart, so this file is not one of them
    offenders = [
        name
        for name in _repository_files()
        if any(marker in (ROOT / name).read_text(encoding="utf-8", errors="replace") for marker in markers)
    ]
    assert offenders == []


def test_the_adoption_guide_is_linked_and_names_real_files_and_tasks() -> None:
    import tasks  # noqa: PLC0415

    guide = (ROOT / "docs" / "adopting.md").read_text(encoding="utf-8")
    assert "(docs/adopting.md)" in README
    files = ["/" + name for name in _repository_files()]
    named = set(re.findall(r"`([\w./-]+\.(?:py|md|yml|toml|lock))`", guide))
    named |= set(re.findall(r"`([\w-]+(?:/[\w-]+)*/)`", guide))
    assert len(named) > 20
    assert [n for n in sorted(named) if not any(f.endswith("/" + n) or "/" + n in f for f in files)] == []
    task_names = {name.replace("_", "-") for name in Collection.from_module(tasks).tasks}
    listed = re.findall(r"the ((?:`[\w-]+`(?:, | and )?)+) tasks", guide)
    assert listed
    for names in listed:
        assert set(re.findall(r"`([\w-]+)`", names)) <= task_names, names


def test_the_deployment_docs_give_uvicorn_the_servers_options() -> None:
    """Whoever starts the app with the `uvicorn` command gets the options `example-provider` has."""
    deployment = (ROOT / "docs" / "deployment.md").read_text(encoding="utf-8")
    options = f"--http {HTTP_PARSER} --h11-max-incomplete-event-size {MAX_HEADER_BYTES} --ws {WEBSOCKETS}"
    assert options in deployment
