"""`example-provider`: serve the API with uvicorn. Flags override settings."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from typing import Any

import uvicorn

from example_provider import __version__
from example_provider.app import create_app
from example_provider.events import Publisher, PublishError
from example_provider.hosts import LOOPBACK_HOSTS
from example_provider.publishers import LogPublisher, SnsPublisher
from example_provider.server_options import HTTP_PARSER, MAX_HEADER_BYTES
from example_provider.settings import ServerSettings, SettingsError, load_settings
from example_provider.verifier_endpoints import MESSAGES_PATH, PROVIDER_STATES_PATH, is_loopback


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="example-provider",
        description="Serve the example product API. Every flag overrides its setting (env or .env).",
    )
    parser.add_argument("--host", help="address to bind (HOST, default 127.0.0.1)")
    parser.add_argument("--port", type=int, help="port to listen on (PORT, default 8000; 0 picks a free one)")
    parser.add_argument("--log-level", help="critical, error, warning, info, debug or trace (LOG_LEVEL)")
    parser.add_argument(
        "--access-log",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="log every request (ACCESS_LOG, default off)",
    )
    parser.add_argument(
        "--provider-states",
        action="store_true",
        default=None,
        help=f"also serve POST {PROVIDER_STATES_PATH} and {MESSAGES_PATH} for Pact verifiers (PROVIDER_STATES_ENABLED)",
    )
    parser.add_argument(
        "--allow-non-loopback",
        action="store_true",
        default=None,
        help="allow --provider-states on a non-loopback address (PROVIDER_STATES_ALLOW_NON_LOOPBACK)",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    return parser


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


def loopback_only_hosts(settings: ServerSettings) -> bool:
    """Whether the server binds beyond loopback but answers only loopback names (the default ALLOWED_HOSTS).

    Warned about, not refused: safe, and right for a container reached through a forwarded port.
    """
    return not is_loopback(settings.host) and set(settings.allowed_hosts) <= set(LOOPBACK_HOSTS)


def events_publisher(settings: ServerSettings) -> Publisher:
    """SNS when a topic is set (only then is boto3 loaded), else the server log."""
    topic = settings.product_events_topic_arn
    logging.getLogger(__name__).info("product events go to %s", f"SNS topic {topic}" if topic else "the server log")
    return SnsPublisher(topic) if topic else LogPublisher()


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    overrides: dict[str, Any] = {
        name: value
        for name, value in (
            ("host", args.host),
            ("port", args.port),
            ("log_level", args.log_level),
            ("access_log", args.access_log),
            ("provider_states_enabled", args.provider_states),
            ("provider_states_allow_non_loopback", args.allow_non_loopback),
        )
        if value is not None
    }
    try:
        settings = load_settings(ServerSettings, **overrides)
        check_exposure(settings)
    except SettingsError as error:
        print(f"example-provider: {error}", file=sys.stderr)  # noqa: T201 - CLI output
        return 1

    logging.basicConfig(level=settings.log_level.upper() if settings.log_level != "trace" else "DEBUG")
    logger = logging.getLogger(__name__)
    if settings.api_token is None:
        logger.warning("API_TOKEN is not set: the API accepts requests without a token")
    if loopback_only_hosts(settings):
        logger.warning(
            "HOST %s is reachable from other machines, but ALLOWED_HOSTS admits only loopback names: "
            "requests naming this server otherwise get 400; set ALLOWED_HOSTS to the names clients use",
            settings.host,
        )
    if settings.provider_states_enabled:
        logger.warning(
            "provider-state endpoint ENABLED at POST %s (and %s): any caller%s can rewrite the data; "
            "use it only to verify contracts, never in production",
            PROVIDER_STATES_PATH,
            MESSAGES_PATH,
            " with the API token" if settings.api_token else "",
        )
    try:
        publisher = events_publisher(settings)
    except PublishError as error:
        print(f"example-provider: PRODUCT_EVENTS_TOPIC_ARN: {error}", file=sys.stderr)  # noqa: T201 - CLI output
        return 1
    app = create_app(
        provider_states=settings.provider_states_enabled,
        allow_non_loopback=settings.provider_states_allow_non_loopback,
        api_token=settings.api_token,
        publisher=publisher,
        allowed_hosts=settings.allowed_hosts,
    )
    uvicorn.run(
        app,
        host=settings.host,
        port=settings.port,
        log_level=settings.log_level,
        access_log=settings.access_log,
        http=HTTP_PARSER,
        h11_max_incomplete_event_size=MAX_HEADER_BYTES,
    )
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
