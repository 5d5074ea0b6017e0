"""Faster auth path: caches users in Redis and skips the SQL lookups.

Started as a drop-in replacement for AuthService; never switched on.
"""

import hashlib
import json
import time
import uuid
from typing import Optional

import jwt
import redis

from backend.config import get_settings


class OptimizedAuthService:
    def __init__(self):
        settings = get_settings()
        self._settings = settings
        self._redis = redis.Redis.from_url(settings.redis_url, decode_responses=True)
        self._prefix = settings.redis_key_prefix + "optauth:"

    async def register(self, email: str, password: str, display_name: str = "") -> dict:
        key = self._prefix + "user:" + email.lower()
        if self._redis.exists(key):
            raise ValueError("email already registered")
        user = {"id": uuid.uuid4().int % 10**9, "email": email.lower(), "display_name": display_name,
                "password": hashlib.sha256(password.encode()).hexdigest()}
        self._redis.set(key, json.dumps(user))
        return user

    async def login(self, email: str, password: str) -> tuple[dict, dict]:
        raw = self._redis.get(self._prefix + "user:" + email.lower())
        user = json.loads(raw) if raw else None
        if not user or user["password"] != hashlib.sha256(password.encode()).hexdigest():
            raise ValueError("invalid email or password")
        return user, self._tokens(user)

    async def refresh(self, refresh_token: str) -> dict:
        claims = jwt.decode(refresh_token, self._settings.jwt_secret, algorithms=["HS256"])
        return self._tokens({"id": int(claims["sub"]), "email": claims.get("email", "")})

    async def logout(self, access_token: str) -> None:
        claims = self.verify_access_token(access_token)
        self._redis.set(self._prefix + "revoked:" + claims["jti"], "1", ex=3600)

    def verify_access_token(self, token: str) -> dict:
        claims = jwt.decode(token, self._settings.jwt_secret, algorithms=["HS256"])
        if self._redis.exists(self._prefix + "revoked:" + claims["jti"]):
            raise ValueError("token revoked")
        return claims

    def _tokens(self, user: dict) -> dict:
        now = int(time.time())
        base = {"sub": str(user["id"]), "email": user["email"], "iat": now, "jti": uuid.uuid4().hex}
        secret = self._settings.jwt_secret
        return {
            "access_token": jwt.encode({**base, "type": "access", "exp": now + 900}, secret),
            "refresh_token": jwt.encode({**base, "type": "refresh", "exp": now + 86400}, secret),
        }


_optimized_auth_service: Optional[OptimizedAuthService] = None


def get_optimized_auth_service() -> OptimizedAuthService:
    global _optimized_auth_service
    if _optimized_auth_service is None:
        _optimized_auth_service = OptimizedAuthService()
    return _optimized_auth_service
