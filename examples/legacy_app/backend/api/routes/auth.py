from fastapi import APIRouter, Depends, HTTPException

from backend.api.deps import CurrentUser, get_current_user
from backend.api.schemas import (
    LoginRequest,
    LoginResponse,
    RefreshRequest,
    RegisterRequest,
    TokenResponse,
    UserResponse,
)
from backend.services.analytics_service import get_analytics_service
from backend.services.audit_service import get_audit_service
from backend.services.auth_service import AuthError, get_auth_service

router = APIRouter(prefix="/api/v1/auth", tags=["auth"])


@router.post("/register", status_code=201, response_model=UserResponse)
async def register(data: RegisterRequest):
    auth_service = get_auth_service()
    try:
        user = await auth_service.register(data.email, data.password, data.display_name)
    except AuthError as exc:
        raise HTTPException(status_code=exc.status_code, detail=str(exc)) from exc
    get_audit_service().record(user.id, "register")
    return UserResponse(id=user.id, email=user.email, display_name=user.display_name)


@router.post("/login", response_model=LoginResponse)
async def login(data: LoginRequest):
    auth_service = get_auth_service()
    try:
        user, tokens = await auth_service.login(data.email, data.password)
    except AuthError as exc:
        raise HTTPException(status_code=exc.status_code, detail=str(exc)) from exc
    get_audit_service().record(user.id, "login")
    await get_analytics_service().track_event(user.id, "login")
    return LoginResponse(
        user=UserResponse(id=user.id, email=user.email, display_name=user.display_name),
        tokens=TokenResponse(access_token=tokens.access_token, refresh_token=tokens.refresh_token),
    )


@router.post("/refresh", response_model=TokenResponse)
async def refresh(data: RefreshRequest):
    try:
        tokens = await get_auth_service().refresh(data.refresh_token)
    except AuthError as exc:
        raise HTTPException(status_code=exc.status_code, detail=str(exc)) from exc
    return TokenResponse(access_token=tokens.access_token, refresh_token=tokens.refresh_token)


@router.post("/logout", status_code=204)
async def logout(user: CurrentUser = Depends(get_current_user)):
    await get_auth_service().logout(user.token)
    get_audit_service().record(user.id, "logout")


@router.get("/me", response_model=UserResponse)
async def me(user: CurrentUser = Depends(get_current_user)):
    return UserResponse(id=user.id, email=user.email)


@router.get("/audit-log")
async def audit_log(user: CurrentUser = Depends(get_current_user)):
    return {"entries": get_audit_service().entries_for(user.id)}
