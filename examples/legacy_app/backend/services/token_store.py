"""Refresh-token registry and access-token blacklist in Redis."""

import threading
from typing import Optional

from backend.database.redis_client import RedisManager


class TokenStore:
    def __init__(self):
        self._redis = RedisManager()

    def save_refresh_token(self, user_id: int, jti: str, ttl: int) -> None:
        self._redis.client.set(self._redis.key("refresh", jti), str(user_id), ex=ttl)

    def is_refresh_token_valid(self, jti: str) -> bool:
        return self._redis.client.exists(self._redis.key("refresh", jti)) == 1

    def revoke_refresh_token(self, jti: str) -> None:
        self._redis.client.delete(self._redis.key("refresh", jti))

    def blacklist(self, jti: str, ttl: int) -> None:
        self._redis.client.set(self._redis.key("blacklist", jti), "1", ex=max(ttl, 1))

    def is_blacklisted(self, jti: str) -> bool:
        return self._redis.client.exists(self._redis.key("blacklist", jti)) == 1


_token_store: Optional[TokenStore] = None
_token_store_lock = threading.Lock()


def get_token_store() -> TokenStore:
    global _token_store
    if _token_store is None:
        with _token_store_lock:
            if _token_store is None:
                _token_store = TokenStore()
    return _token_store
