"""The routes' dependencies: a database session per request, and the relay to wake after a write."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from example_provider.relay import Relay


def get_session(request: Request) -> Iterator[Session]:
    with Session(request.app.state.engine) as session:
        yield session


def get_relay(request: Request) -> Relay:
    relay: Relay = request.app.state.relay
    return relay


SessionDep = Annotated[Session, Depends(get_session)]
RelayDep = Annotated[Relay, Depends(get_relay)]
