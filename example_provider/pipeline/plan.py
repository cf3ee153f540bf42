"""Which pacts a verification run checks, and whether it publishes: decided from settings.

This module only decides; `verifier.py` turns a `VerificationPlan` into a configured `pact.Verifier`.

Source order: `PACT_URL` (one pact: a webhook build or a file) > `PACT_BROKER_BASE_URL`
(the broker picks pacts with consumer version selectors) > `PACT_DIR` (local files).
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from example_provider.pipeline.broker import Credentials
from example_provider.pipeline.errors import PipelineError
from example_provider.pipeline.settings import PipelineSettings

SourceKind = Literal["url", "broker", "directory"]

#: The consumer pacts shipped with the repository: the source when nothing else is set.
BUNDLED_PACTS = Path(__file__).resolve().parents[2] / "pacts"

#: The selectors Pact recommends for a provider: what the consumers' main branches expect,
#: what is deployed or released, and the consumer branch named like the provider's branch.
CONSUMER_VERSION_SELECTORS: tuple[dict[str, Any], ...] = (
    {"mainBranch": True},
    {"deployedOrReleased": True},
    {"matchingBranch": True},
)


@dataclass(frozen=True)
class PublishOptions:
    version: str
    branch: str | None
    build_url: str | None


@dataclass(frozen=True)
class VerificationPlan:
    provider: str
    source: SourceKind
    #: Where the pacts are: a pact directory, a pact URL or file, or the broker's URL.
    location: str
    #: PACT_BROKER_BASE_URL, for a pact URL that it serves (a broker under a path has more than an origin).
    pact_url_broker: str | None = None
    credentials: Credentials = field(default_factory=Credentials)
    consumer_version_selectors: tuple[dict[str, Any], ...] = ()
    include_pending: bool = False
    include_wip_since: dt.date | None = None
    provider_branch: str | None = None
    publish: PublishOptions | None = None
    fail_if_no_pacts: bool = True
    #: Local pact files naming this provider, and the providers named by the ones skipped.
    pact_files: tuple[Path, ...] = ()
    skipped_providers: tuple[str, ...] = ()
    description_filter: str | None = None
    state_filter: str | None = None
    no_state_filter: bool = False

    @property
    def skipped(self) -> str | None:
        """One line naming the local pacts left out because they are for other providers."""
        if not self.skipped_providers:
            return None
        count = len(self.skipped_providers)
        names = ", ".join(sorted(set(self.skipped_providers)))
        return f"skipped {count} pact{'s' if count > 1 else ''} for other providers: {names}"

    @property
    def broker_url(self) -> str:
        """The broker this plan talks to: the broker URL, or the one serving the pact URL (else its origin)."""
        if self.source == "broker":
            return self.location.rstrip("/")
        return self.pact_url_broker or origin(self.location)

    def describe(self) -> str:
        """One line for logs: what is verified, from where, and whether results are published."""
        if self.source == "broker":
            what = (
                f"pacts for {self.provider} from the broker {self.broker_url} ({self.credentials.describe()}; "
                f"selectors {_selectors_text(self.consumer_version_selectors)}; "
                f"pending {'on' if self.include_pending else 'off'}; "
                f"WIP {'since ' + self.include_wip_since.isoformat() if self.include_wip_since else 'off'}; "
                f"provider branch {self.provider_branch or '(none)'})"
            )
        elif self.source == "url":
            what = f"the pact at {self.location} ({self.credentials.describe()})"
        else:
            what = f"the pact files in {self.location}"
        filters = [
            f"{name}={value!r}"
            for name, value in (
                ("PACT_DESCRIPTION", self.description_filter),
                ("PACT_PROVIDER_STATE", self.state_filter),
            )
            if value
        ] + (["PACT_PROVIDER_NO_STATE"] if self.no_state_filter else [])
        if filters:
            what += f", only interactions matching {' and '.join(filters)}"
        publish = (
            f"publishing results as version {self.publish.version} on branch {self.publish.branch or '(none)'}"
            if self.publish
            else "not publishing results"
        )
        return f"verifying {what}; {publish}"


def _pact_provider(path: Path, variable: str) -> str:
    """The provider a local pact file names; a clear error if the file is not a pact."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
        provider = document["provider"]["name"]
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, KeyError, TypeError) as error:
        msg = f"{variable}: {str(path)!r} is not a pact file ({type(error).__name__}: {error}); fix or remove it"
        raise PipelineError(msg) from None
    if not isinstance(provider, str):
        msg = f"{variable}: {str(path)!r} is not a pact file (provider.name is not a string); fix or remove it"
        raise PipelineError(msg)
    return provider


