"""The key-value store for tokens, coach conversations and counters: Redis or in-process.

With Redis the store goes through a ``ResilientRedis`` (breaker, bounded timeouts,
PERMISSIVE fallback cache): while Redis is down, counters and conversation reads degrade
instead of failing the request. Reads that guard security pass ``strict=True`` and fail
with 503 instead of answering from a stale cache.
"""

from __future__ import annotations

import logging
import time
from typing import Protocol

from app.settings import AppSettings
from rescope.exceptions import RedisUnavailableError
from rescope.resilience import RedisMode, ResilientRedis

logger = logging.getLogger(__name__)


class Store(Protocol):
    """What the services need from Redis, with an in-process twin."""

    async def get(self, key: str, *, strict: bool = False) -> str | None:
        """The value of ``key``, or None."""

    async def set(self, key: str, value: str, *, ttl: int) -> None:
        """Store ``value`` under ``key`` for ``ttl`` seconds."""

    async def delete(self, key: str) -> None:
        """Forget ``key``."""

    async def exists(self, key: str, *, strict: bool = False) -> bool:
        """Whether ``key`` holds a value."""

    async def increment(self, key: str, field: str) -> int:
        """Add one to ``field`` of the counter hash ``key``; return the new count (0: down)."""

    async def counts(self, key: str) -> dict[str, int]:
        """Every field of the counter hash ``key``."""


class MemoryStore:
    """The embedded store: one process, values expire like Redis keys."""

    def __init__(self) -> None:
        self._values: dict[str, tuple[str, float]] = {}
        self._hashes: dict[str, dict[str, int]] = {}

    async def get(self, key: str, *, strict: bool = False) -> str | None:  # noqa: ARG002
        """The value of ``key``, or None when it is missing or expired."""
        found = self._values.get(key)
        if found is None:
            return None
        value, expires = found
        if time.monotonic() >= expires:
            del self._values[key]
            return None
        return value

    async def set(self, key: str, value: str, *, ttl: int) -> None:
        """Store ``value`` under ``key`` for ``ttl`` seconds."""
        self._values[key] = (value, time.monotonic() + ttl)

    async def delete(self, key: str) -> None:
        """Forget ``key``."""
        self._values.pop(key, None)
        self._hashes.pop(key, None)

    async def exists(self, key: str, *, strict: bool = False) -> bool:
        """Whether ``key`` holds an unexpired value."""
        return await self.get(key, strict=strict) is not None

    async def increment(self, key: str, field: str) -> int:
        """Add one to ``field`` of the counter hash ``key``."""
        counter = self._hashes.setdefault(key, {})
        counter[field] = counter.get(field, 0) + 1
        return counter[field]

    async def counts(self, key: str) -> dict[str, int]:
        """Every field of the counter hash ``key``."""
        return dict(self._hashes.get(key, {}))


class RedisStore:
    """The store on a resilient Redis client, every key under the app's namespace.

    Args:
        redis: The app's resilient client (PERMISSIVE by default).
        settings: Gives the namespace.
    """

    def __init__(self, redis: ResilientRedis, settings: AppSettings) -> None:
        self._redis = redis
        self._prefix = f"{settings.app_namespace}:kv:"

    def _key(self, key: str) -> str:
        return self._prefix + key

    @staticmethod
    def _mode(strict: bool) -> RedisMode | None:  # noqa: FBT001
        return RedisMode.STRICT if strict else None

    async def get(self, key: str, *, strict: bool = False) -> str | None:
        """The value of ``key``; from the fallback cache (or None) while Redis is down."""
        raw = await self._redis.get(self._key(key), mode=self._mode(strict))
        return raw.decode() if isinstance(raw, bytes) else raw

    async def set(self, key: str, value: str, *, ttl: int) -> None:
        """Store ``value`` for ``ttl`` seconds (not done, and logged, while Redis is down)."""
        await self._redis.set(self._key(key), value, ex=ttl)

    async def delete(self, key: str) -> None:
        """Forget ``key``."""
        await self._redis.delete(self._key(key))

    async def exists(self, key: str, *, strict: bool = False) -> bool:
        """Whether ``key`` holds a value; ``strict`` raises while Redis is down."""
        return bool(await self._redis.exists(self._key(key), mode=self._mode(strict)))

    async def increment(self, key: str, field: str) -> int:
        """Add one to ``field`` of the hash ``key``; 0 while Redis is down (counters degrade)."""
        try:
            async with self._redis.pipeline() as pipe:
                pipe.hincrby(self._key(key), field, 1)
                (total,) = await pipe.execute()
        except RedisUnavailableError:
            logger.warning("counter %s.%s not incremented: Redis is unavailable", key, field)
            return 0
        return int(total)

    async def counts(self, key: str) -> dict[str, int]:
        """Every field of the hash ``key`` (the fallback cache's copy while Redis is down)."""
        raw = await self._redis.hgetall(self._key(key))
        return {_text(name): int(value) for name, value in (raw or {}).items()}


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value
