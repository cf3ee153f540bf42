"""The package's two parts stay apart: the service imports no pipeline tool, and nothing but tests imports tests."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

from tests.pacts import BUNDLED_PROVIDER, JS_PROVIDER
from tests.process import clean_env

ROOT = Path(__file__).resolve().parents[1]
GOOD_PACTS = ROOT / "tests" / "contract" / "pacts" / "good"
#: `import tests` fails in this process, as it would where only the package is installed.
WITHOUT_TESTS = """
import sys
from importlib.abc import MetaPathFinder

class NoTests(MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name == "tests" or name.startswith("tests."):
            raise ImportError(f"{name}: the tests package is not part of the pipeline")

sys.meta_path.insert(0, NoTests())
"""


def _imported_modules(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_nothing_outside_tests_imports_tests() -> None:
    sources = [*ROOT.glob("example_provider/**/*.py"), *ROOT.glob("benchmarks/*.py"), ROOT / "tasks.py"]
    assert len(sources) > 10
    offenders = {
        str(path.relative_to(ROOT)): sorted(name for name in _imported_modules(path) if name.split(".")[0] == "tests")
        for path in sources
    }
    assert {path: names for path, names in offenders.items() if names} == {}


@pytest.mark.parametrize(
    "env",
    [
        pytest.param({"PACTICIPANT": BUNDLED_PROVIDER}, id="bundled pacts"),
        pytest.param({"PACT_DIR": str(GOOD_PACTS), "PACTICIPANT": JS_PROVIDER}, id="a folder"),
    ],
)
def test_invoke_verify_needs_no_tests_package(env: dict[str, str]) -> None:
    program = WITHOUT_TESTS + "import tests.process\n"
    blocked = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, check=False)
    assert "the tests package is not part of the pipeline" in blocked.stderr  # the guard works

    program = WITHOUT_TESTS + "from invoke.main import program\nprogram.run(['invoke', 'verify'])\n"
    run = subprocess.run(
        [sys.executable, "-c", program], cwd=ROOT, env=clean_env(env), capture_output=True, text=True, check=False
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert "verifying the pact files in" in run.stdout


def _pipeline_tools_loaded_by(module: str) -> str:
    program = (
        f"import sys, {module}\n"
        "print(sorted({name.split('.')[0] for name in sys.modules} & {'pact', 'invoke', 'pytest', 'tests'}))\n"
    )
    return subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, check=True).stdout.strip()


@pytest.mark.parametrize(
    "module", ["example_provider.main", "example_provider.cli", "example_provider.pipeline.settings"]
)
def test_the_service_loads_no_pipeline_tool(module: str) -> None:
    """pact-python, Invoke and pytest are installed here, and still not loaded by the service."""
    assert _pipeline_tools_loaded_by(module) == "[]"


def test_the_check_sees_a_module_that_loads_them() -> None:
    assert _pipeline_tools_loaded_by("example_provider.pipeline.verifier") == "['invoke', 'pact']"


def test_the_settings_load_no_web_framework_and_no_database() -> None:
    """Every task reads the settings: a task that does not verify starts without FastAPI or SQLAlchemy."""
    program = (
        "import sys, example_provider.settings, example_provider.pipeline.settings\n"
        "print(sorted({name.split('.')[0] for name in sys.modules} & {'fastapi', 'starlette', 'sqlalchemy'}))\n"
    )
    loaded = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, check=True)
    assert loaded.stdout.strip() == "[]"
