"""The server's settings, read from the environment and `.env`: all `example-provider` reads.

Starting the server needs no git, no broker and no AWS. The pipeline's settings live in
`example_provider.pipeline.settings`; both are read through `load_settings` and passed down.
"""

from __future__ import annotations

import difflib
import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal, TypeVar

from dotenv import dotenv_values
from pydantic import AfterValidator, BeforeValidator, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from example_provider.hosts import LOOPBACK_HOSTS, allowed_host_entry

if TYPE_CHECKING:
    from sqlalchemy import URL


class SettingsError(ValueError):
    """The settings cannot be used; the message names the variables and says what to do."""


LogLevel = Annotated[
    Literal["critical", "error", "warning", "info", "debug", "trace"],
    BeforeValidator(lambda value: value.lower() if isinstance(value, str) else value),
]
Name = Annotated[str, Field(min_length=1)]
HostNames = Annotated[
    tuple[str, ...],
    NoDecode,  # comma-separated, not JSON
    BeforeValidator(lambda value: tuple(value.split(",")) if isinstance(value, str) else value),
    AfterValidator(lambda names: tuple(map(allowed_host_entry, names))),
    Field(min_length=1),
]
CONFIG = SettingsConfigDict(
    env_file=".env",
    env_file_encoding="utf-8",
    env_ignore_empty=True,
    extra="ignore",
    populate_by_name=True,
    use_attribute_docstrings=True,  # each field's docstring is its description in the docs' tables
)


