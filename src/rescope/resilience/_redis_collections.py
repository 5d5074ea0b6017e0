"""Hash, sorted-set, PUBLISH and PING commands of the resilient Redis clients.

Written once for both clients, like ``_redis_keys``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rescope.resilience._redis_core import ModeArg, RedisCore
from rescope.resilience._redis_mode import DownError

__all__ = ["CollectionCommands"]


class CollectionCommands(RedisCore):
    """Hashes (with the fallback cache), sorted sets, PUBLISH and PING."""

    async def hset(
        self,
        name: str,
        key: str | None = None,
        value: Any = None,
        *,
        mapping: Mapping[str, Any] | None = None,
        mode: ModeArg = None,
    ) -> int:
        """HSET fields of hash ``name``; return how many were added (PERMISSIVE while down: 0).

        Raises:
            RedisUnavailableError: Redis is down and the mode is STRICT.
        """
        try:
            added = await self._call("HSET", self._client.hset, name, key, value, mapping=mapping)
        except DownError as down:
            return int(self._degrade("HSET", mode, down, 0))
        fields = dict(mapping or {})
        if key is not None:
            fields[key] = value
        encoded = {self._encode(k): self._encode(v) for k, v in fields.items()}
        full = self.cache.peek(("hash", name))
        if isinstance(full, dict):
            full.update(encoded)
        partial = self.cache.peek(("hfields", name))
        if isinstance(partial, dict):
            partial.update(encoded)
        else:
            self.cache.put(("hfields", name), encoded)
        self.cache.delete(("exists", name))
        return int(added)

    async def hget(self, name: str, key: str, *, mode: ModeArg = None) -> Any:
        """HGET field ``key`` of hash ``name``; PERMISSIVE while down: cached value or ``None``.

        Raises:
            RedisUnavailableError: Redis is down and the mode is STRICT.
        """
        try:
            value = await self._call("HGET", self._client.hget, name, key)
        except DownError as down:
            return self._degrade("HGET", mode, down, self._cached_field(name, key))
        fields = self.cache.peek(("hfields", name))
        if not isinstance(fields, dict):
            fields = {}
            self.cache.put(("hfields", name), fields)
        fields[self._encode(key)] = value
        return value

    def _cached_field(self, name: str, key: str) -> Any:
        encoded = self._encode(key)
        for slot in (("hfields", name), ("hash", name)):
            fields = self.cache.get(slot)
            if isinstance(fields, dict) and encoded in fields:
                return fields[encoded]
        return None

    async def hgetall(self, name: str, *, mode: ModeArg = None) -> dict[Any, Any]:
        """HGETALL of hash ``name``; PERMISSIVE while down: the cached hash or ``{}``.

        Raises:
            RedisUnavailableError: Redis is down and the mode is STRICT.
        """
        try:
            value = await self._call("HGETALL", self._client.hgetall, name)
        except DownError as down:
            cached = self.cache.get(("hash", name))
            return dict(self._degrade("HGETALL", mode, down, cached or {}))
        self.cache.put(("hash", name), dict(value))
        return dict(value)

    async def hdel(self, name: str, *keys: str, mode: ModeArg = None) -> int:
        """HDEL fields of hash ``name``; return how many existed (PERMISSIVE while down: 0).

        Raises:
            RedisUnavailableError: Redis is down and the mode is STRICT.
        """
        try:
            count = await self._call("HDEL", self._client.hdel, name, *keys)
        except DownError as down:
            return int(self._degrade("HDEL", mode, down, 0))
        self._forget(name)
        return int(count)

    # --- sorted sets ------------------------------------------------------------------

    async def zadd(self, name: str, mapping: Mapping[Any, float], *, mode: ModeArg = None) -> int:
        """ZADD members with scores; return how many were added (PERMISSIVE while down: 0).

        Raises:
            RedisUnavailableError: Redis is down and the mode is STRICT.
        """
        try:
            return int(await self._call("ZADD", self._client.zadd, name, dict(mapping)))
        except DownError as down:
            return int(self._degrade("ZADD", mode, down, 0))

    async def zcard(self, name: str, *, mode: ModeArg = None) -> int:
        """ZCARD of ``name`` (PERMISSIVE while down: 0).

        Raises:
            RedisUnavailableError: Redis is down and the mode is STRICT.
        """
        try:
            return int(await self._call("ZCARD", self._client.zcard, name))
        except DownError as down:
            return int(self._degrade("ZCARD", mode, down, 0))

    async def zrange(
        self,
        name: str,
        start: int,
        end: int,
        *,
        withscores: bool = False,
        mode: ModeArg = None,
    ) -> list[Any]:
        """ZRANGE of ``name`` by rank (PERMISSIVE while down: ``[]``).

        Raises:
            RedisUnavailableError: Redis is down and the mode is STRICT.
        """
        try:
            return list(
                await self._call(
                    "ZRANGE", self._client.zrange, name, start, end, withscores=withscores
                )
            )
        except DownError as down:
            return list(self._degrade("ZRANGE", mode, down, []))

    async def zremrangebyscore(
        self, name: str, low: float | str, high: float | str, *, mode: ModeArg = None
    ) -> int:
        """ZREMRANGEBYSCORE of ``name``; return how many were removed (PERMISSIVE while down: 0).

        Raises:
            RedisUnavailableError: Redis is down and the mode is STRICT.
        """
        try:
            return int(
                await self._call("ZREMRANGEBYSCORE", self._client.zremrangebyscore, name, low, high)
            )
        except DownError as down:
            return int(self._degrade("ZREMRANGEBYSCORE", mode, down, 0))

    # --- publish ----------------------------------------------------------------------

    async def publish(self, channel: str, message: Any, *, mode: ModeArg = None) -> int:
        """PUBLISH ``message``; return how many subscribers got it (PERMISSIVE while down: 0).

        Raises:
            RedisUnavailableError: Redis is down and the mode is STRICT.
        """
        try:
            return int(await self._call("PUBLISH", self._client.publish, channel, message))
        except DownError as down:
            return int(self._degrade("PUBLISH", mode, down, 0))

    # --- health -----------------------------------------------------------------------

    async def ping(self, *, mode: ModeArg = None) -> bool:
        """PING through the breaker; return whether Redis answered.

        Raises:
            RedisUnavailableError: Redis is down and the mode is STRICT (PERMISSIVE
                returns ``False``).
        """
        try:
            return bool(await self._call("PING", self._client.ping))
        except DownError as down:
            return bool(self._degrade("PING", mode, down, False))  # noqa: FBT003
