"""A misspelt setting is refused, naming the one meant; the tasks read the `.env` beside tasks.py from any folder."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from example_provider.pipeline import errors
from example_provider.pipeline.settings import PipelineSettings
from example_provider.settings import PACT_TOOL_VARIABLES, ServerSettings, SettingsError, known_variables, load_settings
from tests import forked
from tests.pacts import FIXTURE_PACTS, JS_PROVIDER
from tests.process import CONSOLE_SCRIPT, INVOKE, clean_env

ROOT = Path(__file__).resolve().parents[1]


def test_a_misspelt_pact_variable_stops_invoke_verify_naming_the_setting_meant() -> None:
    env = clean_env({"PACT_BROKER_PUBLISH_VERIFICATION_RESULT": "true"})
    run = forked.run([INVOKE, "verify"], env=env, cwd=ROOT, timeout=60)
    assert (run.returncode, run.stdout) == (1, "")
    meant = "did you mean PACT_BROKER_PUBLISH_VERIFICATION_RESULTS? (docs/pipeline.md lists them all)"
    assert run.stderr.splitlines() == [
        f"error: environment: PACT_BROKER_PUBLISH_VERIFICATION_RESULT is not a setting; {meant}"
    ]


def test_a_misspelt_key_in_dotenv_stops_the_server_naming_the_setting_meant(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("PROT=8022\n", encoding="utf-8")
    run = forked.run([CONSOLE_SCRIPT], env=clean_env(), cwd=tmp_path, timeout=30)
    assert (run.returncode, run.stdout) == (1, "")
    [line] = run.stderr.splitlines()
    assert line.startswith("example-provider: .env: PROT is not a setting; did you mean PORT?")


@pytest.mark.parametrize("key", ["PACTICIPANT", "PACT_DIR", "port", "API_TOKEN"])
def test_a_dotenv_may_hold_any_setting_of_the_server_or_the_pipeline(tmp_path: Path, key: str) -> None:
    """The server and the tasks share one `.env`: each accepts the other's names."""
    (tmp_path / ".env").write_text(f"{key}=8001\n", encoding="utf-8")
    for kind in (ServerSettings, PipelineSettings):
        load_settings(kind, tmp_path / ".env")


def test_the_pact_tools_own_variables_are_not_typos(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in PACT_TOOL_VARIABLES:
        monkeypatch.setenv(name, "1")
    monkeypatch.setenv("PACT_DO_NOT_TRACK", "true")
    load_settings(PipelineSettings)
    monkeypatch.setenv("PACT_PROVIDER_STATES", "x")  # ours is PACT_PROVIDER_STATE
    with pytest.raises(SettingsError, match=r"^environment: PACT_PROVIDER_STATES is not a setting; did you mean "):
        load_settings(ServerSettings)


def test_the_known_names_are_every_field_of_every_settings_class() -> None:
    """Derived from the classes: a setting added to either is known at once, without a list to update."""
    assert {"PORT", "API_TOKEN", "PACTICIPANT", "PACT_BROKER_PUBLISH_VERIFICATION_RESULTS"} <= known_variables()
    assert len(known_variables()) == len(ServerSettings.model_fields) + len(PipelineSettings.model_fields)


def test_the_tasks_read_the_dotenv_beside_tasks_py(monkeypatch: pytest.MonkeyPatch) -> None:
    import tasks  # noqa: PLC0415 - the repository's tasks.py

    monkeypatch.delenv("ENV_FILE")
    assert errors.env_file() == Path(tasks.__file__).parent / ".env"
    monkeypatch.setenv("ENV_FILE", "/elsewhere/.env")
    assert errors.env_file() == Path("/elsewhere/.env")


def test_invoke_run_from_a_subfolder_reads_the_projects_dotenv(tmp_path: Path) -> None:
    """Run from tests/, `invoke verify` takes its settings from the project's `.env` (here a stand-in root's)."""
    (tmp_path / ".env").write_text(f"PACT_DIR={FIXTURE_PACTS / 'good'}\nPACTICIPANT={JS_PROVIDER}\n", encoding="utf-8")
    program = (
        "from pathlib import Path\nfrom example_provider.pipeline import errors\n"
        f"errors.PROJECT_ROOT = Path({str(tmp_path)!r})\n"
        "from invoke.main import program\nprogram.run(['invoke', 'verify'])\n"
    )
    env = {key: value for key, value in clean_env().items() if key != "ENV_FILE"}
    run = subprocess.run(
        [sys.executable, "-c", program], cwd=ROOT / "tests", env=env, capture_output=True, text=True, check=False
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert f"verifying the pact files in {FIXTURE_PACTS / 'good'}" in run.stdout
    assert re.search(r"skipped \d+ pacts for other providers", run.stdout), run.stdout
    assert os.environ["ENV_FILE"] == os.devnull  # the suite itself never reads it