def _local_pacts(settings: PipelineSettings, files: list[Path], variable: str) -> dict[str, Any]:
    """The plan's fields for local pact files: those naming this provider, and whom the others name.

    As every Pact verifier does, a pact naming another provider is not ours to verify. When none
    names this provider, they were probably written for it under another name (the pact-js
    consumers call it `pactflow-example-provider`): say so, rather than verify nothing.
    """
    named = [(path, _pact_provider(path, variable)) for path in files]
    ours = tuple(path for path, provider in named if provider == settings.pacticipant)
    others = tuple(provider for _, provider in named if provider != settings.pacticipant)
    if files and not ours and settings.fail_if_no_pacts_found:
        found = ", ".join(sorted(set(others)))
        msg = (
            f"{variable}: there is no pact for {settings.pacticipant}, only for {found}; to verify such pacts as "
            "this API, set PACTICIPANT=<name> to the name they use"
        )
        raise PipelineError(msg)
    return {"pact_files": ours, "skipped_providers": others}


def origin(url: str) -> str:
    """scheme://host[:port] of a URL, the default port left out: how messages name a broker."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if ":" in host:
        host = f"[{host}]"
    try:
        number = parts.port
    except ValueError:  # not a number: keep it as written, it cannot match a valid URL's port anyway
        number = None
        host += ":" + parts.netloc.rpartition(":")[2]
    default = {"http": 80, "https": 443}.get(parts.scheme.lower())
    port = f":{number}" if number is not None and number != default else ""
    return f"{parts.scheme.lower()}://{host}{port}"


def _check_credentials_stay_with_the_broker(settings: PipelineSettings, pact_url: str) -> None:
    """Broker credentials go to the broker in PACT_BROKER_BASE_URL and nowhere else.

    A pact URL comes from a webhook payload or a manual workflow input; sending the token to
    whatever host it names would hand the token to that host.
    """
    if not (settings.broker_token or settings.broker_username):
        return
    broker = settings.broker_url
    if broker is None or origin(pact_url) != origin(broker):
        msg = (
            f"PACT_URL: {origin(pact_url)} is not the Pact Broker in PACT_BROKER_BASE_URL ({broker or 'unset'}), "
            "and the broker credentials are only sent to that broker; set PACT_BROKER_BASE_URL to the broker "
            "that serves this pact"
        )
        raise PipelineError(msg)


def _selectors_text(selectors: tuple[dict[str, Any], ...]) -> str:
    return ", ".join("{" + ", ".join(f"{k}: {v}" for k, v in s.items()) + "}" for s in selectors) or "none"


def plan_verification(settings: PipelineSettings) -> VerificationPlan:
    """Decide the source and the publishing of a verification run."""
    publish = (
        PublishOptions(settings.git_commit, settings.git_branch, settings.build_url)
        if settings.publish_verification_results and settings.git_commit
        else None
    )
    common: dict[str, Any] = {
        "provider": settings.pacticipant,
        "publish": publish,
        "fail_if_no_pacts": settings.fail_if_no_pacts_found,
        "description_filter": settings.description_filter,
        "state_filter": settings.state_filter,
        "no_state_filter": settings.no_state_filter,
    }
    if settings.pact_url:
        location = settings.pact_url
        if "://" not in location:
            if not Path(location).is_file():
                msg = f"PACT_URL: {location!r} is neither a URL nor a pact file: give the pact's URL or a file path"
                raise PipelineError(msg)
            if publish:
                msg = (
                    f"PACT_URL: {location!r} is a local file, so there is no broker to publish results to; "
                    "give the pact's URL in the broker, or set PACT_BROKER_PUBLISH_VERIFICATION_RESULTS=false"
                )
                raise PipelineError(msg)
            common |= _local_pacts(settings, [Path(location)], "PACT_URL")
        else:
            _check_credentials_stay_with_the_broker(settings, location)
            if settings.broker_url and location.startswith(settings.broker_url + "/"):
                common["pact_url_broker"] = settings.broker_url
        return VerificationPlan(
            source="url", location=location, credentials=Credentials.from_settings(settings), **common
        )
    if settings.broker_url:
        if not settings.git_branch:
            # Pending and WIP pacts are computed per provider branch: without one, the broker
            # would treat every pact as already verified and WIP pacts as absent.
            msg = (
                "GIT_BRANCH: broker mode needs the provider branch for pending and WIP pacts; "
                "set GIT_BRANCH or run inside a git checkout on a branch"
            )
            raise PipelineError(msg)
        return VerificationPlan(
            source="broker",
            location=settings.broker_url,
            credentials=Credentials.from_settings(settings),
            consumer_version_selectors=tuple(settings.consumer_version_selectors or CONSUMER_VERSION_SELECTORS),
            include_pending=True,
            include_wip_since=None if settings.include_wip_pacts_since == "off" else settings.include_wip_pacts_since,
            provider_branch=settings.git_branch,
            **common,
        )
    directory = settings.pact_dir or BUNDLED_PACTS
    if not directory.is_dir():
        msg = f"PACT_DIR: {str(directory)!r} is not a directory of pact files: point it at one"
        raise PipelineError(msg)
    files = sorted(directory.glob("*.json"))
    if not files and settings.fail_if_no_pacts_found:
        msg = (
            f"PACT_DIR: {str(directory)!r} holds no *.json pact files; add some, or set "
            "PACT_FAIL_IF_NO_PACTS_FOUND=false"
        )
        raise PipelineError(msg)
    common |= _local_pacts(settings, files, "PACT_DIR")
    return VerificationPlan(source="directory", location=str(directory), **common)
