"""Who is calling: the bearer token's account, and the user key of the user's scope."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Header, WebSocket, WebSocketException, status
from starlette.requests import HTTPConnection

from app.auth import Account, Authenticator, TokenIssuer
from app.errors import AuthError
from rescope.fastapi import Inject


def bearer_token(connection: HTTPConnection) -> str:
    """The token of ``Authorization: Bearer ...``, or of ``?token=`` (websockets)."""
    scheme, _, token = connection.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer" and token:
        return token
    return connection.query_params.get("token", "")


def user_key(connection: HTTPConnection) -> str | None:
    """The user whose SESSION scope serves this request or websocket (None: anonymous).

    Only the signature is checked here; revocation is checked by :func:`current_account`.
    """
    token = bearer_token(connection)
    if not token:
        return None
    issuer: TokenIssuer = connection.app.state.rescope.container.get(TokenIssuer)
    return issuer.user_of(token)


async def current_account(
    auth: Inject[Authenticator], authorization: Annotated[str, Header()] = ""
) -> Account:
    """The account of the request's bearer token (401 problem+json without a valid one)."""
    scheme, _, token = authorization.partition(" ")
    return await auth.authenticate(token if scheme.lower() == "bearer" else "")


async def websocket_account(websocket: WebSocket, auth: Inject[Authenticator]) -> Account:
    """The account of a websocket's ``?token=``; the connection is refused (1008) without one."""
    try:
        return await auth.authenticate(bearer_token(websocket))
    except AuthError as exc:
        raise WebSocketException(code=status.WS_1008_POLICY_VIOLATION, reason=exc.detail) from exc


CurrentAccount = Annotated[Account, Depends(current_account)]
WebSocketAccount = Annotated[Account, Depends(websocket_account)]
