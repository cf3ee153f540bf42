"""Every setting of the app and of the pipeline, typed, read from the environment and `.env`.

Settings are read in one place (`load_settings`) and passed down; no other module reads
`os.environ`. The standard Pact names (`PACT_BROKER_BASE_URL`, `PACT_URL`, `GIT_COMMIT`, ...)
are accepted as they are, so the same variables drive this project, the pact tools and CI.
"""

from __future__ import annotations

import datetime as dt
import subprocess
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import (
    AnyHttpUrl,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, SettingsConfigDict

LogLevel = Literal["critical", "error", "warning", "info", "debug", "trace"]


class SettingsError(ValueError):
    """The settings cannot be used; the message names the variables and says what to do."""


class Settings(BaseSettings):
    """Typed view of the environment. Field docs become the README's settings table."""

    model_config = SettingsConfigDict(
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        populate_by_name=True,
        validate_default=True,
    )

    # --- Pact Broker -------------------------------------------------------------------
    broker_base_url: Annotated[
        AnyHttpUrl | None,
        Field(
            validation_alias="PACT_BROKER_BASE_URL",
            description="Pact Broker or PactFlow URL; enables broker mode.",
        ),
    ] = None
    broker_token: Annotated[
        SecretStr | None,
        Field(validation_alias="PACT_BROKER_TOKEN", description="Bearer token for the broker (PactFlow)."),
    ] = None
    broker_username: Annotated[
        str | None,
        Field(validation_alias="PACT_BROKER_USERNAME", description="Basic-auth user for a self-hosted broker."),
    ] = None
    broker_password: Annotated[
        SecretStr | None,
        Field(validation_alias="PACT_BROKER_PASSWORD", description="Basic-auth password for a self-hosted broker."),
    ] = None
    publish_verification_results: Annotated[
        bool,
        Field(
            validation_alias="PACT_BROKER_PUBLISH_VERIFICATION_RESULTS",
            description="Publish verification results to the broker (CI only).",
        ),
    ] = False

    # --- Where the pacts come from -------------------------------------------------------
    pact_url: Annotated[
        str | None,
        Field(validation_alias="PACT_URL", description="Verify this one pact (URL or file); webhook builds."),
    ] = None
    pact_dir: Annotated[
        Path | None,
        Field(
            validation_alias="PACT_DIR",
            description="Directory of local pact files (no broker); unset: the repository's `pacts/`.",
        ),
    ] = None
    fail_if_no_pacts_found: Annotated[
        bool,
        Field(
            validation_alias="PACT_FAIL_IF_NO_PACTS_FOUND",
            description="Fail verification when the source holds no pact for this provider.",
        ),
    ] = True
    include_wip_pacts_since: Annotated[
        dt.date | None,
        Field(
            validation_alias="PACT_INCLUDE_WIP_PACTS_SINCE",
            description="Verify work-in-progress pacts published since this date (YYYY-MM-DD); empty disables WIP.",
        ),
    ] = dt.date(2026, 1, 1)

    # --- This provider ---------------------------------------------------------------------
    pacticipant: Annotated[
        str,
        Field(
            validation_alias="PACTICIPANT",
            min_length=1,
            description="This provider's name in the pacts and the broker.",
        ),
    ] = "pactflow-example-provider-python"
    git_commit: Annotated[
        str | None,
        Field(validation_alias="GIT_COMMIT", description="Provider version; defaults to `git rev-parse HEAD`."),
    ] = None
    git_branch: Annotated[
        str | None,
        Field(validation_alias="GIT_BRANCH", description="Provider branch; defaults to the checked-out git branch."),
    ] = None
    build_url: Annotated[
        str | None,
        Field(
            validation_alias="BUILD_URL",
            description="Link to the CI build, published with results; derived on GitHub Actions.",
        ),
    ] = None

    # --- Pipeline --------------------------------------------------------------------------
    main_branch: Annotated[
        str,
        Field(validation_alias="MAIN_BRANCH", min_length=1, description="Only builds of this branch deploy."),
    ] = "main"
    deploy_environment: Annotated[
        str,
        Field(
            validation_alias="DEPLOY_ENVIRONMENT",
            min_length=1,
            description="Environment can-i-deploy asks about and deploys to.",
        ),
    ] = "production"
    can_i_deploy_retry_while_unknown: Annotated[
        int,
        Field(
            validation_alias="CAN_I_DEPLOY_RETRY_WHILE_UNKNOWN",
            ge=0,
            le=100,
            description="How often can-i-deploy asks again while results are unknown.",
        ),
    ] = 0
    can_i_deploy_retry_interval: Annotated[
        int,
        Field(
            validation_alias="CAN_I_DEPLOY_RETRY_INTERVAL",
            ge=1,
            le=600,
            description="Seconds between can-i-deploy retries.",
        ),
    ] = 10
    github_token: Annotated[
        SecretStr | None,
        Field(validation_alias="GITHUB_TOKEN", description="Token the broker webhook uses to call GitHub."),
    ] = None
    github_repository: Annotated[
        str | None,
        Field(
            validation_alias="GITHUB_REPOSITORY",
            description="owner/name the webhook dispatches to; defaults to the `origin` remote.",
        ),
    ] = None

    github_server_url: Annotated[
        str,
        Field(
            validation_alias="GITHUB_SERVER_URL",
            description="GitHub Actions sets it; with GITHUB_REPOSITORY and GITHUB_RUN_ID it gives the build URL.",
        ),
    ] = "https://github.com"
    github_api_url: Annotated[
        str,
        Field(
            validation_alias="GITHUB_API_URL",
            description="GitHub's REST API, which the webhook calls; GitHub Actions sets it (GitHub Enterprise too).",
        ),
    ] = "https://api.github.com"
    github_run_id: Annotated[
        str | None,
        Field(validation_alias="GITHUB_RUN_ID", description="GitHub Actions run id, for the build URL."),
    ] = None
    webhook_uuid: Annotated[
        str | None,
        Field(
            validation_alias="PACT_WEBHOOK_UUID",
            description="UUID of the broker webhook; defaults to one derived from GITHUB_REPOSITORY and PACTICIPANT.",
        ),
    ] = None
    github_token_secret_name: Annotated[
        str,
        Field(
            validation_alias="GITHUB_TOKEN_SECRET_NAME",
            pattern=r"^[A-Za-z][A-Za-z0-9_]*$",
            description="Name of the PactFlow secret holding GITHUB_TOKEN; the webhook uses ${user.<name>}.",
        ),
    ] = "githubToken"  # noqa: S105 - the name of the secret, not a secret
    broker_http_retries: Annotated[
        int,
        Field(
            validation_alias="PACT_BROKER_HTTP_RETRIES",
            ge=0,
            le=8,
            description="Retries of `pact broker` commands on 5xx/429 (backoff 0.5 s, 1 s, 2 s, ...).",
        ),
    ] = 2
    pact_cli: Annotated[
        str | None,
        Field(
            validation_alias="PACT_CLI",
            description="The `pact` executable; defaults to the one installed next to this Python.",
        ),
    ] = None

    # --- Server ------------------------------------------------------------------------------
    host: Annotated[str, Field(validation_alias="HOST", min_length=1, description="Address the server binds.")] = (
        "127.0.0.1"
    )
    port: Annotated[int, Field(validation_alias="PORT", ge=0, le=65535, description="Port the server listens on.")] = (
        8000
    )
    log_level: Annotated[LogLevel, Field(validation_alias="LOG_LEVEL", description="Server log level.")] = "info"
    access_log: Annotated[
        bool,
        Field(
            validation_alias="ACCESS_LOG",
            description="Log every request (uvicorn's access log). Off by default: it costs about 40 % of throughput.",
        ),
    ] = False
    provider_states_enabled: Annotated[
        bool,
        Field(
            validation_alias="PROVIDER_STATES_ENABLED",
            description="Serve POST /_pact/provider-states for external verifiers (never in production).",
        ),
    ] = False
    provider_states_allow_non_loopback: Annotated[
        bool,
        Field(
            validation_alias="PROVIDER_STATES_ALLOW_NON_LOOPBACK",
            description="Allow the state-change endpoint on a non-loopback address (e.g. inside a container).",
        ),
    ] = False

    @field_validator("log_level", mode="before")
    @classmethod
    def _lower_log_level(cls, value: object) -> object:
        return value.lower() if isinstance(value, str) else value

    @field_validator(
        "broker_base_url",
        "broker_token",
        "broker_username",
        "broker_password",
        "pact_url",
        "git_commit",
        "git_branch",
        "build_url",
        "github_token",
        "github_repository",
        "github_run_id",
        "webhook_uuid",
        "pact_cli",
        "include_wip_pacts_since",
        "pact_dir",
        mode="before",
    )
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        """CI systems export unset variables as empty strings; treat them as unset."""
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("broker_base_url", "pact_url", mode="after")
    @classmethod
    def _no_credentials_in_urls(cls, value: object) -> object:
        """Credentials in a URL end up in logs and messages; they have variables of their own."""
        if value is not None and urlsplit(str(value)).password is not None:
            msg = (
                "the URL carries a password; remove it and set PACT_BROKER_USERNAME and "
                "PACT_BROKER_PASSWORD (or PACT_BROKER_TOKEN) instead"
            )
            raise ValueError(msg)
        return value

    @model_validator(mode="after")
    def _check_combinations(self) -> Settings:
        if self.broker_token and (self.broker_username or self.broker_password):
            msg = (
                "PACT_BROKER_TOKEN cannot be combined with PACT_BROKER_USERNAME/PACT_BROKER_PASSWORD: "
                "use a token (PactFlow) or a username and password (self-hosted broker), not both"
            )
            raise ValueError(msg)
        if bool(self.broker_username) != bool(self.broker_password):
            msg = "PACT_BROKER_USERNAME and PACT_BROKER_PASSWORD go together: set both or neither"
            raise ValueError(msg)
        if self.git_commit is None:
            self.git_commit = git("rev-parse", "HEAD")
        if self.git_branch is None:
            self.git_branch = git("rev-parse", "--abbrev-ref", "HEAD")
            if self.git_branch == "HEAD":  # detached checkout: no branch to report
                self.git_branch = None
        if self.build_url is None and self.github_repository and self.github_run_id:
            # On GitHub Actions the run's page is the build: link the published results to it.
            self.build_url = (
                f"{self.github_server_url.rstrip('/')}/{self.github_repository}/actions/runs/{self.github_run_id}"
            )
        if self.publish_verification_results:
            missing = [
                name
                for name, value in (
                    ("PACT_BROKER_BASE_URL (or PACT_URL)", self.broker_base_url or self.pact_url),
                    ("GIT_COMMIT", self.git_commit),
                )
                if not value
            ]
            if missing:
                msg = (
                    "PACT_BROKER_PUBLISH_VERIFICATION_RESULTS=true needs "
                    + " and ".join(missing)
                    + ": set them, or turn publishing off"
                )
                raise ValueError(msg)
        return self

    # --- Derived values --------------------------------------------------------------------
    @property
    def broker_url(self) -> str | None:
        """The broker URL as the pact tools expect it: no trailing slash."""
        return str(self.broker_base_url).rstrip("/") if self.broker_base_url else None

    @property
    def is_main_branch(self) -> bool:
        return self.git_branch == self.main_branch


def git(*args: str) -> str | None:
    """Ask git for a value; None when git or a repository is not available."""
    try:
        completed = subprocess.run(  # noqa: S603 - fixed argv, no shell
            ["git", *args],  # noqa: S607 - git from PATH on purpose
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    value = completed.stdout.strip()
    return value if completed.returncode == 0 and value else None


def env_name(field: str) -> str:
    """The environment variable that sets `field` (validation errors name the field or the variable)."""
    info = Settings.model_fields.get(field)
    alias = info.validation_alias if info else None
    return alias if isinstance(alias, str) else field


def _describe(error: ValidationError) -> str:
    """One clause per problem, naming the environment variable rather than the field."""
    clauses = []
    for problem in error.errors(include_url=False, include_input=False):
        message = problem["msg"].removeprefix("Value error, ")
        if problem["loc"]:
            clauses.append(f"{env_name(str(problem['loc'][0]))}: {message}")
        else:
            clauses.append(message)
    return "; ".join(clauses)


def load_settings(**overrides: Any) -> Settings:  # noqa: ANN401
    """Read the settings, turning validation errors into one readable `SettingsError`.

    `overrides` are field values that win over the environment (command-line flags).
    Secrets are never echoed back: pydantic is asked not to include input values.
    """
    try:
        return Settings(**overrides)
    except ValidationError as error:
        msg = f"invalid settings: {_describe(error)}"
        raise SettingsError(msg) from None
    except (UnicodeDecodeError, OSError) as error:
        # Not quoted: a decoding error's message would show the undecodable bytes of the file.
        reason = error.reason if isinstance(error, UnicodeDecodeError) else error.strerror or type(error).__name__
        msg = f".env: the file in {Path.cwd()} cannot be read ({reason}); save it as UTF-8 text, or remove it"
        raise SettingsError(msg) from None


def environment_variables() -> frozenset[str]:
    """Every environment variable the settings read."""
    return frozenset(env_name(field) for field in Settings.model_fields)


def _default_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def settings_table() -> str:
    """The README's settings table, rendered from the fields so the docs cannot drift."""
    rows = ["| Variable | Default | Meaning |", "| --- | --- | --- |"]
    for field, info in Settings.model_fields.items():
        default = _default_text(info.default)
        secret = " Secret." if info.annotation is not None and "SecretStr" in str(info.annotation) else ""
        shown = f"`{default}`" if default else "(unset)"
        rows.append(f"| `{env_name(field)}` | {shown} | {info.description}{secret} |")
    return "\n".join(rows)


def env_example() -> str:
    """The text of `.env.example`: every variable, commented out, with its default."""
    lines = [
        "# Copy to .env and uncomment what you need; real environment variables win over this file.",
        "# Generated from example_provider/settings.py by `invoke docs`.",
    ]
    for field, info in Settings.model_fields.items():
        lines += ["", f"# {info.description}", f"# {env_name(field)}={_default_text(info.default)}"]
    return "\n".join(lines) + "\n"
