"""The opt-in endpoints Pact verifiers use: provider-state changes, and messages.

Only `create_app(..., provider_states=True)` serves them: whoever reaches them can rewrite the
data, every product row of the database. Both take only JSON (a web page's simple cross-site
POST cannot) addressed to a loopback host (a DNS-rebinding name cannot), unless
`allow_non_loopback`. Failures answer 400, not 500:
verifiers retry a 5xx for minutes, and what failed once fails again.
"""

from __future__ import annotations

import base64
import ipaddress
import json
import logging
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from fastapi import Depends, FastAPI, Header, HTTPException, Response
from pydantic import BaseModel, Field, ValidationError
from sqlalchemy.orm import Session

from example_provider import products
from example_provider.deps import DatabaseDep
from example_provider.events import ProductEvent
from example_provider.messages import MessageError, message_for, verification_metadata
from example_provider.provider_states import DEFAULT_PRODUCT, UnknownProviderStateError, set_up, set_up_all

logger = logging.getLogger(__name__)

PROVIDER_STATES_PATH = "/_pact/provider-states"
MESSAGES_PATH = "/_pact/messages"


class ProviderStateChange(BaseModel):
    """The body Pact verifiers send to a provider-state change URL."""

    state: str
    params: dict[str, Any] = Field(default_factory=dict)
    action: Literal["setup", "teardown"] = "setup"


class ProviderState(BaseModel):
    name: str
    params: dict[str, Any] = Field(default_factory=dict)


class MessageRequest(BaseModel):
    """The body Pact verifiers send to a message transport."""

    description: str
    provider_states: list[ProviderState] = Field(default_factory=list, alias="providerStates")
    request: Any = None  # only a synchronous (request/response) message has one


def is_loopback(host: str) -> bool:
    """Whether `host` is `localhost` or an address in 127.0.0.0/8 or ::1 (brackets allowed)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False  # a host name: it may resolve anywhere


def _hostname(host_header: str) -> str:
    """The host name in a `Host` header (`name[:port]`, `[v6]:port`); empty when it is not one."""
    try:
        return urlsplit(f"//{host_header}").hostname or ""
    except ValueError:
        return ""


def add_verifier_endpoints(app: FastAPI, *, allow_non_loopback: bool) -> None:
    """Serve `POST /_pact/provider-states` and `POST /_pact/messages` on `app`."""

    async def from_a_local_verifier(
        host: Annotated[str, Header()] = "", content_type: Annotated[str, Header()] = ""
    ) -> None:
        """Refuse what a web page could send: a simple cross-site POST, or a DNS-rebinding host name."""
        if content_type.split(";")[0].strip().lower() != "application/json":
            detail = "requests to the verifier endpoints must be sent as application/json"
            raise HTTPException(status_code=415, detail=detail)
        if not allow_non_loopback and not is_loopback(_hostname(host)):
            detail = f"the verifier endpoints accept only a loopback host, not {host!r}"
            raise HTTPException(status_code=403, detail=detail)

    @app.post(PROVIDER_STATES_PATH, include_in_schema=False, dependencies=[Depends(from_a_local_verifier)])
    async def change_provider_state(change: ProviderStateChange, database: DatabaseDep) -> dict[str, Any]:
        """Set up or tear down a provider state in one transaction; answers the values a setup hands back.

        Verifiers resolve the consumer's `fromProviderState` expressions against this object,
        merged with the state's params. Teardown restores the seed; so does a failed setup,
        which answers 400 saying why.
        """
        return await database.run(_change_state, change)

    @app.post(MESSAGES_PATH, include_in_schema=False, dependencies=[Depends(from_a_local_verifier)])
    async def message(request: MessageRequest, database: DatabaseDep) -> Response:
        """The Pact message protocol: the contents as the body, the metadata as base64 JSON in a header.

        The message is about the product the interaction's own states (in the request) hand back
        (`{"id": ...}`). They are applied again in a transaction that is rolled back: the
        verifier set them up already, and nothing of an earlier interaction can leak in.
        """
        if request.request is not None:
            detail = (
                f"{request.description!r} is a synchronous (request/response) message: "
                "this provider publishes events and answers no message requests"
            )
            logger.warning("%s", detail)  # the verifier shows only the status of a synchronous message's 400
            raise HTTPException(status_code=400, detail=detail)
        event = await database.run(_message, request)
        metadata = base64.b64encode(json.dumps(verification_metadata(event)).encode()).decode()
        return Response(
            event.body, media_type=event.metadata["Content-Type"], headers={"Pact-Message-Metadata": metadata}
        )


def one_line(error: Exception) -> str:
    """An error as one line; a pydantic error as its fields and reasons, never the input it refused."""
    if isinstance(error, ValidationError):
        return "; ".join(
            f"{'.'.join(str(part) for part in problem['loc'])}: {problem['msg']}"
            for problem in error.errors(include_url=False, include_input=False)
        )
    return str(error).splitlines()[0] if str(error) else type(error).__name__


def _change_state(session: Session, change: ProviderStateChange) -> dict[str, Any]:
    try:
        if change.action == "teardown":
            products.restore_seed(session)
            values = {}
        else:
            values = set_up(session, change.state, change.params)
        session.commit()
    except Exception as error:
        session.rollback()
        products.restore_seed(session)
        session.commit()
        unknown = isinstance(error, UnknownProviderStateError)
        detail = str(error) if unknown else f"provider state {change.state!r} failed: {one_line(error)}"
        logger.warning("%s; the seed is restored", detail)
        logger.debug("provider state %r (%s, params=%r)", change.state, change.action, change.params, exc_info=True)
        raise HTTPException(status_code=400, detail=detail) from None
    return values


def _message(session: Session, request: MessageRequest) -> ProductEvent:
    try:
        values = set_up_all(session, [(state.name, state.params) for state in request.provider_states])
        return message_for(request.description, str(values.get("id", DEFAULT_PRODUCT.id)), session)
    except (MessageError, UnknownProviderStateError, ValueError) as error:
        raise HTTPException(status_code=400, detail=one_line(error)) from None
    finally:
        session.rollback()
