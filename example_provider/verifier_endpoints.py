"""The opt-in endpoints Pact verifiers use: provider-state changes, and messages.

Only `create_app(..., provider_states=True)` serves them: whoever reaches them can rewrite the
data. Both take only JSON (a web page's simple cross-site POST cannot) addressed to a loopback
host (a DNS-rebinding name cannot), unless `allow_non_loopback`. Failures answer 400, not 500:
verifiers retry a 5xx for minutes, and what failed once fails again.
"""

from __future__ import annotations

import base64
import ipaddress
import json
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from fastapi import Depends, FastAPI, Header, HTTPException, Response
from pydantic import BaseModel, Field

from example_provider.messages import MessageError, message_for, verification_metadata
from example_provider.products import ProductRepository
from example_provider.provider_states import DEFAULT_PRODUCT, ProviderStates, UnknownProviderStateError

PROVIDER_STATES_PATH = "/_pact/provider-states"
MESSAGES_PATH = "/_pact/messages"


class ProviderStateChange(BaseModel):
    """The body Pact verifiers send to a provider-state change URL."""

    state: str
    params: dict[str, Any] = Field(default_factory=dict)
    action: Literal["setup", "teardown"] = "setup"


class MessageRequest(BaseModel):
    """The body Pact verifiers send to a message transport (its `providerStates` were set up already)."""

    description: str


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


def add_verifier_endpoints(app: FastAPI, repository: ProductRepository, *, allow_non_loopback: bool) -> None:
    """Serve `POST /_pact/provider-states` and `POST /_pact/messages` on `app`."""
    states = ProviderStates(repository)

    def from_a_local_verifier(host: Annotated[str, Header()] = "", content_type: Annotated[str, Header()] = "") -> None:
        """Refuse what a web page could send: a simple cross-site POST, or a DNS-rebinding host name."""
        if content_type.split(";")[0].strip().lower() != "application/json":
            detail = "requests to the verifier endpoints must be sent as application/json"
            raise HTTPException(status_code=415, detail=detail)
        if not allow_non_loopback and not is_loopback(_hostname(host)):
            detail = f"the verifier endpoints accept only a loopback host, not {host!r}"
            raise HTTPException(status_code=403, detail=detail)

    @app.post(PROVIDER_STATES_PATH, include_in_schema=False, dependencies=[Depends(from_a_local_verifier)])
    def change_provider_state(change: ProviderStateChange) -> dict[str, Any]:
        """Set up or tear down a provider state; answers the values the setup hands back.

        Verifiers resolve the consumer's `fromProviderState` expressions against this object,
        merged with the state's params. A plain `def`: a state waits for the repository's lock,
        which a write holds while it publishes, so it runs in the thread pool, not the event loop.
        """
        try:
            return dict(states.handle(change.state, change.action, change.params))
        except UnknownProviderStateError as error:
            raise HTTPException(status_code=400, detail=str(error)) from None
        except Exception as error:  # noqa: BLE001 - logged with its traceback by ProviderStates.handle
            raise HTTPException(status_code=400, detail=f"provider state {change.state!r} failed: {error}") from None

    @app.post(MESSAGES_PATH, include_in_schema=False, dependencies=[Depends(from_a_local_verifier)])
    async def message(request: MessageRequest) -> Response:
        """The Pact message protocol: the contents as the body, the metadata as base64 JSON in a header.

        The message is about the product the interaction's states handed back (`{"id": ...}`).
        """
        product_id = str(states.values.get("id", DEFAULT_PRODUCT.id))
        try:
            event = message_for(request.description, product_id, repository)
        except MessageError as error:
            raise HTTPException(status_code=400, detail=str(error)) from None
        metadata = base64.b64encode(json.dumps(verification_metadata(event)).encode()).decode()
        return Response(
            event.body, media_type=event.metadata["Content-Type"], headers={"Pact-Message-Metadata": metadata}
        )
