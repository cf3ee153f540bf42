"""`example-provider`: serve the API with uvicorn, `migrate` its database, or run the event `relay`.

Flags override settings.
"""

from __future__ import annotations

import argparse
import atexit
import gc
import logging
import os
import signal
import sys
from collections.abc import Sequence
from typing import Any

import uvicorn

from example_provider import __version__
from example_provider.app import check_exposure, events_publisher
from example_provider.db import DatabaseError, check_schema, is_sqlite, make_engine, migrate, prepare, shown
from example_provider.hosts import LOOPBACK_HOSTS
from example_provider.relay import Relay
from example_provider.server_options import HTTP_PARSER, MAX_HEADER_BYTES, WEBSOCKETS
from example_provider.settings import ServerSettings, SettingsError, env_name, load_settings
from example_provider.verifier_endpoints import MESSAGES_PATH, PROVIDER_STATES_PATH, is_loopback

APP = "example_provider.main:app"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="example-provider",
        description="Serve the example product API. Every flag overrides its setting (env or .env).",
    )
    parser.add_argument(
        "command",
        nargs="?",
        choices=["serve", "migrate", "relay"],
        default="serve",
        help="serve (the default): the API; migrate: bring the database's schema up to date; "
        "relay: publish the outbox's product events, for servers started with RELAY_ENABLED=false",
    )
    parser.add_argument("--host", help="address to bind (HOST, default 127.0.0.1)")
    parser.add_argument("--port", type=int, help="port to listen on (PORT, default 8000; 0 picks a free one)")
    parser.add_argument("--workers", type=int, help="server processes (WORKERS, default 1; more need PostgreSQL)")
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


def _overrides(args: argparse.Namespace) -> dict[str, Any]:
    flags = {
        "host": args.host,
        "port": args.port,
        "workers": args.workers,
        "log_level": args.log_level,
        "access_log": args.access_log,
        "provider_states_enabled": args.provider_states,
        "provider_states_allow_non_loopback": args.allow_non_loopback,
    }
    return {name: value for name, value in flags.items() if value is not None}


def serve(settings: ServerSettings, overrides: dict[str, Any]) -> None:
    """Check what can be checked in one line, then serve `example_provider.main:app` in each worker."""
    check_exposure(settings)
    if settings.workers > 1 and is_sqlite(settings.database):
        msg = (
            f"WORKERS (--workers) {settings.workers}: SQLite serves one process; "
            "set DATABASE_URL=postgresql+psycopg://... for more"
        )
        raise SettingsError(msg)
    if loopback_only_hosts(settings):
        logging.getLogger(__name__).warning(
            "HOST %s is reachable from other machines, but ALLOWED_HOSTS admits only loopback names: "
            "requests naming this server otherwise get 400; set ALLOWED_HOSTS to the names clients use",
            settings.host,
        )
    engine = make_engine(settings.database)
    try:
        prepare(engine)
    finally:
        engine.dispose()
    # The workers build the app from the settings as `uvicorn example_provider.main:app` would: flags go as settings.
    for name, value in overrides.items():
        os.environ[env_name(ServerSettings, name)] = str(value).lower() if isinstance(value, bool) else str(value)
    uvicorn.run(
        APP,
        host=settings.host,
        port=settings.port,
        workers=settings.workers,
        log_level=settings.log_level,
        access_log=settings.access_log,
        http=HTTP_PARSER,
        h11_max_incomplete_event_size=MAX_HEADER_BYTES,
        ws=WEBSOCKETS,
    )


def run_relay(settings: ServerSettings) -> None:
    """Publish the outbox until SIGTERM or Ctrl-C."""
    engine = make_engine(settings.database)
    try:
        check_schema(engine)
        relay = Relay(engine, events_publisher(settings))
        signal.signal(signal.SIGTERM, lambda *_: relay.stop())
        logging.getLogger(__name__).info("relaying product events from %s", shown(settings.database))
        relay.run()
    except KeyboardInterrupt:
        pass
    finally:
        engine.dispose()


def loopback_only_hosts(settings: ServerSettings) -> bool:
    """Whether the server binds beyond loopback but answers only loopback names (the default ALLOWED_HOSTS).

    Warned about, not refused: safe, and right for a container reached through a forwarded port.
    """
    return not is_loopback(settings.host) and set(settings.allowed_hosts) <= set(LOOPBACK_HOSTS)


def main(argv: Sequence[str] | None = None) -> int:
    # Exit without a garbage collection over every object the imports made (0.2 s): so nothing may
    # rely on a finalizer at exit, and each command disposes of its engine itself.
    atexit.register(gc.freeze)
    args = _parser().parse_args(argv)
    overrides = _overrides(args)
    try:
        settings = load_settings(ServerSettings, **overrides)
        logging.basicConfig(level=settings.log_level.upper() if settings.log_level != "trace" else "DEBUG")
        if args.command == "migrate":
            engine = make_engine(settings.database)
            try:
                migrate(engine)
            finally:
                engine.dispose()  # closes SQLite's connections, which folds its write-ahead log into the file
            print(f"example-provider: {shown(settings.database)} is migrated")  # noqa: T201 - CLI output
        elif args.command == "relay":
            run_relay(settings)
        else:
            serve(settings, overrides)
    except SettingsError as error:
        print(f"example-provider: {error}", file=sys.stderr)  # noqa: T201 - CLI output
        return 1
    except DatabaseError as error:
        print(f"example-provider: DATABASE_URL: {error}", file=sys.stderr)  # noqa: T201 - CLI output
        return 1
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
