"""The HTTP API: `create_app(...)` builds the FastAPI application around a database.

The engine is made, the schema prepared (`db.prepare`) and the relay started in the app's
lifespan. The routes are `routes.py`'s; how the API reads and answers (strict JSON in, UTF-8
JSON out, errors included) is `http_json.py`'s job, which hosts it answers to `hosts.py` names, and
the docs page `api_docs.py`'s.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Collection, Sequence
from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI, Request
from fastapi.params import Depends as Dependency
from pydantic import SecretStr
from sqlalchemy import URL
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError

from example_provider import __version__
from example_provider.api_docs import add_docs
from example_provider.auth import require_bearer_token
from example_provider.db import database_url, make_engine, prepare
from example_provider.deps import Database
from example_provider.events import Publisher, PublishError
from example_provider.hosts import LOOPBACK_HOSTS
from example_provider.http_json import (
    AllowedHosts,
    BodyLimit,
    HeadAsGet,
    HeadLimit,
    JSONUTF8Response,
    NoSniff,
    StrictJSONRoute,
    answer_errors_as_json,
)
from example_provider.publishers import LogPublisher, SnsPublisher
from example_provider.relay import Relay
from example_provider.routes import MAX_BODY_BYTES, router
from example_provider.server_options import MAX_HEADER_BYTES
from example_provider.settings import ServerSettings, SettingsError
from example_provider.verifier_endpoints import MESSAGES_PATH, PROVIDER_STATES_PATH, add_verifier_endpoints, is_loopback

logger = logging.getLogger(__name__)

PUBLIC_PATHS = frozenset({"/health", "/docs", "/openapi.json"})  # open even with an API token


def create_app(  # noqa: PLR0913 - each keyword is one thing a team configures
    database: URL | str | None = None,
    *,
    provider_states: bool = False,
    allow_non_loopback: bool = False,
    api_token: SecretStr | None = None,
    dependencies: Sequence[Dependency] = (),
    publisher: Publisher | None = None,
    relay: bool = True,
    allowed_hosts: Collection[str] = LOOPBACK_HOSTS,
) -> FastAPI:
    """Build the API.

    Args:
        database: a SQLAlchemy URL; the SQLite file `example-provider.db` in the working folder when omitted.
        provider_states: also serve the endpoints Pact verifiers use (`verifier_endpoints.py`),
            which let any caller rewrite the data. For verification only.
        allow_non_loopback: accept state changes addressed to any host, not only loopback
            (a verifier reaching the server inside a container).
        api_token: when given, every route but `PUBLIC_PATHS` answers 401 without
            `Authorization: Bearer <api_token>`, the state endpoint and routes added later included.
        dependencies: app-wide dependencies, applied to every route after the token check.
        publisher: where the relay publishes product events; the server log when omitted.
        relay: run the relay in this server (off when `example-provider relay` runs it).
        allowed_hosts: the host names (any port) requests may be addressed to; `*` for any.
            Others get 400, token or not (`hosts.py`).
    """
    url = database if isinstance(database, URL) else database_url(database)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = make_engine(url)
        prepare(engine)
        app.state.engine = engine
        app.state.database = Database(engine)
        app.state.relay = Relay(engine, publisher if publisher is not None else LogPublisher())
        if relay:
            app.state.relay.start()
        try:
            yield
        finally:
            app.state.relay.stop()
            engine.dispose()

    if api_token is not None:
        dependencies = [Depends(require_bearer_token(api_token, public_paths=PUBLIC_PATHS)), *dependencies]
    app = FastAPI(
        title="example-provider",
        version=__version__,
        description="Product API verified against its consumers' Pact contracts.",
        default_response_class=JSONUTF8Response,
        dependencies=list(dependencies),
        lifespan=lifespan,
        openapi_url=None,  # served below, as UTF-8 JSON like every other response
        docs_url=None,
        redoc_url=None,
        redirect_slashes=False,  # `/products/` is an empty product id: a JSON 404, not a redirect
    )
    app.router.route_class = StrictJSONRoute  # before the first route: each one reads JSON strictly
    app.add_middleware(BodyLimit, limit=MAX_BODY_BYTES)
    app.add_middleware(HeadAsGet)
    app.add_middleware(HeadLimit, limit=MAX_HEADER_BYTES)
    app.add_middleware(AllowedHosts, allowed=allowed_hosts)
    app.add_middleware(NoSniff)  # the outermost: on every answer, a refused host's included
    answer_errors_as_json(app)

    @app.exception_handler(DBAPIError)  # the driver's errors: gone, refused, read-only after a failover
    @app.exception_handler(PoolTimeoutError)  # every connection busy for 30 s: a database that hangs
    async def database_unavailable(_: Request, error: Exception) -> JSONUTF8Response:
        logger.warning("the database is unavailable: %s", str(error).splitlines()[0])
        return JSONUTF8Response({"detail": "the database is unavailable: try again"}, status_code=503)

    add_docs(app)
    app.include_router(router)
    if provider_states:
        add_verifier_endpoints(app, allow_non_loopback=allow_non_loopback)
    return app


def app_from_settings(settings: ServerSettings) -> FastAPI:
    """The app as the settings say: what `example-provider` and `example_provider.main:app` serve.

    Raises `SettingsError` for settings that cannot be served as they are.
    """
    check_exposure(settings)
    if settings.api_token is None:
        logger.warning("API_TOKEN is not set: the API accepts requests without a token")
    if settings.provider_states_enabled:
        logger.warning(
            "provider-state endpoint ENABLED at POST %s (and %s): any caller%s can rewrite the data; "
            "use it only to verify contracts, never in production",
            PROVIDER_STATES_PATH,
            MESSAGES_PATH,
            " with the API token" if settings.api_token else "",
        )
    return create_app(
        settings.database,
        provider_states=settings.provider_states_enabled,
        allow_non_loopback=settings.provider_states_allow_non_loopback,
        api_token=settings.api_token,
        publisher=events_publisher(settings),
        relay=settings.relay_enabled,
        allowed_hosts=settings.allowed_hosts,
    )


def check_exposure(settings: ServerSettings) -> None:
    """Refuse to expose the state-change endpoint beyond this machine unless asked to."""
    if (
        settings.provider_states_enabled
        and not is_loopback(settings.host)
        and not settings.provider_states_allow_non_loopback
    ):
        msg = (
            "PROVIDER_STATES_ENABLED (--provider-states) on non-loopback HOST (--host) "
            f"{settings.host!r} would let anyone rewrite the data: bind 127.0.0.1, or set "
            "PROVIDER_STATES_ALLOW_NON_LOOPBACK=true (--allow-non-loopback) if you mean it"
        )
        raise SettingsError(msg)


def events_publisher(settings: ServerSettings) -> Publisher:
    """SNS when a topic is set (only then is boto3 loaded), else the server log."""
    topic = settings.product_events_topic_arn
    logger.info("product events go to %s", f"SNS topic {topic}" if topic else "the server log")
    try:
        return SnsPublisher(topic) if topic else LogPublisher()
    except PublishError as error:
        msg = f"PRODUCT_EVENTS_TOPIC_ARN: {error}"
        raise SettingsError(msg) from None
