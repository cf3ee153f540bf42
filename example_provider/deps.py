"""The routes' dependencies: a database session per request, and the relay to wake after a write."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from example_provider.relay import Relay


def get_session(request: Request) -> Iterator[Session]:
    session = Session(request.app.state.engine)
    try:
        yield session
    finally:
        # After the answer: a connection the database dropped mid-request cannot be rolled back, nor need be.
        with contextlib.suppress(DBAPIError):
            session.close()


def get_relay(request: Request) -> Relay:
    relay: Relay = request.app.state.relay
    return relay


SessionDep = Annotated[Session, Depends(get_session)]
RelayDep = Annotated[Relay, Depends(get_relay)]
