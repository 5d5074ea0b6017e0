"""Registration, login, token refresh, logout and the audit log."""

from __future__ import annotations

from fastapi import APIRouter, Response
from pydantic import BaseModel

from app.analytics import Analytics
from app.auth import AuditLog, AuthService, TokenPair
from app.routes.deps import CurrentAccount
from rescope.fastapi import Inject

router = APIRouter(prefix="/api/v1/auth", tags=["auth"])


class RegisterBody(BaseModel):
    email: str
    password: str
    display_name: str = ""


class LoginBody(BaseModel):
    email: str
    password: str


class RefreshBody(BaseModel):
    refresh_token: str


def _tokens(pair: TokenPair) -> dict[str, str]:
    return {
        "access_token": pair.access_token,
        "refresh_token": pair.refresh_token,
        "token_type": "bearer",
    }


@router.post("/register", status_code=201)
async def register(body: RegisterBody, auth: Inject[AuthService]) -> dict[str, object]:
    user = await auth.register(body.email, body.password, body.display_name)
    return {"id": user.id, "email": user.email, "display_name": user.display_name}


@router.post("/login")
async def login(
    body: LoginBody, auth: Inject[AuthService], analytics: Inject[Analytics]
) -> dict[str, object]:
    user, tokens = await auth.login(body.email, body.password)
    await analytics.track(user.id, "login")
    return {"user": {"id": user.id, "email": user.email}, "tokens": _tokens(tokens)}


@router.post("/refresh")
async def refresh(body: RefreshBody, auth: Inject[AuthService]) -> dict[str, str]:
    return _tokens(await auth.refresh(body.refresh_token))


@router.post("/logout", status_code=204)
async def logout(account: CurrentAccount, auth: Inject[AuthService]) -> Response:
    await auth.logout(account)
    return Response(status_code=204)


@router.get("/me")
async def me(account: CurrentAccount) -> dict[str, object]:
    return {"id": account.id, "email": account.email}


@router.get("/audit-log")
async def audit_log(account: CurrentAccount, audit: Inject[AuditLog]) -> dict[str, object]:
    return {"entries": await audit.entries_for(account.id)}
