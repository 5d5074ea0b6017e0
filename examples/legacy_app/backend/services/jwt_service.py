"""Access and refresh tokens (HS256 JWTs)."""

import time
import uuid
from typing import Optional

import jwt

from backend.config import get_settings


class TokenError(Exception):
    pass


class JWTService:
    def __init__(self):
        settings = get_settings()
        self._secret = settings.jwt_secret
        self._algorithm = settings.jwt_algorithm
        self._access_ttl = settings.access_token_ttl
        self._refresh_ttl = settings.refresh_token_ttl

    def create_access_token(self, user_id: int, email: str) -> str:
        return self._encode({"sub": str(user_id), "email": email, "type": "access"}, self._access_ttl)

    def create_refresh_token(self, user_id: int) -> str:
        return self._encode({"sub": str(user_id), "type": "refresh"}, self._refresh_ttl)

    def decode_token(self, token: str, expected_type: str = "access") -> dict:
        try:
            claims = jwt.decode(token, self._secret, algorithms=[self._algorithm])
        except jwt.ExpiredSignatureError as exc:
            raise TokenError("token expired") from exc
        except jwt.InvalidTokenError as exc:
            raise TokenError("invalid token") from exc
        if claims.get("type") != expected_type:
            raise TokenError(f"expected a {expected_type} token")
        return claims

    def _encode(self, claims: dict, ttl: int) -> str:
        now = int(time.time())
        payload = {**claims, "iat": now, "exp": now + ttl, "jti": uuid.uuid4().hex}
        return jwt.encode(payload, self._secret, algorithm=self._algorithm)


_jwt_service: Optional[JWTService] = None


def get_jwt_service() -> JWTService:
    """Get or create the JWT service singleton."""
    global _jwt_service
    if _jwt_service is None:
        _jwt_service = JWTService()
    return _jwt_service
