"""The settings docs, rendered from the settings classes so they cannot drift: `invoke docs`."""

from __future__ import annotations

from pathlib import Path

from pydantic_settings import BaseSettings

from example_provider.pipeline.settings import PipelineSettings
from example_provider.settings import ServerSettings, env_name

ALL_SETTINGS: tuple[type[BaseSettings], ...] = (ServerSettings, PipelineSettings)
ROOT = Path(__file__).resolve().parents[2]
#: Where each table lives: the server's settings in the README, the pipeline's beside the pipeline docs.
TABLES: dict[Path, type[BaseSettings]] = {
    ROOT / "README.md": ServerSettings,
    ROOT / "docs" / "pipeline.md": PipelineSettings,
}
TABLE_START, TABLE_END = "<!-- settings-table:start -->", "<!-- settings-table:end -->"


def environment_variables() -> frozenset[str]:
    """Every environment variable the settings read."""
    return frozenset(env_name(kind, field) for kind in ALL_SETTINGS for field in kind.model_fields)


def _default_text(value: object) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, tuple):
        return ",".join(map(str, value))
    return "" if value is None else str(value)


def settings_table(kind: type[BaseSettings]) -> str:
    """A docs table of `kind`'s variables."""
    rows = ["| Variable | Default | Meaning |", "| --- | --- | --- |"]
    for field, info in kind.model_fields.items():
        default = _default_text(info.default)
        secret = " Secret." if "SecretStr" in str(info.annotation) else ""
        rows.append(
            f"| `{env_name(kind, field)}` | {f'`{default}`' if default else '(unset)'} | {info.description}{secret} |"
        )
    return "\n".join(rows)


def env_example() -> str:
    """The text of `.env.example`: every variable, commented out, with its default."""
    lines = [
        "# Copy to .env and uncomment what you need; real environment variables win over this file.",
        "# Generated from the settings classes by `invoke docs`. A key that is not one of these stops the",
        "# tasks and the server with one line naming the nearest (a misspelt name is never ignored).",
    ]
    for kind in ALL_SETTINGS:
        for field, info in kind.model_fields.items():
            lines += ["", f"# {info.description}", f"# {env_name(kind, field)}={_default_text(info.default)}"]
    return "\n".join(lines) + "\n"


def rendered_docs(root: Path = ROOT) -> dict[Path, str]:
    """What the settings tables and `.env.example` under `root` should hold, by file."""
    texts = {}
    for path, kind in TABLES.items():
        target = root / path.relative_to(ROOT)
        before, rest = target.read_text(encoding="utf-8").split(TABLE_START, 1)
        after = rest.split(TABLE_END, 1)[1]
        texts[target] = f"{before}{TABLE_START}\n{settings_table(kind)}\n{TABLE_END}{after}"
    texts[root / ".env.example"] = env_example()
    return texts


def stale_docs(root: Path = ROOT) -> list[Path]:
    """The files under `root` whose settings tables or `.env.example` no longer match the settings."""
    return [
        path
        for path, text in rendered_docs(root).items()
        if not path.is_file() or path.read_text(encoding="utf-8") != text
    ]


def write_docs(root: Path = ROOT) -> list[Path]:
    """Regenerate the settings tables and `.env.example`; the files written."""
    texts = rendered_docs(root)
    for path, text in texts.items():
        path.write_text(text, encoding="utf-8")
    return list(texts)