class ServerSettings(BaseSettings):
    """What `example-provider` reads. Each field's docstring is its row in the docs' settings table."""

    model_config = CONFIG

    host: Name = Field("127.0.0.1", alias="HOST")
    """Address the server binds."""
    port: int = Field(8000, alias="PORT", ge=0, le=65535)
    """Port the server listens on (0: any free)."""
    log_level: LogLevel = Field("info", alias="LOG_LEVEL")
    """Server log level."""
    access_log: bool = Field(False, alias="ACCESS_LOG")
    """Log every request (uvicorn's access log)."""
    provider_states_enabled: bool = Field(False, alias="PROVIDER_STATES_ENABLED")
    """Serve POST /_pact/provider-states and /_pact/messages for Pact verifiers."""
    provider_states_allow_non_loopback: bool = Field(False, alias="PROVIDER_STATES_ALLOW_NON_LOOPBACK")
    """Allow those endpoints beyond loopback (e.g. inside a container)."""
    allowed_hosts: HostNames = Field(LOOPBACK_HOSTS, alias="ALLOWED_HOSTS")
    """Host names (any port) the API answers to, comma-separated; others get 400. `*`: any."""
    api_token: SecretStr | None = Field(None, alias="API_TOKEN")
    """Bearer token every request needs, except /health and the docs (unset: the API is open)."""
    database_url: SecretStr | None = Field(None, alias="DATABASE_URL")
    """The database, a SQLAlchemy URL: sqlite:///<file> or postgresql+psycopg://... (unset: ./example-provider.db)."""
    workers: int = Field(1, alias="WORKERS", ge=1)
    """Server processes (more than 1 needs PostgreSQL)."""
    relay_enabled: bool = Field(True, alias="RELAY_ENABLED")
    """Publish the outbox's product events from this server (false: `example-provider relay` does)."""
    product_events_topic_arn: str | None = Field(
        None, alias="PRODUCT_EVENTS_TOPIC_ARN", pattern=r"^arn:[\w-]+:sns:[\w-]+:\d{12}:[\w.-]+$"
    )
    """Publish product events to this SNS topic (boto3 reads the AWS_* settings); unset: the server log."""

    @field_validator("database_url")
    @classmethod
    def _parses(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None:
            from example_provider.db import database_url  # noqa: PLC0415 - the pipeline's tasks need no SQLAlchemy

            database_url(value.get_secret_value())
        return value

    @property
    def database(self) -> URL:
        """DATABASE_URL parsed, or the default SQLite file."""
        from example_provider.db import database_url  # noqa: PLC0415

        return database_url(self.database_url.get_secret_value() if self.database_url else None)


S = TypeVar("S", bound=BaseSettings)

#: PACT_* variables the pact tools read themselves (pact-python and its FFI, the `pact` CLI, its
#: verifier and broker client): never taken for a misspelt setting of ours.
PACT_TOOL_VARIABLES = frozenset({
    "PACT_DO_NOT_TRACK", "PACT_LOG_LEVEL", "PACT_OUTPUT_DIR", "PACT_MATCHING_ENGINE", "PACT_CLI_EXTENSIONS_HOME",
    "PACT_PLUGIN_DIR", "PACT_PLUGIN_DIRS", "PACT_PLUGIN_HOST", "PACT_PLUGIN_INSTANCE_ID", "PACT_PLUGIN_CLI_SKIP_LOAD",
    "PACT_PROVIDER_NAME", "PACT_PROVIDER_HOSTNAME", "PACT_PROVIDER_PORT", "PACT_PROVIDER_BASE_PATH",
    "PACT_PROVIDER_TRANSPORT", "PACT_PROVIDER_REQUEST_TIMEOUT", "PACT_PROVIDER_STATE_CHANGE_URL",
    "PACT_PROVIDER_STATE_CHANGE_AS_QUERY", "PACT_PROVIDER_STATE_CHANGE_TEARDOWN", "PACT_FILES_DIRS_OR_GLOBS",
    "PACT_VERIFIER_HTML_REPORT", "PACT_VERIFIER_JSON_REPORT", "PACT_VERIFIER_JUNIT_REPORT",
    "PACT_WEBHOOK_CALLBACK_URL", "PACT_BROKER_CAN_I_DEPLOY_DRY_RUN", "PACT_BROKER_CAN_I_DEPLOY_IGNORE",
    # A pact_broker's own, for one run beside the project (docs/broker-tests.md).
    "PACT_BROKER_DATABASE_URL", "PACT_BROKER_PORT", "PACT_BROKER_BASIC_AUTH_USERNAME",
    "PACT_BROKER_BASIC_AUTH_PASSWORD", "PACT_BROKER_WEBHOOK_HOST_WHITELIST", "PACT_BROKER_WEBHOOK_SCHEME_WHITELIST",
    # The test suite's own: the broker its scenarios run against (docs/broker-tests.md).
    "PACT_BROKER_TEST_URL", "PACT_BROKER_TEST_TOKEN", "PACT_BROKER_TEST_USERNAME", "PACT_BROKER_TEST_PASSWORD",
    "PACT_BROKER_TEST_NO_LOOPBACK",
})  # fmt: skip


def env_name(kind: type[BaseSettings], field: str) -> str:
    """The environment variable that sets `field` of `kind`."""
    info = kind.model_fields.get(field)
    return (info.alias if info else None) or field


def known_variables() -> frozenset[str]:
    """Every variable a settings class of the project reads: the server and the pipeline share one `.env`."""
    # The pipeline's settings need only pydantic: the server can read their names without the pipeline's tools.
    from example_provider.pipeline.settings import PipelineSettings  # noqa: PLC0415 - a cycle at import time

    return frozenset(
        env_name(kind, field) for kind in (ServerSettings, PipelineSettings) for field in kind.model_fields
    )


def _misspelt(name: str, where: str, known: frozenset[str]) -> str:
    nearest = difflib.get_close_matches(name, sorted(known), n=1, cutoff=0.0)
    return f"{where}: {name} is not a setting; did you mean {nearest[0]}? (docs/pipeline.md lists them all)"


def check_names(env_file: Path | None) -> None:
    """A key in `env_file`, or a PACT_* variable in the environment, that no setting reads: a `SettingsError`.

    A misspelt name would otherwise be ignored without a word, and its default used.
    """
    known = known_variables()
    if env_file is not None and env_file.is_file():
        for key in dotenv_values(env_file, encoding="utf-8"):
            if key.upper() not in known:
                raise SettingsError(_misspelt(key, str(env_file), known))
    for name in sorted(os.environ):
        if name.upper().startswith("PACT_") and name.upper() not in known | PACT_TOOL_VARIABLES:
            raise SettingsError(_misspelt(name, "environment", known))


def load_settings(kind: type[S], env_file: Path | None = None, /, **overrides: Any) -> S:  # noqa: ANN401
    """Read the settings: one `SettingsError` line naming the variables, never their values.

    `env_file` is the `.env` to read (default: the class's, `.env` in the working folder);
    `overrides` are field values that win over the environment (command-line flags).
    """
    configured = kind.model_config.get("env_file")
    dotenv = env_file if env_file is not None else Path(str(configured)) if configured else None
    try:
        check_names(dotenv)
        return kind(_env_file=dotenv, **overrides)
    except ValidationError as error:
        problems = [
            f"{env_name(kind, str(p['loc'][0]))}: {p['msg']}" if p["loc"] else p["msg"]
            for p in error.errors(include_url=False, include_input=False)
        ]
        msg = "invalid settings: " + "; ".join(problems).replace("Value error, ", "")
        raise SettingsError(msg) from None
    except (UnicodeDecodeError, OSError) as error:
        # Not quoted: a decoding error's message would show the undecodable bytes of the file.
        reason = error.reason if isinstance(error, UnicodeDecodeError) else error.strerror or type(error).__name__
        where = dotenv.resolve() if dotenv else Path.cwd() / ".env"
        msg = f".env: the file {where} cannot be read ({reason}); save it as UTF-8 text, or remove it"
        raise SettingsError(msg) from None
