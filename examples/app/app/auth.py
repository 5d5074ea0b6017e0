"""Accounts: password hashing, JWTs, the token store, and the services built on them."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
import uuid
from dataclasses import dataclass
from typing import Any

import jwt
from fastapi import Request
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.errors import AuthError, EmailTakenError, WeakPasswordError
from app.models import AuditEntry, User
from app.settings import AppSettings
from app.store import Store
from rescope.resources import run_cpu_bound


@dataclass(frozen=True)
class Account:
    """The authenticated user of a request."""

    id: int
    email: str
    token: str
    claims: dict[str, Any]


@dataclass(frozen=True)
class TokenPair:
    """An access token and the refresh token that renews it."""

    access_token: str
    refresh_token: str


class PasswordHasher:
    """PBKDF2-SHA256 password hashes; the hashing runs off the event loop."""

    def __init__(self, settings: AppSettings) -> None:
        self.iterations = settings.password_iterations

    async def hash(self, password: str) -> str:
        """A salted hash of ``password``."""
        salt = secrets.token_hex(8)
        digest = await run_cpu_bound(self._digest, password, salt, self.iterations)
        return f"pbkdf2${self.iterations}${salt}${digest}"

    async def verify(self, password: str, stored: str) -> bool:
        """Whether ``password`` matches the ``stored`` hash."""
        try:
            _, iterations, salt, expected = stored.split("$")
        except ValueError:
            return False
        digest = await run_cpu_bound(self._digest, password, salt, int(iterations))
        return hmac.compare_digest(digest, expected)

    @staticmethod
    def _digest(password: str, salt: str, iterations: int) -> str:
        return hashlib.pbkdf2_hmac("sha256", password.encode(), salt.encode(), iterations).hex()

    @staticmethod
    def strong_enough(password: str) -> bool:
        """At least 8 characters with a digit."""
        return len(password) >= 8 and any(c.isdigit() for c in password)


class TokenIssuer:
    """Signs and checks HS256 access and refresh tokens (stateless: no store involved)."""

    def __init__(self, settings: AppSettings) -> None:
        self._secret = settings.jwt_secret.get_secret_value()
        self._access_ttl = settings.access_token_ttl
        self._refresh_ttl = settings.refresh_token_ttl

    def access_token(self, user_id: int, email: str) -> str:
        """A new access token."""
        return self._encode(
            {"sub": str(user_id), "email": email, "type": "access"}, self._access_ttl
        )

    def refresh_token(self, user_id: int) -> str:
        """A new refresh token."""
        return self._encode({"sub": str(user_id), "type": "refresh"}, self._refresh_ttl)

    def decode(self, token: str, expected_type: str = "access") -> dict[str, Any]:
        """The claims of a valid ``token``.

        Raises:
            AuthError: The token is expired, forged or of the other type.
        """
        try:
            claims: dict[str, Any] = jwt.decode(token, self._secret, algorithms=["HS256"])
        except jwt.ExpiredSignatureError as exc:
            raise AuthError("The token has expired; log in again.") from exc
        except jwt.InvalidTokenError as exc:
            raise AuthError("The token is not valid.") from exc
        if claims.get("type") != expected_type:
            raise AuthError(f"Expected a {expected_type} token.")
        return claims

    def user_of(self, token: str) -> str | None:
        """The user id an access token names, or None when it is not valid."""
        try:
            return str(self.decode(token)["sub"])
        except AuthError:
            return None

    def _encode(self, claims: dict[str, Any], ttl: int) -> str:
        now = int(time.time())
        payload = {**claims, "iat": now, "exp": now + ttl, "jti": uuid.uuid4().hex}
        return jwt.encode(payload, self._secret, algorithm="HS256")


class TokenStore:
    """Live refresh tokens and revoked access tokens, in the store.

    Revocation checks are strict: while Redis is down they fail with 503 rather than
    accept a token that may have been revoked.
    """

    def __init__(self, store: Store) -> None:
        self._store = store

    async def save_refresh(self, jti: str, user_id: int, ttl: int) -> None:
        """Remember a refresh token until it expires."""
        await self._store.set(f"refresh:{jti}", str(user_id), ttl=ttl)

    async def use_refresh(self, jti: str) -> bool:
        """Consume a refresh token; False when it was never issued or already used."""
        if not await self._store.exists(f"refresh:{jti}", strict=True):
            return False
        await self._store.delete(f"refresh:{jti}")
        return True

    async def revoke(self, jti: str, ttl: int) -> None:
        """Revoke an access token for the rest of its lifetime."""
        await self._store.set(f"revoked:{jti}", "1", ttl=max(ttl, 1))

    async def is_revoked(self, jti: str) -> bool:
        """Whether an access token was revoked."""
        return await self._store.exists(f"revoked:{jti}", strict=True)


class Authenticator:
    """Turns a bearer token into the :class:`Account` it belongs to."""

    def __init__(self, issuer: TokenIssuer, tokens: TokenStore) -> None:
        self._issuer = issuer
        self._tokens = tokens

    async def authenticate(self, token: str) -> Account:
        """The account of a valid, unrevoked access token.

        Raises:
            AuthError: The token is missing, invalid or revoked.
        """
        if not token:
            raise AuthError("A bearer token is required.")
        claims = self._issuer.decode(token)
        if await self._tokens.is_revoked(claims["jti"]):
            raise AuthError("The token was revoked; log in again.")
        return Account(id=int(claims["sub"]), email=claims["email"], token=token, claims=claims)


class RequestContext:
    """Per-request facts the services log with: the request id and the client."""

    def __init__(self, request: Request) -> None:
        self.request_id = request.headers.get("x-request-id") or uuid.uuid4().hex
        self.client = request.client.host if request.client else ""


class AuditLog:
    """The audit trail, written in the request's database session."""

    def __init__(self, db: AsyncSession, context: RequestContext) -> None:
        self._db = db
        self._context = context

    def record(self, user_id: int, action: str) -> None:
        """Add an entry; it is committed with the request's unit of work."""
        self._db.add(
            AuditEntry(user_id=user_id, action=action, request_id=self._context.request_id)
        )

    async def entries_for(self, user_id: int, limit: int = 50) -> list[dict[str, str]]:
        """The user's latest entries, newest first."""
        rows = await self._db.scalars(
            select(AuditEntry)
            .where(AuditEntry.user_id == user_id)
            .order_by(AuditEntry.id.desc())
            .limit(limit)
        )
        return [{"action": row.action, "request_id": row.request_id} for row in rows]


