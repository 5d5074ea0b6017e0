"""Request dependencies shared by the routers."""

from dataclasses import dataclass

from fastapi import Header, HTTPException

from backend.services.auth_service import AuthError, get_auth_service


@dataclass
class CurrentUser:
    id: int
    email: str
    token: str


async def get_current_user(authorization: str = Header(default="")) -> CurrentUser:
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise HTTPException(status_code=401, detail="missing bearer token")
    try:
        claims = get_auth_service().verify_access_token(token)
    except AuthError as exc:
        raise HTTPException(status_code=exc.status_code, detail=str(exc)) from exc
    return CurrentUser(id=int(claims["sub"]), email=claims["email"], token=token)
