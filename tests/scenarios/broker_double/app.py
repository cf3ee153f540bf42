"""A stateful, in-memory Pact Broker (HAL API) for the pipeline's end-to-end tests.

It models the resources the real tools use — `pact broker publish|can-i-deploy|record-deployment|
create-environment|list-environments|create-or-update-webhook|test-webhook` and the Rust verifier —
and the ones the scenarios read back (tests/scenarios/broker_api.py), following pact-foundation/
pact_broker 2.113.0 wherever a verdict or a scenario depends on it. The same scenarios run against a
real pact_broker (`PACT_BROKER_TEST_URL`, docs/broker-tests.md), which is how this was checked:

- publishing: different content for a consumer version already published is refused (409);
- pacts for verification: `mainBranch`, `branch`, `matchingBranch`, `deployedOrReleased`, `deployed`,
  `released` selectors,
  one entry per pact *content* (several selectors may pick the same content), `pending` computed per
  provider branch (no successful verification from that branch, nor from another branch before that
  branch existed), WIP pacts (latest per consumer branch, created since the date, pending, not
  selected) marked `wip`, also in the pact URL's metadata the verifier publishes the result to;
- publishing a verification PUTs the provider version onto its branch (`pb:branch-version`, 201 when
  the branch version is new), then POSTs the result (201);
- versions with their branches (`_embedded.branchVersions`); environments; the deployed versions of
  an environment, where recording the currently deployed version again keeps its one record; the
  released versions (`record-release`), each supported beside the others, which `deployedOrReleased`
  and `released` select and can-i-deploy counts like deployed ones;
- the matrix for `can-i-deploy --to-environment` (one row per consumer version deployed there;
  `summary.deployable` false on a failure, null while a result is missing, true otherwise) and one
  provider's results (`q[][pacticipant]=P&latestby=cvpv`);
- webhooks by UUID and per provider, refused for an unknown pacticipant or a host outside the
  loopback whitelist docs/broker-tests.md gives a real broker; `Authorization` shown starred out.
  Testing one (`test-webhook`) renders its template with the latest pact and really sends it, to
  loopback hosts only;
- PactFlow's secrets, which a self-hosted pact_broker does not have.

It does not model tags, other selectors, ending a release's support, the rest of the matrix, pact_broker's wording of
notices, webhooks triggered by events, or anything else it is not asked (docs/broker-tests.md).
Fault injection (`fail_with_status`, `reject_verification_results`, `refuse_paths`) is for
scenarios named `..._on_the_double`.

Every request no route answers is recorded in `unanswered` and answered 404 — tests assert there
were none, so the double cannot silently drift from what the tools ask. A 404 for a resource that
does not exist (e.g. a webhook UUID not yet created) is the broker's own answer and is not recorded.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import datetime as dt
import hashlib
import itertools
import json
import re
import secrets
import threading
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, unquote, urlencode, urlsplit

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.base import BaseHTTPMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount, Route

from example_provider.pipeline.server import serve_in_thread

HAL = "application/hal+json;charset=utf-8"
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")
MAIN_BRANCH_CANDIDATES = ("develop", "main", "master")  # the broker's default auto-detected names
Json = dict[str, Any]


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str
    query: str
    headers: dict[str, str]
    body: str


@dataclass
class _Version:
    pacticipant: str
    number: str
    order: int
    branches: list[str] = field(default_factory=list)
    build_url: str | None = None


@dataclass
class _Publication:
    consumer: str
    provider: str
    consumer_version: str
    sha: str
    content: Json
    order: int
    created_at: dt.datetime


@dataclass
class _Verification:
    id: int
    provider: str
    provider_version: str
    consumer: str
    sha: str
    success: bool
    build_url: str | None
    body: Json


@dataclass
class _Selected:
    pub: _Publication
    reason: str
    pending: bool
    wip: bool
    notices: list[str]


@dataclass
class _Environment:
    uuid: str
    name: str
    display_name: str
    production: bool


@dataclass
class _Deployment:
    uuid: str
    pacticipant: str
    version: str
    environment: str  # uuid
    currently_deployed: bool = True


@dataclass
class _Release:
    """A version recorded as released (`record-release`): supported until said otherwise, beside other releases."""

    uuid: str
    pacticipant: str
    version: str
    environment: str  # uuid
    currently_supported: bool = True


def _hal(body: Json, status: int = 200) -> JSONResponse:
    return JSONResponse(body, status_code=status, media_type=HAL)


def _not_found(what: str) -> JSONResponse:
    return _hal({"error": f"{what} not found"}, 404)


def _q(value: str) -> str:
    return quote(value, safe="")


def _pact_sha(content: Json) -> str:
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"))
    return hashlib.sha1(canonical.encode()).hexdigest()  # noqa: S324 - content id, as the broker does


class BrokerDouble:
    """The broker's state plus the Starlette app serving it."""

    def __init__(
        self,
        *,
        token: str | None = None,
        username: str | None = None,
        password: str | None = None,
    ) -> None:
        self.token = token
        self.basic = (username, password) if username else None
        #: Fault injection: answer every request with this status (a broker that is down or broken).
        self.fail_with_status: int | None = None
        #: Fault injection: refuse verification results only, as for a read-only token (403).
        self.reject_verification_results = False
        #: Fault injection: answer requests under these path prefixes with the status (e.g. 403).
        self.refuse_paths: dict[str, int] = {}
        self.requests: list[RecordedRequest] = []
        self.unanswered: list[RecordedRequest] = []
        self._lock = threading.RLock()
        self._clock = itertools.count(1)
        self._verification_ids = itertools.count(1)
        self.main_branches: dict[str, str] = {}
        self.pacticipants: set[str] = set()
        self.versions: dict[tuple[str, str], _Version] = {}
        self.branch_created: dict[tuple[str, str], int] = {}
        self.publications: list[_Publication] = []
        self.verifications: list[_Verification] = []
        self.environments: dict[str, _Environment] = {}
        self.deployments: list[_Deployment] = []
        self.releases: list[_Release] = []
        self.webhooks: dict[str, Json] = {}
        self.secrets: dict[str, Json] = {}
        self.app = self._build_app()

    def version_branches(self, pacticipant: str, number: str) -> list[str]:
        version = self.versions.get((pacticipant, number))
        return list(version.branches) if version else []

    # --- app -----------------------------------------------------------------------------------
    def _build_app(self) -> Starlette:
        routes = [
            Route("/", self.index, methods=["GET"]),
            Route("/contracts/publish", self.publish_contracts, methods=["POST"]),
            Route("/pacticipants/{name}", self.pacticipant, methods=["GET"]),
            Route("/pacticipants/{name}/versions/{number}", self.version, methods=["GET"]),
            Route(
                "/pacticipants/{name}/branches/{branch:path}/versions/{number}", self.branch_version, methods=["PUT"]
            ),
            Route(
                "/pacticipants/{name}/versions/{number}/deployed-versions/environment/{env}",
                self.record_deployment,
                methods=["POST"],
            ),
            Route(
                "/pacticipants/{name}/versions/{number}/released-versions/environment/{env}",
                self.record_release,
                methods=["POST"],
            ),
            Route("/pacts/provider/{provider}/for-verification", self.for_verification, methods=["GET", "POST"]),
            Route("/pacts/provider/{provider}/consumer/{consumer}/pact-version/{sha}", self.pact, methods=["GET"]),
            # What webhooks send as ${pactbroker.pactUrl}: the same pact, with the event's metadata.
            Route(
                "/pacts/provider/{provider}/consumer/{consumer}/pact-version/{sha}/metadata/{metadata}",
                self.pact,
                methods=["GET"],
            ),
            # What `pact broker publish` answers in pb:contracts: the pact of one consumer version.
            Route(
                "/pacts/provider/{provider}/consumer/{consumer}/version/{version}",
                self.pact_of_consumer_version,
                methods=["GET"],
            ),
            Route(
                "/pacts/provider/{provider}/consumer/{consumer}/pact-version/{sha}/verification-results",
                self.publish_verification,
                methods=["POST"],
            ),
            Route(
                "/pacts/provider/{provider}/consumer/{consumer}/pact-version/{sha}/metadata/{metadata}/verification-results",
                self.publish_verification,
                methods=["POST"],
            ),
            Route(
                "/pacts/provider/{provider}/consumer/{consumer}/pact-version/{sha}/verification-results/{id:int}",
                self.verification,
                methods=["GET"],
            ),
            Route("/matrix", self.matrix, methods=["GET"]),
            Route("/environments", self.environments_resource, methods=["GET", "POST"]),
            Route("/environments/{uuid}", self.environment, methods=["GET"]),
            Route(
                "/environments/{uuid}/deployed-versions/currently-deployed",
                self.currently_deployed,
                methods=["GET"],
            ),
            Route("/webhooks", self.webhooks_resource, methods=["GET"]),
            Route("/webhooks/provider/{provider}", self.webhooks_of_provider, methods=["GET"]),
            Route("/webhooks/{uuid}", self.webhook, methods=["GET", "PUT"]),
            Route("/webhooks/{uuid}/execute", self.execute_webhook, methods=["POST"]),
            Route("/secrets", self.secrets_resource, methods=["GET", "POST"]),
            Route("/secrets/{uuid}", self.secret, methods=["PUT"]),
            Route("/health", self.health, methods=["GET"]),
        ]
        return Starlette(
            routes=routes,
            exception_handlers={HTTPException: self._unanswerable},
            middleware=[Middleware(BaseHTTPMiddleware, dispatch=self._gate)],
        )

    async def _gate(self, request: Request, call_next: Any) -> Response:
        body = (await request.body()).decode(errors="replace")
        recorded = RecordedRequest(
            request.method, request.url.path, request.url.query, dict(request.headers.items()), body
        )
        if request.url.path == "/health":
            return await call_next(request)  # type: ignore[no-any-return]
        with self._lock:
            self.requests.append(recorded)
        if self.fail_with_status:
            return _hal({"error": "the broker is having a bad day"}, self.fail_with_status)
        for prefix, status in self.refuse_paths.items():
            if request.url.path.startswith(prefix):
                return _hal({"error": f"refused (fault injection, {status})"}, status)
        if not self._authorised(request.headers.get("authorization")):
            return _hal({"error": "authentication required"}, 401)
        return await call_next(request)  # type: ignore[no-any-return]

    def _authorised(self, header: str | None) -> bool:
        if self.token:
            return secrets.compare_digest(header or "", f"Bearer {self.token}")
        if self.basic:
            user, password = self.basic
            expected = base64.b64encode(f"{user}:{password}".encode()).decode()
            return secrets.compare_digest(header or "", f"Basic {expected}")
        return True

    async def _unanswerable(self, request: Request, exc: Exception) -> Response:
        body = (await request.body()).decode(errors="replace")
        with self._lock:
            self.unanswered.append(
                RecordedRequest(
                    request.method, request.url.path, request.url.query, dict(request.headers.items()), body
                )
            )
        status = exc.status_code if isinstance(exc, HTTPException) else 404
        return _hal({"error": f"the broker double cannot answer {request.method} {request.url.path}"}, status)

    @staticmethod
    def _base(request: Request) -> str:
        """The broker's base URL, with the path it is mounted under (`running_broker(..., path)`)."""
        return f"{request.url.scheme}://{request.url.netloc}{request.scope.get('root_path', '')}"

    async def health(self, _: Request) -> Response:
        return Response("ok")

    # --- index ---------------------------------------------------------------------------------
    async def index(self, request: Request) -> Response:
        b = self._base(request)
        links = {
            "self": {"href": b},
            "pb:publish-contracts": {"href": f"{b}/contracts/publish", "title": "Publish contracts"},
            "pb:provider-pacts-for-verification": {
                "href": f"{b}/pacts/provider/{{provider}}/for-verification",
                "templated": True,
            },
            "pb:pacticipant": {"href": f"{b}/pacticipants/{{pacticipant}}", "templated": True},
            "pb:pacticipant-version": {
                "href": f"{b}/pacticipants/{{pacticipant}}/versions/{{version}}",
                "templated": True,
            },
            "pb:environments": {"href": f"{b}/environments"},
            "pb:environment": {"href": f"{b}/environments/{{uuid}}", "templated": True},
            "pb:webhooks": {"href": f"{b}/webhooks"},
            "pb:webhook": {"href": f"{b}/webhooks/{{uuid}}", "templated": True},
            "pb:secrets": {"href": f"{b}/secrets"},
        }
        return _hal({"_links": links})

    # --- pacticipants, versions, branches --------------------------------------------------------
    def _ensure_version(self, pacticipant: str, number: str, branch: str | None = None) -> _Version:
        with self._lock:
            self.pacticipants.add(pacticipant)
            version = self.versions.get((pacticipant, number))
            if version is None:
                version = _Version(pacticipant, number, next(self._clock))
                self.versions[(pacticipant, number)] = version
            if branch and branch not in version.branches:
                version.branches.append(branch)
                self.branch_created.setdefault((pacticipant, branch), next(self._clock))
                if pacticipant not in self.main_branches and branch in MAIN_BRANCH_CANDIDATES:
                    self.main_branches[pacticipant] = branch  # the broker's auto-detection
            return version

    async def pacticipant(self, request: Request) -> Response:
        name = request.path_params["name"]
        if name not in self.pacticipants:
            return _not_found(f"pacticipant {name}")
        b, n = self._base(request), _q(name)
        return _hal(
            {
                "name": name,
                "mainBranch": self.main_branches.get(name),
                "_links": {
                    "self": {"href": f"{b}/pacticipants/{n}"},
                    "pb:version": {"href": f"{b}/pacticipants/{n}/versions/{{version}}", "templated": True},
                    "pb:branch-version": {
                        "href": f"{b}/pacticipants/{n}/branches/{{branch}}/versions/{{version}}",
                        "templated": True,
                    },
                },
            }
        )

    async def version(self, request: Request) -> Response:
        name, number = request.path_params["name"], request.path_params["number"]
        version = self.versions.get((name, number))
        if version is None:
            return _not_found(f"version {number} of {name}")
        b, n, v = self._base(request), _q(name), _q(number)
        record_links = [
            {
                "title": f"Record deployment to {env.display_name}",
                "name": env.name,
                "href": f"{b}/pacticipants/{n}/versions/{v}/deployed-versions/environment/{env.uuid}",
            }
            for env in self.environments.values()
        ]
        release_links = [
            {
                "title": f"Record release to {env.display_name}",
                "name": env.name,
                "href": f"{b}/pacticipants/{n}/versions/{v}/released-versions/environment/{env.uuid}",
            }
            for env in self.environments.values()
        ]
        return _hal(
            {
                "number": number,
                "buildUrl": version.build_url,
                "_embedded": {"branchVersions": [{"name": br} for br in version.branches], "tags": []},
                "_links": {
                    "self": {"href": f"{b}/pacticipants/{n}/versions/{v}"},
                    "pb:pacticipant": {"href": f"{b}/pacticipants/{n}", "name": name},
                    "pb:record-deployment": record_links,
                    "pb:record-release": release_links,
                },
            }
        )

    async def branch_version(self, request: Request) -> Response:
        p = request.path_params
        existed = p["branch"] in self.version_branches(p["name"], p["number"])
        self._ensure_version(p["name"], p["number"], p["branch"])
        b = self._base(request)
        return _hal(
            {
                "_links": {
                    "self": {
                        "href": f"{b}/pacticipants/{_q(p['name'])}/branches/{_q(p['branch'])}/versions/"
                        f"{_q(p['number'])}"
                    }
                }
            },
            200 if existed else 201,
        )

    # --- publishing contracts --------------------------------------------------------------------
    async def publish_contracts(self, request: Request) -> Response:
        payload = await request.json()
        consumer, number = payload["pacticipantName"], payload["pacticipantVersionNumber"]
        conflicts = self._conflicts(consumer, number, payload.get("contracts", []))
        if conflicts:
            return _hal(
                {"notices": [{"type": "error", "text": c} for c in conflicts], "errors": {"contracts": conflicts}}, 409
            )
        version = self._ensure_version(consumer, number, payload.get("branch"))
        if payload.get("buildUrl"):
            version.build_url = payload["buildUrl"]
        b = self._base(request)
        contract_links = []
        for contract in payload.get("contracts", []):
            content = json.loads(base64.b64decode(contract["content"]))
            provider = contract["providerName"]
            with self._lock:
                self.pacticipants.add(provider)
                sha = _pact_sha(content)
                self.publications.append(
                    _Publication(consumer, provider, number, sha, content, next(self._clock), dt.datetime.now(dt.UTC))
                )
            contract_links.append(
                {
                    "name": f"Pact between {consumer} ({number}) and {provider}",
                    "title": "Pact",
                    "href": f"{b}/pacts/provider/{_q(provider)}/consumer/{_q(consumer)}/version/{_q(number)}",
                }
            )
        version_href = f"{b}/pacticipants/{_q(consumer)}/versions/{_q(number)}"
        return _hal(
            {
                "notices": [{"type": "success", "text": f"Published {len(contract_links)} pact(s) for {consumer}"}],
                "logs": [{"level": "info", "message": "Published"}],
                "_embedded": {
                    "pacticipant": {"name": consumer, "_links": {"self": {"href": f"{b}/pacticipants/{_q(consumer)}"}}},
                    "version": {
                        "number": number,
                        "_links": {"self": {"href": version_href, "name": number, "title": "Version"}},
                    },
                },
                "_links": {
                    "pb:pacticipant": {
                        "href": f"{b}/pacticipants/{_q(consumer)}",
                        "name": consumer,
                        "title": "Pacticipant",
                    },
                    "pb:pacticipant-version": {"href": version_href, "name": number, "title": "Version"},
                    "pb:pacticipant-version-tags": [],
                    "pb:contracts": contract_links,
                },
            },
            200,
        )

    def _conflicts(self, consumer: str, number: str, contracts: list[Json]) -> list[str]:
        """pact_broker refuses a pact whose content differs from the one already published for that
        consumer version (unless configured to allow it, which it is not by default)."""
        conflicts = []
        for contract in contracts:
            provider, sha = contract["providerName"], _pact_sha(json.loads(base64.b64decode(contract["content"])))
            published = {
                p.sha
                for p in self.publications
                if (p.consumer, p.provider, p.consumer_version) == (consumer, provider, number)
            }
            if published and sha not in published:
                conflicts.append(
                    f"Cannot change the content of the pact for {consumer} version {number} and provider {provider}, "
                    "as race conditions will cause unreliable results for can-i-deploy. Each pact must be published "
                    "with a unique consumer version number."
                )
        return conflicts

    @staticmethod
    def _pact_href(base: str, provider: str, consumer: str, sha: str) -> str:
        return f"{base}/pacts/provider/{_q(provider)}/consumer/{_q(consumer)}/pact-version/{sha}"

    # --- pacts for verification --------------------------------------------------------------------
    async def for_verification(self, request: Request) -> Response:
        provider = request.path_params["provider"]
        b = self._base(request)
        href = f"{b}/pacts/provider/{_q(provider)}/for-verification"
        if provider not in self.pacticipants:  # pact_broker: the resource exists only if the provider does
            return _not_found(f"provider {provider}")
        if request.method == "GET":
            return _hal({"_links": {"self": {"href": href, "title": "Pacts to be verified"}}})
        body = await request.json()
        embedded = [
            {
                "shortDescription": item.reason,
                "verificationProperties": {
                    "pending": item.pending,
                    **({"wip": True} if item.wip else {}),
                    "notices": [{"when": "before_verification", "text": notice} for notice in item.notices],
                },
                "_links": {
                    "self": {
                        # pact_broker's selection metadata: `w=true` for a WIP pact, else (here, reduced to) pending
                        "href": self._pact_href(b, provider, item.pub.consumer, item.pub.sha)
                        + "/metadata/"
                        + (_metadata(w="true") if item.wip else _metadata(p=str(item.pending).lower())),
                        "name": f"Pact between {item.pub.consumer} ({item.pub.consumer_version}) and {provider}",
                    }
                },
            }
            for item in self._pacts_for_verification(provider, body)
        ]
        return _hal({"_embedded": {"pacts": embedded}, "_links": {"self": {"href": href}}})

    def _latest(self, pubs: list[_Publication]) -> _Publication | None:
        return max(pubs, key=lambda p: p.order, default=None)

    def _publications_for_branch(self, provider: str, consumer: str, branch: str) -> list[_Publication]:
        return [
            p
            for p in self.publications
            if p.provider == provider
            and p.consumer == consumer
            and branch in self.versions[(consumer, p.consumer_version)].branches
        ]

    def _pacts_for_verification(self, provider: str, body: Json) -> list[_Selected]:
        branch = body.get("providerVersionBranch")
        include_pending = bool(body.get("includePendingStatus"))
        selected = self._select(provider, body.get("consumerVersionSelectors", []), branch)
        result = []
        for pub, reasons in sorted(selected.values(), key=lambda item: item[0].order):
            pending = include_pending and branch is not None and self._pending(pub, provider, branch)
            notices = [f"The pact is verified because it is the {', '.join(reasons)}."]
            if include_pending:
                notices.append(self._pending_notice(pending=pending, provider=provider, branch=branch))
            result.append(_Selected(pub, ", ".join(reasons), pending, wip=False, notices=notices))
        wip_since = body.get("includeWipPactsSince")
        if include_pending and wip_since and branch:
            result += self._wip(provider, branch, wip_since, {item.pub.sha for item in result})
        return result

    def _select(
        self, provider: str, selectors: list[Json], branch: str | None
    ) -> dict[str, tuple[_Publication, list[str]]]:
        """Explicit selectors; one entry per pact content, with every reason that picked it."""
        selected: dict[str, tuple[_Publication, list[str]]] = {}
        for selector in selectors:
            for consumer in self._consumers_of(provider):
                if selector.get("consumer") not in (None, consumer):
                    continue
                for pub, why in self._candidates(provider, consumer, selector, branch):
                    previous = selected.get(pub.sha)
                    if previous is None or previous[0].order < pub.order:
                        selected[pub.sha] = (pub, [*(previous[1] if previous else []), why])
                    else:
                        previous[1].append(why)
        return selected

    def _consumers_of(self, provider: str) -> list[str]:
        return sorted({p.consumer for p in self.publications if p.provider == provider})

    def _candidates(
        self, provider: str, consumer: str, selector: Json, branch: str | None
    ) -> Iterator[tuple[_Publication, str]]:
        wanted: list[tuple[str, str]] = []
        main = self.main_branches.get(consumer)
        if selector.get("mainBranch") and main:
            wanted.append((main, f"latest from {consumer}'s main branch"))
        if selector.get("matchingBranch") and branch:
            wanted.append((branch, f"latest from branch {branch} (matching the provider's)"))
        if selector.get("branch"):
            wanted.append((selector["branch"], f"latest from branch {selector['branch']}"))
        for name, why in wanted:
            latest = self._latest(self._publications_for_branch(provider, consumer, name))
            if latest:
                yield latest, why
        kinds = {"deployed", "released"} if selector.get("deployedOrReleased") else set()
        kinds |= {kind for kind in ("deployed", "released") if selector.get(kind)}
        for kind, pacticipant, version, environment in self._in_environments():
            if pacticipant != consumer or kind not in kinds:
                continue
            latest = self._latest(
                [
                    p
                    for p in self.publications
                    if (p.provider, p.consumer, p.consumer_version) == (provider, consumer, version)
                ]
            )
            if latest:
                yield latest, f"{kind} to {self.environments[environment].name}"

    def _in_environments(self) -> Iterator[tuple[str, str, str, str]]:
        """(deployed or released, pacticipant, version, environment uuid) of each version there now."""
        for d in self.deployments:
            if d.currently_deployed:
                yield "deployed", d.pacticipant, d.version, d.environment
        for r in self.releases:
            if r.currently_supported:
                yield "released", r.pacticipant, r.version, r.environment

    def _wip(self, provider: str, branch: str, since_text: str, chosen: set[str]) -> list[_Selected]:
        """Work-in-progress pacts: the latest of each consumer branch, published since the date, pending
        for the provider branch and not picked by a selector."""
        since = dt.datetime.fromisoformat(since_text)
        if since.tzinfo is None:
            since = since.replace(tzinfo=dt.UTC)
        found = []
        for consumer in self._consumers_of(provider):
            branches = sorted(
                {
                    name
                    for p in self.publications
                    if p.provider == provider and p.consumer == consumer
                    for name in self.versions[(consumer, p.consumer_version)].branches
                }
            )
            for consumer_branch in branches:
                latest = self._latest(self._publications_for_branch(provider, consumer, consumer_branch))
                if not latest or latest.sha in chosen or latest.created_at < since:
                    continue
                if not self._pending(latest, provider, branch):
                    continue
                chosen.add(latest.sha)
                notices = [
                    (
                        f"The pact is a work in progress: the latest from {consumer}'s branch {consumer_branch}, "
                        f"not yet verified successfully by {provider}'s branch {branch}."
                    ),
                    self._pending_notice(pending=True, provider=provider, branch=branch),
                ]
                found.append(
                    _Selected(
                        latest,
                        f"work in progress from {consumer}'s branch {consumer_branch}",
                        pending=True,
                        wip=True,
                        notices=notices,
                    )
                )
        return found

    def _pending(self, pub: _Publication, provider: str, provider_branch: str) -> bool:
        """The broker's rule: pending unless verified successfully by this branch, or by a version on
        another branch before this branch existed (a version on no branch never counts)."""
        branch_created = self.branch_created.get((provider, provider_branch))
        for verification in self.verifications:
            if verification.sha != pub.sha or verification.provider != provider or not verification.success:
                continue
            version = self.versions[(provider, verification.provider_version)]
            if provider_branch in version.branches:
                return False
            if version.branches and (branch_created is None or version.order < branch_created):
                return False
        return True

    @staticmethod
    def _pending_notice(*, pending: bool, provider: str, branch: str | None) -> str:
        if pending:
            return (
                f"This pact is pending for {provider} branch {branch}: no successful verification from that branch "
                "yet, so a failure will not fail the build."
            )
        return f"This pact is not pending for {provider} branch {branch}: a failure will fail the build."

    # --- pacts and verification results --------------------------------------------------------------
    def _publication(self, provider: str, consumer: str, sha: str) -> _Publication | None:
        return self._latest(
            [p for p in self.publications if p.provider == provider and p.consumer == consumer and p.sha == sha]
        )

    async def pact_of_consumer_version(self, request: Request) -> Response:
        p = request.path_params
        pub = self._latest(
            [
                pub
                for pub in self.publications
                if (pub.provider, pub.consumer, pub.consumer_version) == (p["provider"], p["consumer"], p["version"])
            ]
        )
        return self._pact_document(request, pub)

    async def pact(self, request: Request) -> Response:
        p = request.path_params
        return self._pact_document(request, self._publication(p["provider"], p["consumer"], p["sha"]))

    def _pact_document(self, request: Request, pub: _Publication | None) -> Response:
        if pub is None:
            return _not_found("pact")
        b = self._base(request)
        href = self._pact_href(b, pub.provider, pub.consumer, pub.sha)
        metadata = request.path_params.get("metadata")
        results_href = (
            f"{href}/metadata/{metadata}/verification-results" if metadata else f"{href}/verification-results"
        )
        document = {
            **pub.content,
            "_links": {
                "self": {"href": href, "title": "Pact"},
                "pb:consumer": {"href": f"{b}/pacticipants/{_q(pub.consumer)}", "name": pub.consumer},
                "pb:provider": {"href": f"{b}/pacticipants/{_q(pub.provider)}", "name": pub.provider},
                "pb:consumer-version": {
                    "href": f"{b}/pacticipants/{_q(pub.consumer)}/versions/{_q(pub.consumer_version)}",
                    "name": pub.consumer_version,
                },
                "pb:publish-verification-results": {
                    "href": results_href,
                    "title": "Publish verification results",
                },
            },
        }
        return _hal(document)

    async def publish_verification(self, request: Request) -> Response:
        p = request.path_params
        pub = self._publication(p["provider"], p["consumer"], p["sha"])
        if pub is None:
            return _not_found("pact")
        if self.reject_verification_results:
            return _hal({"error": "this token may read but not publish (fault injection)"}, 403)
        body = await request.json()
        number = body.get("providerApplicationVersion")
        if not number or not isinstance(body.get("success"), bool):
            return _hal(
                {"errors": {"providerApplicationVersion": ["is required"], "success": ["must be boolean"]}}, 400
            )
        self._ensure_version(pub.provider, number)
        with self._lock:
            verification = _Verification(
                next(self._verification_ids),
                pub.provider,
                number,
                pub.consumer,
                pub.sha,
                body["success"],
                body.get("buildUrl"),
                body,
            )
            self.verifications.append(verification)
        return _hal(self._verification_body(self._base(request), verification), 201)

    def _verification_body(self, base: str, v: _Verification) -> Json:
        href = f"{self._pact_href(base, v.provider, v.consumer, v.sha)}/verification-results/{v.id}"
        return {
            "providerName": v.provider,
            "providerApplicationVersion": v.provider_version,
            "success": v.success,
            "buildUrl": v.build_url,
            "_links": {"self": {"href": href, "title": "Verification result"}},
        }

    async def verification(self, request: Request) -> Response:
        wanted = request.path_params["id"]
        for v in self.verifications:
            if v.id == wanted:
                return _hal(self._verification_body(self._base(request), v))
        return _not_found("verification result")

    # --- can-i-deploy ---------------------------------------------------------------------------------
    @staticmethod
    def _parse_matrix_query(query: str) -> tuple[list[dict[str, str]], dict[str, str]]:
        selectors: list[dict[str, str]] = []
        options: dict[str, str] = {}
        for part in unquote(query).split("&"):
            key, _, value = part.partition("=")
            match = re.fullmatch(r"q\[\]\[(\w+)\]", key)
            if not match:
                options[key] = value
                continue
            if match.group(1) == "pacticipant":
                selectors.append({})
            selectors[-1][match.group(1)] = value
        return selectors, options

    async def matrix(self, request: Request) -> Response:
        selectors, options = self._parse_matrix_query(request.url.query)
        environment_name = options.get("environment")
        if len(selectors) == 1 and not environment_name and options.get("latestby") == "cvpv":
            return self._results_matrix(self._base(request), selectors[0])
        if len(selectors) != 1 or "version" not in selectors[0] or not environment_name:
            raise HTTPException(404, "only `can-i-deploy --pacticipant P --version V --to-environment E` is modelled")
        return self._can_i_deploy_matrix(self._base(request), selectors[0], environment_name)

    def _can_i_deploy_matrix(self, b: str, selector: dict[str, str], environment_name: str) -> Response:
        env = next((e for e in self.environments.values() if e.name == environment_name), None)
        provider, number = selector["pacticipant"], selector["version"]
        if env is None:
            return _hal({"errors": [f"Environment with name '{environment_name}' does not exist"]}, 400)
        if provider not in self.pacticipants:  # pact_broker's matrix service validates the selectors first
            return _hal({"errors": [f"Pacticipant {provider} not found"]}, 400)
        if (provider, number) not in self.versions:
            return self._matrix_body(
                [],
                deployable=False,
                reason=f"No pacts or verifications have been published for version {number} of {provider}",
            )
        rows = [
            self._matrix_row(b, provider, number, pacticipant, version)
            for _, pacticipant, version, environment in self._in_environments()
            if environment == env.uuid
        ]
        rows = [row for row in rows if row]
        failed = [r for r in rows if r["verificationResult"] and not r["verificationResult"]["success"]]
        unknown = [r for r in rows if r["verificationResult"] is None]
        if failed:
            return self._matrix_body(
                rows, deployable=False, reason="The verification results for some integrations failed"
            )
        if unknown:
            return self._matrix_body(
                rows,
                deployable=None,
                reason=(  # pact_broker names the first integration without a result
                    f"There is no verified pact between the version of {unknown[0]['consumer']['name']} currently in "
                    f"{environment_name} ({unknown[0]['consumer']['version']['number']}) and version {number} of "
                    f"{provider}"
                ),
            )
        return self._matrix_body(
            rows, deployable=True, reason="All required verification results are published and successful"
        )

    def _results_matrix(self, base: str, selector: dict[str, str]) -> Response:
        """The matrix of one provider (version): its latest result per consumer version and provider version,
        the way a user lists what a provider verified (`q[][pacticipant]=P[&q[][version]=V]&latestby=cvpv`)."""
        provider, number = selector["pacticipant"], selector.get("version")
        if provider not in self.pacticipants:
            return _hal({"errors": [f"Pacticipant {provider} not found"]}, 400)
        latest: dict[tuple[str, str, str], tuple[_Publication, _Verification]] = {}
        for v in self.verifications:
            if v.provider != provider or number not in (None, v.provider_version):
                continue
            for pub in self.publications:
                if (pub.provider, pub.consumer, pub.sha) == (provider, v.consumer, v.sha):
                    latest[(pub.consumer, pub.consumer_version, v.provider_version)] = (pub, v)
        rows: list[Json] = [
            {
                "consumer": {"name": pub.consumer, "version": {"number": pub.consumer_version}},
                "provider": {"name": provider, "version": {"number": v.provider_version}},
                "pact": {"createdAt": pub.created_at.isoformat()},
                "verificationResult": {"success": v.success, "_links": self._verification_body(base, v)["_links"]},
            }
            for pub, v in latest.values()
        ]
        failed = any(not v.success for _, v in latest.values())
        reason = (
            "The verification results for some integrations failed"
            if failed
            else "All required verification results are published and successful"
        )
        return self._matrix_body(rows, deployable=not failed, reason=reason)

    def _matrix_row(self, base: str, provider: str, number: str, consumer: str, version: str) -> Json:
        """A consumer version in the environment against this provider version ({} if no pact)."""
        pub = self._latest(
            [
                p
                for p in self.publications
                if (p.provider, p.consumer, p.consumer_version) == (provider, consumer, version)
            ]
        )
        if pub is None:
            return {}
        results = [
            v
            for v in self.verifications
            if v.sha == pub.sha and v.provider == provider and v.provider_version == number
        ]
        latest = max(results, key=lambda v: v.id, default=None)
        return {
            "consumer": {"name": pub.consumer, "version": {"number": pub.consumer_version}},
            "provider": {"name": provider, "version": {"number": number} if latest else None},
            "pact": {"createdAt": pub.created_at.isoformat()},
            "verificationResult": (
                {"success": latest.success, "_links": self._verification_body(base, latest)["_links"]}
                if latest
                else None
            ),
        }

    @staticmethod
    def _matrix_body(rows: list[Json], *, deployable: bool | None, reason: str) -> JSONResponse:
        success = sum(1 for r in rows if r["verificationResult"] and r["verificationResult"]["success"])
        unknown = sum(1 for r in rows if r["verificationResult"] is None)
        return _hal(
            {
                "summary": {
                    "deployable": deployable,
                    "reason": reason,
                    "success": success,
                    "failed": len(rows) - success - unknown,
                    "unknown": unknown,
                },
                "notices": [{"type": "success" if deployable else "error", "text": reason}],
                "matrix": rows,
            }
        )

    # --- environments and deployments ------------------------------------------------------------------
    def _environment_body(self, base: str, env: _Environment) -> Json:
        return {
            "uuid": env.uuid,
            "name": env.name,
            "displayName": env.display_name,
            "production": env.production,
            "_links": {
                "self": {"href": f"{base}/environments/{env.uuid}", "name": env.name},
                "pb:currently-deployed-deployed-versions": {
                    "href": f"{base}/environments/{env.uuid}/deployed-versions/currently-deployed"
                },
            },
        }

    async def environments_resource(self, request: Request) -> Response:
        b = self._base(request)
        if request.method == "GET":
            envs = [self._environment_body(b, e) for e in self.environments.values()]
            return _hal({"_embedded": {"environments": envs}, "_links": {"self": {"href": f"{b}/environments"}}})
        body = await request.json()
        name = body.get("name")
        if not name or any(e.name == name for e in self.environments.values()):
            return _hal({"errors": {"name": [f"Another environment with name '{name}' already exists."]}}, 400)
        env = _Environment(str(uuid.uuid4()), name, body.get("displayName") or name, bool(body.get("production")))
        self.environments[env.uuid] = env
        return _hal(self._environment_body(b, env), 201)

    async def environment(self, request: Request) -> Response:
        env = self.environments.get(request.path_params["uuid"])
        return _hal(self._environment_body(self._base(request), env)) if env else _not_found("environment")

    async def currently_deployed(self, request: Request) -> Response:
        env = self.environments.get(request.path_params["uuid"])
        if env is None:
            return _not_found("environment")
        wanted = request.query_params.get("pacticipant")
        b = self._base(request)
        listed = [
            {
                "uuid": d.uuid,
                "currentlyDeployed": True,
                "_embedded": {
                    "pacticipant": {"name": d.pacticipant},
                    "version": {
                        "number": d.version,
                        "_links": {"self": {"href": self._version_href(b, d.pacticipant, d.version)}},
                    },
                },
                "_links": {"self": {"href": f"{b}/deployed-versions/{d.uuid}"}},
            }
            for d in reversed(self.deployments)
            if d.environment == env.uuid and d.currently_deployed and wanted in (None, d.pacticipant)
        ]
        href = f"{b}/environments/{env.uuid}/deployed-versions/currently-deployed"
        return _hal({"_embedded": {"deployedVersions": listed}, "_links": {"self": {"href": href}}})

    @staticmethod
    def _version_href(base: str, pacticipant: str, number: str) -> str:
        return f"{base}/pacticipants/{_q(pacticipant)}/versions/{_q(number)}"

    async def record_deployment(self, request: Request) -> Response:
        p = request.path_params
        env = self.environments.get(p["env"])
        if env is None or (p["name"], p["number"]) not in self.versions:
            return _not_found("version or environment")
        body = await request.json() if await request.body() else {}
        with self._lock:
            current = [
                d
                for d in self.deployments
                if d.currently_deployed and (d.pacticipant, d.environment) == (p["name"], env.uuid)
            ]
            deployment = next((d for d in current if d.version == p["number"]), None)
            if deployment is None:  # a new deployment replaces the one it supersedes; the same one is kept
                for previous in current:
                    previous.currently_deployed = False
                deployment = _Deployment(str(uuid.uuid4()), p["name"], p["number"], env.uuid)
                self.deployments.append(deployment)
        b = self._base(request)
        return _hal(
            {
                "uuid": deployment.uuid,
                "currentlyDeployed": True,
                "applicationInstance": body.get("applicationInstance"),
                "_links": {"self": {"href": f"{b}/deployed-versions/{deployment.uuid}"}},
            },
            201,
        )

    async def record_release(self, request: Request) -> Response:
        """Record a release; releasing the same version to the same environment again keeps its one record."""
        p = request.path_params
        env = self.environments.get(p["env"])
        if env is None or (p["name"], p["number"]) not in self.versions:
            return _not_found("version or environment")
        with self._lock:
            key = (p["name"], p["number"], env.uuid)
            release = next((r for r in self.releases if (r.pacticipant, r.version, r.environment) == key), None)
            if release is None:
                release = _Release(str(uuid.uuid4()), *key)
                self.releases.append(release)
            release.currently_supported = True
        b = self._base(request)
        return _hal(
            {
                "uuid": release.uuid,
                "currentlySupported": True,
                "_links": {"self": {"href": f"{b}/released-versions/{release.uuid}"}},
            },
            201,
        )

    # --- webhooks and secrets ---------------------------------------------------------------------------
    def _webhook_body(self, base: str, uid: str) -> Json:
        webhook = self.webhooks[uid]
        request = webhook["request"]
        return {
            **webhook,
            "uuid": uid,
            "request": {**request, "headers": _redacted(request.get("headers") or {})},
            "_links": {
                "self": {"href": f"{base}/webhooks/{uid}"},
                "pb:execute": {"href": f"{base}/webhooks/{uid}/execute"},
            },
        }

    async def webhooks_resource(self, request: Request) -> Response:
        b = self._base(request)
        items = [{"uuid": u, "_links": {"self": {"href": f"{b}/webhooks/{u}"}}} for u in self.webhooks]
        return _hal({"_links": {"self": {"href": f"{b}/webhooks"}, "pb:webhooks": items}})

    async def webhooks_of_provider(self, request: Request) -> Response:
        provider, b = request.path_params["provider"], self._base(request)
        items = [
            {"href": f"{b}/webhooks/{u}", "name": w.get("description")}
            for u, w in self.webhooks.items()
            if (w.get("provider") or {}).get("name") == provider
        ]
        return _hal({"_links": {"self": {"href": f"{b}/webhooks/provider/{_q(provider)}"}, "pb:webhooks": items}})

    async def webhook(self, request: Request) -> Response:
        uid = request.path_params["uuid"]
        b = self._base(request)
        if request.method == "GET":
            return _hal(self._webhook_body(b, uid)) if uid in self.webhooks else _not_found(f"webhook {uid}")
        body = await request.json()
        request_part = body.get("request") or {}
        if not body.get("events") or not request_part.get("url") or not request_part.get("method"):
            return _hal({"errors": {"request": ["url, method and at least one event are required"]}}, 400)
        if urlsplit(request_part["url"]).hostname not in LOOPBACK_HOSTS:  # the whitelist docs/broker-tests.md sets
            whitelist = ", ".join(f'"{host}"' for host in LOOPBACK_HOSTS)
            return _hal({"errors": {"request.url": [f"host must be in the whitelist {whitelist}."]}}, 400)
        for role in ("provider", "consumer"):
            if role in body and (body[role] or {}).get("name") not in self.pacticipants:
                return _hal({"errors": {f"{role}.name": ["does not match an existing pacticipant"]}}, 400)
        existed = uid in self.webhooks
        self.webhooks[uid] = body
        return _hal(self._webhook_body(b, uid), 200 if existed else 201)

    async def execute_webhook(self, request: Request) -> Response:
        uid = request.path_params["uuid"]
        if uid not in self.webhooks:
            return _not_found(f"webhook {uid}")
        webhook = self.webhooks[uid]
        b = self._base(request)
        sample = self._sample_template_values(b, webhook)
        rendered = json.loads(_render(json.dumps(webhook["request"]), sample))
        status = await asyncio.to_thread(_send, rendered)
        return _hal(
            {
                "request": {**rendered, "headers": _redacted(rendered.get("headers") or {})},
                "response": {"status": status},
                "success": 200 <= status < 300,
                "_links": {"webhook": {"href": f"{b}/webhooks/{uid}"}},
            }
        )

    def _sample_template_values(self, base: str, webhook: Json) -> dict[str, str]:
        """Template values from the latest pact for the webhook's provider, as a test execution uses."""
        provider = (webhook.get("provider") or {}).get("name")
        pubs = [p for p in self.publications if provider in (None, p.provider)]
        pub = self._latest(pubs)
        values = {f"user.{s['name']}": s["value"] for s in self.secrets.values()}  # PactFlow sends the secret
        if pub:
            verification = max(
                (v for v in self.verifications if (v.provider, v.sha) == (pub.provider, pub.sha)),
                key=lambda v: v.id,
                default=None,
            )
            provider_branches = (
                self.version_branches(pub.provider, verification.provider_version) if verification else []
            )
            values |= {
                "pactbroker.pactUrl": self._pact_href(base, pub.provider, pub.consumer, pub.sha)
                + "/metadata/"
                + _metadata(cvn=pub.consumer_version, w="true"),
                "pactbroker.consumerName": pub.consumer,
                "pactbroker.providerName": pub.provider,
                "pactbroker.consumerVersionNumber": pub.consumer_version,
                "pactbroker.consumerVersionBranch": ", ".join(
                    self.versions[(pub.consumer, pub.consumer_version)].branches
                ),
                "pactbroker.providerVersionNumber": verification.provider_version if verification else "",
                "pactbroker.providerVersionBranch": provider_branches[-1] if provider_branches else "",
            }
        return values

    async def secrets_resource(self, request: Request) -> Response:
        b = self._base(request)
        if request.method == "GET":
            items = [
                {
                    "uuid": u,
                    "name": s["name"],
                    "description": s.get("description"),
                    "_links": {"self": {"href": f"{b}/secrets/{u}"}},
                }
                for u, s in self.secrets.items()
            ]
            return _hal({"_embedded": {"secrets": items}, "_links": {"self": {"href": f"{b}/secrets"}}})
        body = await request.json()
        if not body.get("name") or not body.get("value"):
            return _hal({"errors": {"value": ["name and value are required"]}}, 400)
        if any(s["name"] == body["name"] for s in self.secrets.values()):
            return _hal({"errors": {"name": ["a secret with this name already exists"]}}, 400)
        uid = str(uuid.uuid4())
        self.secrets[uid] = body
        return _hal({"uuid": uid, "name": body["name"], "_links": {"self": {"href": f"{b}/secrets/{uid}"}}}, 201)

    async def secret(self, request: Request) -> Response:
        uid = request.path_params["uuid"]
        if uid not in self.secrets:
            return _not_found(f"secret {uid}")
        body = await request.json()
        self.secrets[uid] = {**self.secrets[uid], **body}
        b = self._base(request)
        return _hal(
            {"uuid": uid, "name": self.secrets[uid]["name"], "_links": {"self": {"href": f"{b}/secrets/{uid}"}}}
        )


