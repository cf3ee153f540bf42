"""The pipeline's decisions, from settings: `pact broker ...` commands, the deploy rule, fake CI.

Nothing here runs a command; `jobs.py` runs what these functions return. Secrets never enter
an argument list: the pact CLI reads `PACT_BROKER_TOKEN` / `PACT_BROKER_USERNAME` /
`PACT_BROKER_PASSWORD` from its environment, so a `BrokerCommand` carries them in `env` and its
`display` (what the user sees echoed) holds none of them.
"""

from __future__ import annotations

import json
import shlex
import shutil
import sys
from dataclasses import dataclass, field
from pathlib import Path

from example_provider.pipeline.broker import BrokerUnavailableError, Credentials, require_broker_url
from example_provider.pipeline.errors import PipelineError
from example_provider.pipeline.settings import PipelineSettings, git


@dataclass(frozen=True)
class BrokerCommand:
    """A `pact broker ...` invocation: argv without secrets, plus the environment that carries them."""

    argv: tuple[str, ...]
    env: dict[str, str] = field(repr=False)

    @property
    def display(self) -> str:
        """The command as echoed to the user: never a secret, since none is on the command line."""
        return shlex.join(self.argv)


def pact_executable(settings: PipelineSettings) -> str:
    """`PACT_CLI`, else the `pact` installed next to this Python (the pact-python-cli wheel), else PATH."""
    if settings.pact_cli:
        return settings.pact_cli
    beside = Path(sys.executable).with_name("pact")
    if beside.is_file():
        return str(beside)
    found = shutil.which("pact")
    if found is None:
        msg = "PACT_CLI: no `pact` executable found; install the pipeline's tools (`bash .ci/install`) or set PACT_CLI"
        raise PipelineError(msg)
    return found


def broker_env(settings: PipelineSettings) -> dict[str, str]:
    """Everything the pact CLI needs from the environment, secrets included."""
    return {
        "PACT_DO_NOT_TRACK": "true",
        "PACT_BROKER_BASE_URL": require_broker_url(settings),
        "PACT_BROKER_HTTP_RETRIES": str(settings.broker_http_retries),
        **Credentials.from_settings(settings).cli_env(),
    }


def broker_command(settings: PipelineSettings, *args: str) -> BrokerCommand:
    return BrokerCommand((pact_executable(settings), "broker", *args), broker_env(settings))


def provider_version(settings: PipelineSettings) -> str:
    if not settings.git_commit:
        msg = "GIT_COMMIT: the provider version is unknown; set GIT_COMMIT or run inside a git checkout"
        raise PipelineError(msg)
    return settings.git_commit


def can_i_deploy(settings: PipelineSettings) -> BrokerCommand:
    args = [
        "can-i-deploy",
        "--pacticipant",
        settings.pacticipant,
        "--version",
        provider_version(settings),
        "--to-environment",
        settings.deploy_environment,
    ]
    if settings.can_i_deploy_retry_while_unknown:
        args += [
            "--retry-while-unknown",
            str(settings.can_i_deploy_retry_while_unknown),
            "--retry-interval",
            str(settings.can_i_deploy_retry_interval),
        ]
    return broker_command(settings, *args)


def record_deployment(settings: PipelineSettings) -> BrokerCommand:
    return broker_command(
        settings,
        "record-deployment",
        "--pacticipant",
        settings.pacticipant,
        "--version",
        provider_version(settings),
        "--environment",
        settings.deploy_environment,
    )


def list_environments(settings: PipelineSettings) -> BrokerCommand:
    return broker_command(settings, "list-environments", "--output", "json")


def create_environment(settings: PipelineSettings, *, production: bool) -> BrokerCommand:
    args = ["create-environment", "--name", settings.deploy_environment, "--display-name", settings.deploy_environment]
    if production:
        args.append("--production")
    return broker_command(settings, *args)


def environment_exists(list_environments_output: str, name: str) -> bool:
    """Whether `pact broker list-environments --output json` lists an environment called `name`."""
    try:
        document = json.loads(list_environments_output.strip() or "{}")
        environments = document.get("_embedded", {}).get("environments", [])
        return any(environment.get("name") == name for environment in environments)
    except (ValueError, AttributeError, TypeError):
        msg = "`pact broker list-environments` did not answer with a list of environments; run it by hand to see why"
        raise BrokerUnavailableError(msg) from None


