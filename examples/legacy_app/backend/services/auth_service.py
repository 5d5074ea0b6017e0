"""Registration, login, token refresh and logout."""

import logging
import time
from dataclasses import dataclass
from typing import Optional

from sqlalchemy import select

from backend.database.models import User
from backend.database.session import SessionLocal
from backend.services.jwt_service import TokenError, get_jwt_service
from backend.services.password_service import get_password_service
from backend.services.token_store import get_token_store

logger = logging.getLogger(__name__)


class AuthError(Exception):
    def __init__(self, message: str, status_code: int = 401):
        super().__init__(message)
        self.status_code = status_code


@dataclass
class TokenPair:
    access_token: str
    refresh_token: str
    token_type: str = "bearer"


@dataclass
class AuthenticatedUser:
    id: int
    email: str
    display_name: str


class AuthService:
    def __init__(self):
        self.jwt = get_jwt_service()
        self.passwords = get_password_service()
        self.tokens = get_token_store()

    async def register(self, email: str, password: str, display_name: str = "") -> AuthenticatedUser:
        email = email.strip().lower()
        if not self.passwords.is_strong_enough(password):
            raise AuthError("password must have 8+ characters and a digit", status_code=422)
        if self._find_user(email) is not None:
            raise AuthError("email already registered", status_code=409)
        user = self._insert_user(email, self.passwords.hash_password(password), display_name)
        logger.info("registered user %s", user.id)
        return user

    async def login(self, email: str, password: str) -> tuple[AuthenticatedUser, TokenPair]:
        row = self._find_user(email.strip().lower())
        if row is None or not self.passwords.verify_password(password, row.password_hash):
            raise AuthError("invalid email or password")
        user = AuthenticatedUser(row.id, row.email, row.display_name)
        return user, self._issue_tokens(user)

    async def refresh(self, refresh_token: str) -> TokenPair:
        try:
            claims = self.jwt.decode_token(refresh_token, expected_type="refresh")
        except TokenError as exc:
            raise AuthError(str(exc)) from exc
        if not self.tokens.is_refresh_token_valid(claims["jti"]):
            raise AuthError("refresh token revoked")
        self.tokens.revoke_refresh_token(claims["jti"])
        row = self._get_user(int(claims["sub"]))
        if row is None:
            raise AuthError("user no longer exists")
        return self._issue_tokens(AuthenticatedUser(row.id, row.email, row.display_name))

    async def logout(self, access_token: str) -> None:
        claims = self.verify_access_token(access_token)
        self.tokens.blacklist(claims["jti"], int(claims["exp"] - time.time()))

    def verify_access_token(self, token: str) -> dict:
        try:
            claims = self.jwt.decode_token(token, expected_type="access")
        except TokenError as exc:
            raise AuthError(str(exc)) from exc
        if self.tokens.is_blacklisted(claims["jti"]):
            raise AuthError("token revoked")
        return claims

    def _issue_tokens(self, user: AuthenticatedUser) -> TokenPair:
        refresh = self.jwt.create_refresh_token(user.id)
        claims = self.jwt.decode_token(refresh, expected_type="refresh")
        self.tokens.save_refresh_token(user.id, claims["jti"], int(claims["exp"] - claims["iat"]))
        return TokenPair(self.jwt.create_access_token(user.id, user.email), refresh)

    def _find_user(self, email: str) -> Optional[User]:
        with SessionLocal() as db:
            return db.scalars(select(User).where(User.email == email)).first()

    def _get_user(self, user_id: int) -> Optional[User]:
        with SessionLocal() as db:
            return db.get(User, user_id)

    def _insert_user(self, email: str, password_hash: str, display_name: str) -> AuthenticatedUser:
        with SessionLocal() as db:
            user = User(email=email, password_hash=password_hash, display_name=display_name)
            db.add(user)
            db.commit()
            return AuthenticatedUser(user.id, user.email, user.display_name)


_auth_service: Optional[AuthService] = None


def get_auth_service() -> AuthService:
    """Get or create the auth service singleton."""
    global _auth_service
    if _auth_service is None:
        _auth_service = AuthService()
    return _auth_service