def _metadata(**values: str) -> str:
    """The broker's webhook metadata path segment: url-safe base64 of a query string."""
    return base64.urlsafe_b64encode(urlencode(values).encode()).decode().rstrip("=")


def _redacted(headers: dict[str, str]) -> dict[str, str]:
    """Headers as the broker shows them: credentials starred out."""
    return {name: "**********" if name.lower() == "authorization" else value for name, value in headers.items()}


def _send(rendered: Json) -> int:
    """Send a webhook request, to loopback hosts only (the whitelist docs/broker-tests.md gives a real
    broker): no test may make a broker call out of this machine."""
    url = rendered["url"]
    if urlsplit(url).hostname not in LOOPBACK_HOSTS:
        msg = f"the broker double sends webhooks to loopback hosts only, not {url}"
        raise ValueError(msg)
    body = rendered.get("body")
    data = (body if isinstance(body, str) else json.dumps(body)).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=rendered["method"], headers=rendered.get("headers") or {})  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - loopback only, checked above
            return int(response.status)
    except urllib.error.HTTPError as error:
        return error.code


def _render(template: str, values: dict[str, str]) -> str:
    return re.sub(r"\$\{([\w.]+)\}", lambda m: values.get(m.group(1), m.group(0)), template)


@contextlib.contextmanager
def running_broker(double: BrokerDouble, path: str = "") -> Iterator[str]:
    """Serve `double` with uvicorn on a free loopback port, under `path` (`/pact-broker`); yields its base URL."""
    app = Starlette(routes=[Mount(path, app=double.app)]) if path else double.app
    with serve_in_thread(app, ready_path=f"{path}/health") as base_url:
        yield base_url + path
