"""What the benchmark's parts share: where the project is, where server logs go, the error, a clean environment."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Sequence
from pathlib import Path

from example_provider.pipeline.docs import environment_variables

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"


class BenchmarkError(RuntimeError):
    """Something could not be measured; the message says what and why."""


def clean_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """This environment without any setting of the project and with no `.env`, plus `extra`: the defaults apply."""
    ours = environment_variables()
    env = {name: value for name, value in os.environ.items() if name not in ours}
    env["ENV_FILE"] = os.devnull  # the tasks would read the `.env` beside tasks.py
    env.update(extra or {})
    return env


def run(what: str, command: Sequence[str], timeout: float | None = None) -> subprocess.CompletedProcess[str]:
    """`command` from the project's root with none of its settings; a `BenchmarkError` saying why if it fails."""
    done = subprocess.run(
        command, cwd=ROOT, env=clean_env(), capture_output=True, text=True, timeout=timeout, check=False
    )
    if done.returncode != 0:
        msg = f"{what} failed ({done.returncode}):\n{done.stdout[-2000:]}{done.stderr[-2000:]}"
        raise BenchmarkError(msg)
    return done
