"""The server's settings, read from the environment and `.env`: all `example-provider` reads.

Starting the server needs no git, no broker and no AWS. The pipeline's settings live in
`example_provider.pipeline.settings`; both are read through `load_settings` and passed down.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar

from pydantic import AfterValidator, BeforeValidator, Field, SecretStr, ValidationError
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from example_provider.hosts import LOOPBACK_HOSTS, allowed_host_entry


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
    product_events_topic_arn: str | None = Field(
        None, alias="PRODUCT_EVENTS_TOPIC_ARN", pattern=r"^arn:[\w-]+:sns:[\w-]+:\d{12}:[\w.-]+$"
    )
    """Publish product events to this SNS topic (boto3 reads the AWS_* settings); unset: the server log."""


S = TypeVar("S", bound=BaseSettings)


def env_name(kind: type[BaseSettings], field: str) -> str:
    """The environment variable that sets `field` of `kind`."""
    info = kind.model_fields.get(field)
    return (info.alias if info else None) or field


def load_settings(kind: type[S], **overrides: Any) -> S:  # noqa: ANN401
    """Read the settings: one `SettingsError` line naming the variables, never their values.

    `overrides` are field values that win over the environment (command-line flags).
    """
    try:
        return kind(**overrides)
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
        msg = f".env: the file in {Path.cwd()} cannot be read ({reason}); save it as UTF-8 text, or remove it"
        raise SettingsError(msg) from None
