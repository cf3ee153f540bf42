"""The pipeline's settings: what verification and the `invoke` tasks read.

The standard Pact names (`PACT_BROKER_BASE_URL`, `PACT_URL`, `GIT_COMMIT`, ...), so one set of
variables drives this project, the pact tools and CI. A problem with them, or with the broker,
is a `PipelineError` (errors.py): invoke's own `Exit`, so a task ends with one line on stderr and exit 1.
This module needs no Invoke: the server checks a shared `.env` against these names too.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import subprocess
from pathlib import Path
from typing import Annotated, Any, Literal, Self
from urllib.parse import urlsplit

from pydantic import AfterValidator, AnyHttpUrl, BeforeValidator, Field, PrivateAttr, SecretStr, model_validator
from pydantic_settings import BaseSettings, NoDecode

from example_provider.settings import CONFIG, Name


def _no_password(url: Any) -> Any:  # noqa: ANN401 - any URL type
    """Credentials in a URL end up in logs and messages; they have variables of their own."""
    if url is not None and urlsplit(str(url)).password is not None:
        msg = "the URL carries a password; remove it and set PACT_BROKER_USERNAME and PACT_BROKER_PASSWORD instead"
        raise ValueError(msg)
    return url


def _regex(pattern: Any) -> Any:  # noqa: ANN401 - any value
    """A filter the verifier would choke on (it panics) is refused here, in one line."""
    if pattern is not None:
        try:
            re.compile(pattern)
        except re.error as error:
            msg = f"not a regular expression ({error})"
            raise ValueError(msg) from None
    return pattern


#: The consumer version selector fields the verifier takes, and the JSON type of each.
SELECTOR_FIELDS: dict[str, type] = {
    "mainBranch": bool,
    "branch": str,
    "fallbackBranch": str,
    "matchingBranch": bool,
    "deployedOrReleased": bool,
    "deployed": bool,
    "released": bool,
    "environment": str,
    "consumer": str,
    "tag": str,
    "fallbackTag": str,
    "latest": bool,
}


def _selectors(value: Any) -> Any:  # noqa: ANN401 - the raw setting
    """A JSON list of consumer version selectors, each an object of the fields the verifier takes."""
    if not isinstance(value, str):
        return value
    example = 'such as [{"mainBranch": true}, {"deployedOrReleased": true}]'
    try:
        selectors = json.loads(value)
    except ValueError:
        msg = f"not JSON; give a list of selector objects, {example}"
        raise ValueError(msg) from None
    if not isinstance(selectors, list) or not selectors or not all(isinstance(s, dict) and s for s in selectors):
        msg = f"not a non-empty list of selector objects; give one {example}"
        raise ValueError(msg)
    for key, field_value in ((key, v) for selector in selectors for key, v in selector.items()):
        kind = SELECTOR_FIELDS.get(key)
        if kind is None:
            msg = f"{key!r} is not a selector field; use {', '.join(SELECTOR_FIELDS)}"
            raise ValueError(msg)
        if not isinstance(field_value, kind) or (field_value is False and key != "latest"):
            wanted = "a string" if kind is str else ("true or false" if key == "latest" else "true")
            msg = f"{key} must be {wanted}, not {json.dumps(field_value)}"
            raise ValueError(msg)
    return selectors


Url = Annotated[AnyHttpUrl, AfterValidator(_no_password)]
Regex = Annotated[str, AfterValidator(_regex)]


class PipelineSettings(BaseSettings):
    """What verification and the `invoke` tasks read."""

    model_config = CONFIG

    # Pact Broker
    broker_base_url: Url | None = Field(None, alias="PACT_BROKER_BASE_URL")
    """Pact Broker URL; enables it."""
    broker_token: SecretStr | None = Field(None, alias="PACT_BROKER_TOKEN")
    """Bearer token (PactFlow)."""
    broker_username: str | None = Field(None, alias="PACT_BROKER_USERNAME")
    """Basic-auth user."""
    broker_password: SecretStr | None = Field(None, alias="PACT_BROKER_PASSWORD")
    """Basic-auth password."""
    publish_verification_results: bool = Field(False, alias="PACT_BROKER_PUBLISH_VERIFICATION_RESULTS")
    """Publish verification results (CI only)."""
    broker_http_retries: int = Field(2, alias="PACT_BROKER_HTTP_RETRIES", ge=0, le=8)
    """Retries of `pact broker` commands on 5xx/429."""
    # Where the pacts come from, and which interactions are verified
    pact_url: Annotated[str, AfterValidator(_no_password)] | None = Field(None, alias="PACT_URL")
    """Verify this one pact (URL or file): webhook builds."""
    pact_dir: Path | None = Field(None, alias="PACT_DIR")
    """Local pact files; unset: the repository's pacts/."""
    fail_if_no_pacts_found: bool = Field(True, alias="PACT_FAIL_IF_NO_PACTS_FOUND")
    """Fail when the source holds no pact for this provider."""
    include_wip_pacts_since: dt.date | Literal["off"] = Field(dt.date(2026, 1, 1), alias="PACT_INCLUDE_WIP_PACTS_SINCE")
    """Verify WIP pacts since (`off`: none)."""
    description_filter: Regex | None = Field(None, alias="PACT_DESCRIPTION")
    """Verify only interactions with this description (regex)."""
    state_filter: Regex | None = Field(None, alias="PACT_PROVIDER_STATE")
    """Verify only interactions with this provider state (regex)."""
    no_state_filter: bool = Field(False, alias="PACT_PROVIDER_NO_STATE")
    """Verify only interactions without a provider state."""
    verify_database_url: SecretStr | None = Field(None, alias="VERIFY_DATABASE_URL")
    """PostgreSQL for verification (its rows are replaced; never DATABASE_URL); unset: a fresh SQLite file."""
    consumer_version_selectors: Annotated[list[dict[str, Any]] | None, NoDecode, BeforeValidator(_selectors)] = Field(
        None, alias="PACT_CONSUMER_VERSION_SELECTORS"
    )
    """JSON list replacing the recommended selectors."""
    # This provider
    pacticipant: Name = Field("pactflow-example-provider-python", alias="PACTICIPANT")
    """This provider's name in pacts and broker."""
    git_commit: str | None = Field(None, alias="GIT_COMMIT")
    """Provider version; default `git rev-parse`."""
    git_branch: str | None = Field(None, alias="GIT_BRANCH")
    """Provider branch; default the git branch."""
    build_url: str | None = Field(None, alias="BUILD_URL")
    """CI build link; derived on GitHub Actions."""
    # Deployment
    main_branch: Name = Field("main", alias="MAIN_BRANCH")
    """Only builds of this branch deploy."""
    deploy_environment: Name = Field("production", alias="DEPLOY_ENVIRONMENT")
    """Environment can-i-deploy asks about and deploys to."""
    can_i_deploy_retry_while_unknown: int = Field(0, alias="CAN_I_DEPLOY_RETRY_WHILE_UNKNOWN", ge=0, le=100)
    """can-i-deploy retries while unknown."""
    can_i_deploy_retry_interval: int = Field(10, alias="CAN_I_DEPLOY_RETRY_INTERVAL", ge=1, le=600)
    """Seconds between can-i-deploy retries."""
    # GitHub and the webhook
    github_repository: str | None = Field(None, alias="GITHUB_REPOSITORY")
    """owner/name the webhook dispatches to; default `origin`."""
    github_server_url: str = Field("https://github.com", alias="GITHUB_SERVER_URL")
    """For the build URL."""
    github_api_url: str = Field("https://api.github.com", alias="GITHUB_API_URL")
    """GitHub API the webhook calls."""
    github_run_id: str | None = Field(None, alias="GITHUB_RUN_ID")
    """GitHub Actions run, for the build URL."""
    github_token: SecretStr | None = Field(None, alias="GITHUB_TOKEN")
    """Token the webhook calls GitHub with."""
    github_token_secret_name: str = Field(
        "githubToken", alias="GITHUB_TOKEN_SECRET_NAME", pattern=r"^[A-Za-z][A-Za-z0-9_]*$"
    )
    """PactFlow secret holding GITHUB_TOKEN; the webhook uses ${user.<name>}."""
    webhook_uuid: str | None = Field(None, alias="PACT_WEBHOOK_UUID")
    """Webhook UUID; default derived."""
    pact_cli: str | None = Field(None, alias="PACT_CLI")
    """The `pact` executable; default the installed one."""

    #: Whether GIT_COMMIT was left to git (HEAD), rather than given.
    _version_from_git: bool = PrivateAttr(default=False)

    @model_validator(mode="after")
    def _check_combinations(self) -> Self:
        if self.broker_token and (self.broker_username or self.broker_password):
            msg = (
                "PACT_BROKER_TOKEN cannot be combined with PACT_BROKER_USERNAME/PASSWORD: set a token or a username "
                "and password, not both"
            )
            raise ValueError(msg)
        if bool(self.broker_username) != bool(self.broker_password):
            msg = "PACT_BROKER_USERNAME and PACT_BROKER_PASSWORD go together: set both or neither"
            raise ValueError(msg)
        self._version_from_git = self.git_commit is None
        self.git_commit = self.git_commit or git("rev-parse", "HEAD")
        if self.git_branch is None and (branch := git("rev-parse", "--abbrev-ref", "HEAD")) != "HEAD":
            self.git_branch = branch  # "HEAD" is a detached checkout: no branch to report
        if self.build_url is None and self.github_repository and self.github_run_id:
            self.build_url = (
                f"{self.github_server_url.rstrip('/')}/{self.github_repository}/actions/runs/{self.github_run_id}"
            )
        if self.publish_verification_results:
            needed = {
                "PACT_BROKER_BASE_URL (or PACT_URL)": self.broker_base_url or self.pact_url,
                "GIT_COMMIT": self.git_commit,
            }
            if missing := [name for name, value in needed.items() if not value]:
                msg = f"PACT_BROKER_PUBLISH_VERIFICATION_RESULTS=true needs {' and '.join(missing)}: set it or turn off"
                raise ValueError(msg)
            if self.description_filter or self.state_filter or self.no_state_filter:
                msg = (
                    "PACT_DESCRIPTION, PACT_PROVIDER_STATE or PACT_PROVIDER_NO_STATE with "
                    "PACT_BROKER_PUBLISH_VERIFICATION_RESULTS=true: a filtered result would replace the full one; "
                    "unset the filter or turn publishing off"
                )
                raise ValueError(msg)
        return self

    @property
    def broker_url(self) -> str | None:
        """The broker URL as the pact tools expect it: no trailing slash."""
        return str(self.broker_base_url).rstrip("/") if self.broker_base_url else None

    @property
    def version_from_git(self) -> bool:
        """The provider version is git's HEAD, not a GIT_COMMIT someone set."""
        return self._version_from_git and self.git_commit is not None

    @property
    def is_main_branch(self) -> bool:
        return self.git_branch == self.main_branch


def git(*args: str) -> str | None:
    """Ask git for a value; None when git or a repository is not available."""
    try:
        done = subprocess.run(["git", *args], capture_output=True, text=True, timeout=10, check=False)  # noqa: S603, S607
    except (OSError, subprocess.SubprocessError):
        return None
    value = done.stdout.strip()
    return value if done.returncode == 0 and value else None
