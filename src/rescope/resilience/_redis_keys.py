"""String and key commands of the resilient Redis clients, written once for both.

Each command is a coroutine that awaits ``self._call``: the async client's really
suspends, the sync client's never does (see ``_redis_core``).
"""

from __future__ import annotations

from typing import Any

from rescope.resilience._cache import MISSING
from rescope.resilience._redis_core import ModeArg, RedisCore
from rescope.resilience._redis_mode import DownError

__all__ = ["KeyCommands"]


class KeyCommands(RedisCore):
    """GET, SET, DEL, EXISTS, EXPIRE, TTL and INCRBY with the fallback cache."""

    async def get(self, key: str, *, mode: ModeArg = None) -> Any:
        """GET ``key``; while Redis is down, PERMISSIVE serves the cached value or ``None``.

        Raises:
            RedisUnavailableError: Redis is down and the mode is STRICT.
        """
        try:
            value = await self._call("GET", self._client.get, key)
        except DownError as down:
            cached = self.cache.get(key)
            return self._degrade("GET", mode, down, None if cached is MISSING else cached)
        if value is None:
            self.cache.delete(key)
        else:
            self.cache.put(key, value)
        return value

    async def set(  # noqa: PLR0913
        self,
        key: str,
        value: Any,
        *,
        ex: float | None = None,
        px: int | None = None,
        nx: bool = False,
        xx: bool = False,
        mode: ModeArg = None,
    ) -> bool:
        """SET ``key`` to ``value``; return whether it was set.

        Raises:
            RedisUnavailableError: Redis is down and the mode is STRICT (PERMISSIVE
                returns ``False``).
        """
        try:
            done = await self._call("SET", self._client.set, key, value, ex=ex, px=px, nx=nx, xx=xx)
        except DownError as down:
            return bool(self._degrade("SET", mode, down, False))  # noqa: FBT003
        if done:
            ttl = ex if ex is not None else (px / 1000 if px is not None else None)
            self.cache.put(key, self._encode(value), ttl)
            self.cache.delete(("exists", key))
        return bool(done)

    async def delete(self, *keys: str, mode: ModeArg = None) -> int:
        """DEL ``keys``; return how many existed (PERMISSIVE: ``0`` while Redis is down).

        Raises:
            RedisUnavailableError: Redis is down and the mode is STRICT.
        """
        try:
            count = await self._call("DEL", self._client.delete, *keys)
        except DownError as down:
            return int(self._degrade("DEL", mode, down, 0))
        for key in keys:
            self._forget(key)
        return int(count)

    async def exists(self, *keys: str, mode: ModeArg = None) -> int:
        """EXISTS ``keys``; while down, PERMISSIVE counts the keys the cache knows.

        Raises:
            RedisUnavailableError: Redis is down and the mode is STRICT.
        """
        try:
            count = await self._call("EXISTS", self._client.exists, *keys)
        except DownError as down:
            known = 0
            for key in keys:
                flag = self.cache.get(("exists", key))
                if flag is MISSING:
                    flag = 1 if (key in self.cache or ("hash", key) in self.cache) else 0
                known += int(flag)  # type: ignore[call-overload]
            return int(self._degrade("EXISTS", mode, down, known))
        if len(keys) == 1:
            self.cache.put(("exists", keys[0]), int(count))
        return int(count)

    async def expire(self, key: str, seconds: float, *, mode: ModeArg = None) -> bool:
        """EXPIRE ``key`` after ``seconds``; return whether the key existed.

        Raises:
            RedisUnavailableError: Redis is down and the mode is STRICT (PERMISSIVE
                returns ``False``).
        """
        try:
            done = await self._call("EXPIRE", self._client.expire, key, int(seconds))
        except DownError as down:
            return bool(self._degrade("EXPIRE", mode, down, False))  # noqa: FBT003
        for cached in (key, ("hash", key), ("hfields", key), ("exists", key)):
            self.cache.expire(cached, seconds)
        return bool(done)

    async def ttl(self, key: str, *, mode: ModeArg = None) -> int:
        """TTL of ``key`` in seconds: -1 without expiry, -2 without key.

        PERMISSIVE while down: what the cache knows, else -2.

        Raises:
            RedisUnavailableError: Redis is down and the mode is STRICT.
        """
        try:
            return int(await self._call("TTL", self._client.ttl, key))
        except DownError as down:
            left = self.cache.remaining(key)
            return int(self._degrade("TTL", mode, down, -2 if left is None else int(left)))

    async def incr(self, key: str, amount: int = 1, *, mode: ModeArg = None) -> int | None:
        """INCRBY ``key`` by ``amount``; return the new value (PERMISSIVE while down: ``None``).

        Raises:
            RedisUnavailableError: Redis is down and the mode is STRICT.
        """
        try:
            value = await self._call("INCRBY", self._client.incrby, key, amount)
        except DownError as down:
            return self._degrade("INCRBY", mode, down, None)  # type: ignore[no-any-return]
        self.cache.delete(key)
        return int(value)