@dataclass(frozen=True)
class DeployDecision:
    deploy: bool
    reason: str


def deploy_decision(settings: PipelineSettings) -> DeployDecision:
    """Only builds of the main branch deploy; every other branch stops after can-i-deploy."""
    if settings.is_main_branch:
        return DeployDecision(deploy=True, reason=f"GIT_BRANCH is the main branch ({settings.main_branch}): deploying")
    branch = settings.git_branch or "(no branch: detached checkout)"
    return DeployDecision(
        deploy=False,
        reason=f"not deploying: GIT_BRANCH {branch} is not the main branch {settings.main_branch} (MAIN_BRANCH)",
    )


def fake_ci_environment(settings: PipelineSettings, *, webhook: bool = False) -> dict[str, str]:
    """The variables a CI system would set, so `ci` and `ci-webhook` run locally as they run in CI.

    The version is the commit (GIT_COMMIT, else git's HEAD): what `can-i-deploy` asks about by
    default. `check_fake_ci` has made sure that it names the code verified. A webhook build may
    have no branch: a webhook about a deployed or released provider version names none.
    """
    commit = settings.git_commit
    branch = settings.git_branch or ""
    if not commit or (not webhook and not branch):
        msg = "GIT_COMMIT and GIT_BRANCH: fake CI needs a git checkout on a branch, or both set"
        raise PipelineError(msg)
    return {
        "CI": "true",
        "PACT_BROKER_PUBLISH_VERIFICATION_RESULTS": "true",
        "GIT_COMMIT": commit,
        "GIT_BRANCH": branch,
    }


def check_fake_ci(settings: PipelineSettings, *, webhook: bool) -> None:
    """What a local CI build needs, checked before it turns publishing on (so no advice says to turn it off).

    From a working tree with uncommitted changes it refuses: no commit names the code it would
    verify, so its results, and a deployment, would be recorded against code nobody can check out.
    """
    if webhook:
        check_webhook_build(settings)
        if "://" not in (settings.pact_url or ""):
            msg = (
                f"PACT_URL: {settings.pact_url!r} is a local file, and fake-ci-webhook publishes its result to the "
                "broker; give the pact's URL in the broker, or verify the file with `invoke verify`"
            )
            raise PipelineError(msg)
    else:
        check_ci(settings)
    if settings.description_filter or settings.state_filter or settings.no_state_filter:
        msg = (
            "PACT_DESCRIPTION, PACT_PROVIDER_STATE or PACT_PROVIDER_NO_STATE: fake CI publishes its results, and a "
            "filtered result would replace the full one; unset them, or verify the selection with `invoke verify`"
        )
        raise PipelineError(msg)
    if settings.version_from_git and git("status", "--porcelain") is not None:
        msg = (
            "the working tree has uncommitted changes, so no commit names the code fake CI would verify and "
            "publish; commit or stash them (`git stash -u`), or name this version yourself with GIT_COMMIT"
        )
        raise PipelineError(msg)


def check_ci(settings: PipelineSettings) -> None:
    """`ci` verifies against the broker and asks it can-i-deploy: it needs a broker and no PACT_URL."""
    require_broker_url(settings)
    if settings.pact_url:
        msg = (
            "PACT_URL: it is set, which makes this a webhook build; unset PACT_URL, or run the webhook build "
            "(`invoke ci-webhook`, locally `invoke fake-ci-webhook`)"
        )
        raise PipelineError(msg)
    provider_version(settings)


def check_webhook_build(settings: PipelineSettings) -> None:
    """`ci-webhook` verifies the one pact the broker's webhook named.

    It publishes under the branch the webhook supplied, or none: pact_broker sends an empty
    branch when the provider version to verify is a deployed or released one without a branch.
    """
    if not settings.pact_url:
        msg = "PACT_URL: ci-webhook verifies the one pact a webhook names; set PACT_URL to that pact's URL"
        raise PipelineError(msg)
