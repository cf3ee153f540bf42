"""The project's commands leave their objects to the OS at exit, not to a garbage collection (tasks.py says why)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.process import clean_env

ROOT = Path(__file__).resolve().parents[1]
#: atexit runs the newest hook first: registered before the command's, this one runs after them.
REPORT_AT_EXIT = (
    "import atexit, gc\n"
    "atexit.register(lambda: print('frozen' if gc.get_freeze_count() else 'left to the collector'))\n"
)


@pytest.mark.parametrize(
    "command",
    [
        pytest.param("import tasks\n", id="invoke's tasks"),
        pytest.param("from example_provider.cli import main\nmain(['--help'])\n", id="example-provider"),
    ],
)
def test_a_command_exits_with_its_objects_frozen(command: str) -> None:
    done = subprocess.run(
        [sys.executable, "-c", REPORT_AT_EXIT + command],
        cwd=ROOT,
        env=clean_env(),
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1] == "frozen"
