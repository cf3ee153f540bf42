"""How a task stops: `PipelineError`, invoke's own `Exit`, and `read`, which turns a bad setting into one.

Apart from `settings.py`, so that the settings classes load without Invoke: the server checks
a shared `.env` against every setting of the project, the pipeline's included.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, TypeVar

from invoke.exceptions import Exit
from pydantic_settings import BaseSettings

from example_provider.settings import SettingsError, load_settings

#: The project's root, beside tasks.py: where the tasks' `.env` is, wherever invoke runs.
PROJECT_ROOT = Path(__file__).resolve().parents[2]


class PipelineError(Exit):
    """The pipeline cannot go on: a bad setting, an unusable broker, a failed step.

    Uncaught in a task, invoke prints `error: <message>` on stderr and exits 1, no traceback.
    """

    def __init__(self, message: str) -> None:
        super().__init__(f"error: {message}")
        self.args = (message,)

    def __str__(self) -> str:
        return str(self.args[0])


S = TypeVar("S", bound=BaseSettings)


def env_file() -> Path:
    """The `.env` the tasks read: the one beside tasks.py, or the file `ENV_FILE` names."""
    return Path(os.environ.get("ENV_FILE") or PROJECT_ROOT / ".env")


def read(kind: type[S], **overrides: Any) -> S:  # noqa: ANN401
    """`load_settings` for a task, from the project's `.env`: a bad setting stops it through `PipelineError`."""
    try:
        return load_settings(kind, env_file(), **overrides)
    except SettingsError as error:
        raise PipelineError(str(error)) from None