class AuthService:
    """Registration, login, refresh and logout, in the request's database session."""

    def __init__(
        self,
        db: AsyncSession,
        hasher: PasswordHasher,
        issuer: TokenIssuer,
        tokens: TokenStore,
        audit: AuditLog,
    ) -> None:
        self._db = db
        self._hasher = hasher
        self._issuer = issuer
        self._tokens = tokens
        self._audit = audit

    async def register(self, email: str, password: str, display_name: str = "") -> User:
        """Create an account.

        Raises:
            WeakPasswordError: The password is too weak.
            EmailTakenError: The email has an account already.
        """
        email = email.strip().lower()
        if not self._hasher.strong_enough(password):
            raise WeakPasswordError("The password needs 8+ characters and a digit.")
        if await self._find(email) is not None:
            raise EmailTakenError(f"{email} is already registered.")
        user = User(
            email=email, password_hash=await self._hasher.hash(password), display_name=display_name
        )
        self._db.add(user)
        await self._db.flush()
        self._audit.record(user.id, "register")
        await self._db.commit()
        return user

    async def login(self, email: str, password: str) -> tuple[User, TokenPair]:
        """Check the password and issue tokens.

        Raises:
            AuthError: The email or the password is wrong.
        """
        user = await self._find(email.strip().lower())
        if user is None or not await self._hasher.verify(password, user.password_hash):
            raise AuthError("Invalid email or password.")
        self._audit.record(user.id, "login")
        await self._db.commit()
        return user, await self._issue(user)

    async def refresh(self, refresh_token: str) -> TokenPair:
        """Exchange a refresh token (once) for new tokens.

        Raises:
            AuthError: The refresh token is invalid, used or its user is gone.
        """
        claims = self._issuer.decode(refresh_token, expected_type="refresh")
        if not await self._tokens.use_refresh(claims["jti"]):
            raise AuthError("The refresh token was already used or revoked.")
        user = await self._db.get(User, int(claims["sub"]))
        if user is None:
            raise AuthError("The account no longer exists.")
        return await self._issue(user)

    async def logout(self, account: Account) -> None:
        """Revoke the account's access token."""
        await self._tokens.revoke(account.claims["jti"], int(account.claims["exp"] - time.time()))
        self._audit.record(account.id, "logout")
        await self._db.commit()

    async def _issue(self, user: User) -> TokenPair:
        refresh = self._issuer.refresh_token(user.id)
        claims = self._issuer.decode(refresh, expected_type="refresh")
        await self._tokens.save_refresh(claims["jti"], user.id, int(claims["exp"] - claims["iat"]))
        return TokenPair(self._issuer.access_token(user.id, user.email), refresh)

    async def _find(self, email: str) -> User | None:
        found: User | None = await self._db.scalar(select(User).where(User.email == email))
        return found
