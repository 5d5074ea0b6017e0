"""The resilient Redis client: bounded timeouts, a breaker around every command, two modes.

``redis`` is imported when a client is built, through :func:`rescope._extras.import_extra`,
so ``import rescope.resilience`` works without ``rescope[redis]``.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any, Self

from rescope._extras import import_extra
from rescope.exceptions import CircuitOpenError, RedisUnavailableError
from rescope.resilience import _hooks
from rescope.resilience._breaker import CircuitBreaker
from rescope.resilience._cache import MISSING, FallbackCache
from rescope.resilience._clock import Clock
from rescope.resilience._redis_batch import ResilientPipeline, ResilientScript
from rescope.resilience._redis_mode import DownError, RedisMode
from rescope.resilience._registry import BreakerRegistry
from rescope.resilience._state import CircuitState

if TYPE_CHECKING:  # the annotations are for mypy; redis is imported lazily at runtime
    import redis.asyncio

__all__ = ["ResilientRedis"]

logger = logging.getLogger("rescope.resilience")


class ResilientRedis:
    """``redis.asyncio`` behind a circuit breaker, with bounded timeouts and a fallback cache.

    Args:
        url: The server's ``redis://`` URL (ignored when ``client`` is given).
        client: An existing ``redis.asyncio.Redis`` to wrap (its timeouts are kept).
        mode: STRICT or PERMISSIVE (default: from ``REDIS_SECURITY_MODE``, else STRICT).
        breaker: The breaker to use (default: one the client makes from the arguments
            below, counting only connection errors and timeouts as failures).
        registry: Register the breaker there, for health pages.
        name: The breaker's name when the client makes it.
        failure_threshold: Consecutive connection failures that open the client's breaker.
        recovery_timeout: Seconds it stays open before trial commands go through.
        success_threshold: Successful trial commands that close it again.
        socket_timeout: Seconds a command may wait for its reply.
        connect_timeout: Seconds a connection attempt may take.
        fallback_cache_size: Entries the fallback cache keeps (0: no cache).
        fallback_ttl: Seconds a cached value serves when its own expiry is unknown.
        clock: A monotonic clock for the breaker the client makes and the fallback cache.
        **redis_kwargs: Passed on to ``redis.asyncio.Redis.from_url``.

    Raises:
        MissingExtraError: ``redis`` is not installed (``rescope[redis]``).
    """

    def __init__(  # noqa: PLR0913
        self,
        url: str = "redis://127.0.0.1:6379/0",
        *,
        client: Any = None,
        mode: RedisMode | str | None = None,
        breaker: CircuitBreaker | None = None,
        registry: BreakerRegistry | None = None,
        name: str = "redis",
        failure_threshold: int = 5,
        recovery_timeout: float = 30.0,
        success_threshold: int = 3,
        socket_timeout: float = 1.0,
        connect_timeout: float = 0.5,
        fallback_cache_size: int = 1000,
        fallback_ttl: float = 300.0,
        clock: Clock | None = None,
        **redis_kwargs: Any,
    ) -> None:
        aioredis = import_extra("redis.asyncio", extra="redis", module=__name__)
        exceptions = import_extra("redis.exceptions", extra="redis", module=__name__)
        if client is None:
            retry_mod = import_extra("redis.asyncio.retry", extra="redis", module=__name__)
            backoff = import_extra("redis.backoff", extra="redis", module=__name__)
            redis_kwargs.setdefault("retry", retry_mod.Retry(backoff.NoBackoff(), 0))
            client = aioredis.Redis.from_url(
                url,
                socket_timeout=socket_timeout,
                socket_connect_timeout=connect_timeout,
                **redis_kwargs,
            )
        self._client: redis.asyncio.Redis = client
        self.mode = RedisMode.from_env() if mode is None else RedisMode(mode)
        self._down = (
            exceptions.ConnectionError,
            exceptions.TimeoutError,
            OSError,
            asyncio.TimeoutError,
        )
        if breaker is None:
            breaker = CircuitBreaker(
                name,
                failure_threshold=failure_threshold,
                recovery_timeout=recovery_timeout,
                success_threshold=success_threshold,
                failure_exceptions=self._down,
                clock=clock,
            )
        self.breaker = breaker
        if registry is not None:
            registry.add(breaker)
        breaker.add_listener(self._on_transition)
        cache_kwargs = {} if clock is None else {"clock": clock}
        self.cache = FallbackCache(fallback_cache_size, fallback_ttl, **cache_kwargs)
        self._encoder = client.get_encoder()
        self._warned: set[str] = set()
        self.fallback_hits = 0

    @property
    def raw(self) -> redis.asyncio.Redis:
        """The wrapped ``redis.asyncio.Redis`` (no breaker, no fallback: use with care)."""
        return self._client

    # --- the core ---------------------------------------------------------------------

    async def _call(
        self, command: str, fn: Callable[..., Awaitable[Any]], *args: Any, **kw: Any
    ) -> Any:
        timed = _hooks.ON_REDIS_CALL
        start = time.perf_counter() if timed else 0.0
        breaker = self.breaker
        try:
            if breaker._fast:  # noqa: SLF001 - the closed fast path, inlined: one coroutine less
                breaker._calls += 1  # noqa: SLF001
                try:
                    result = await fn(*args, **kw)
                except Exception as exc:
                    breaker._on_error(exc)  # noqa: SLF001
                    raise
                breaker._consecutive = 0  # noqa: SLF001
            else:
                result = await breaker.call_async(fn, *args, **kw)
        except CircuitOpenError as exc:
            raise DownError("the circuit breaker is open", exc) from exc
        except self._down as exc:
            if timed:
                _hooks.emit(
                    timed, self.breaker.name, command, time.perf_counter() - start, ok=False
                )
            raise DownError(f"{type(exc).__name__}: {exc}", exc) from exc
        if timed:
            _hooks.emit(timed, self.breaker.name, command, time.perf_counter() - start, ok=True)
        return result

    def _degrade(
        self, command: str, mode: RedisMode | str | None, down: DownError, value: Any
    ) -> Any:
        effective = self.mode if mode is None else RedisMode(mode)
        if effective is RedisMode.STRICT:
            raise RedisUnavailableError(command, reason=down.reason) from down.cause
        self.fallback_hits += 1
        if _hooks.ON_FALLBACK:
            _hooks.emit(_hooks.ON_FALLBACK, self.breaker.name, command)
        if command not in self._warned:
            self._warned.add(command)
            logger.warning(
                "Redis %s served a fallback in PERMISSIVE mode (%s); further %s fallbacks"
                " are not logged until Redis recovers",
                command,
                down.reason,
                command,
            )
        return value

    def _on_transition(self, breaker: CircuitBreaker, old: CircuitState, new: CircuitState) -> None:
        del breaker, old
        if new is CircuitState.CLOSED:
            # Redis is back: what was cached may be stale now.
            self.cache.clear()
            self._warned.clear()

    def _encode(self, value: Any) -> Any:
        return self._encoder.decode(self._encoder.encode(value))

    # --- strings and keys -------------------------------------------------------------

    async def get(self, key: str, *, mode: RedisMode | str | None = None) -> Any:
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
        mode: RedisMode | str | None = None,
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

    async def delete(self, *keys: str, mode: RedisMode | str | None = None) -> int:
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

    async def exists(self, *keys: str, mode: RedisMode | str | None = None) -> int:
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

    async def expire(
        self, key: str, seconds: float, *, mode: RedisMode | str | None = None
    ) -> bool:
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

    async def ttl(self, key: str, *, mode: RedisMode | str | None = None) -> int:
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

    async def incr(
        self, key: str, amount: int = 1, *, mode: RedisMode | str | None = None
    ) -> int | None:
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

    def _forget(self, key: str) -> None:
        for cached in (key, ("hash", key), ("hfields", key), ("exists", key)):
            self.cache.delete(cached)

    # --- hashes -----------------------------------------------------------------------

    async def hset(
        self,
        name: str,
        key: str | None = None,
        value: Any = None,
        *,
        mapping: Mapping[str, Any] | None = None,
        mode: RedisMode | str | None = None,
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

    async def hget(self, name: str, key: str, *, mode: RedisMode | str | None = None) -> Any:
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

    async def hgetall(self, name: str, *, mode: RedisMode | str | None = None) -> dict[Any, Any]:
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

    async def hdel(self, name: str, *keys: str, mode: RedisMode | str | None = None) -> int:
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

    async def zadd(
        self, name: str, mapping: Mapping[Any, float], *, mode: RedisMode | str | None = None
    ) -> int:
        """ZADD members with scores; return how many were added (PERMISSIVE while down: 0).

        Raises:
            RedisUnavailableError: Redis is down and the mode is STRICT.
        """
        try:
            return int(await self._call("ZADD", self._client.zadd, name, dict(mapping)))
        except DownError as down:
            return int(self._degrade("ZADD", mode, down, 0))

    async def zcard(self, name: str, *, mode: RedisMode | str | None = None) -> int:
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
        mode: RedisMode | str | None = None,
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
        self, name: str, low: float | str, high: float | str, *, mode: RedisMode | str | None = None
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

    # --- pub/sub, pipelines, scripts --------------------------------------------------

    async def publish(
        self, channel: str, message: Any, *, mode: RedisMode | str | None = None
    ) -> int:
        """PUBLISH ``message``; return how many subscribers got it (PERMISSIVE while down: 0).

        Raises:
            RedisUnavailableError: Redis is down and the mode is STRICT.
        """
        try:
            return int(await self._call("PUBLISH", self._client.publish, channel, message))
        except DownError as down:
            return int(self._degrade("PUBLISH", mode, down, 0))

    def pubsub(self, **kwargs: Any) -> Any:
        """Return a ``redis.asyncio`` PubSub (a long-lived subscription, not breaker-guarded).

        Args:
            **kwargs: Passed on to ``redis.asyncio.Redis.pubsub``.
        """
        return self._client.pubsub(**kwargs)

    def pipeline(self, *, transaction: bool = True) -> ResilientPipeline:
        """Return a pipeline whose ``execute()`` is one breaker-guarded call.

        Args:
            transaction: Wrap the commands in MULTI/EXEC.
        """
        return ResilientPipeline(self, self._client.pipeline(transaction=transaction))

    def register_script(self, script: str) -> ResilientScript:
        """Return a Lua script callable through the breaker (EVALSHA, loaded on demand).

        Args:
            script: The Lua source.
        """
        return ResilientScript(self, self._client.register_script(script))

    # --- health -----------------------------------------------------------------------

    async def ping(self, *, mode: RedisMode | str | None = None) -> bool:
        """PING through the breaker; return whether Redis answered.

        Raises:
            RedisUnavailableError: Redis is down and the mode is STRICT (PERMISSIVE
                returns ``False``).
        """
        try:
            return bool(await self._call("PING", self._client.ping))
        except DownError as down:
            return bool(self._degrade("PING", mode, down, False))  # noqa: FBT003

    async def health_check(self, timeout: float = 1.0) -> dict[str, Any]:  # noqa: ASYNC109
        """Ping Redis directly (outside the breaker) and report latency, circuit and error.

        Args:
            timeout: Seconds to wait for the answer.
        """
        start = time.perf_counter()
        error = None
        try:
            async with asyncio.timeout(timeout):
                await self._client.ping()
        except Exception as exc:  # noqa: BLE001 - any failure is the report's content
            error = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        latency = (time.perf_counter() - start) * 1000
        state = self.breaker.state
        status = "down" if error else ("ok" if state is CircuitState.CLOSED else "degraded")
        return {
            "status": status,
            "latency_ms": round(latency, 3),
            "circuit": state.value,
            "mode": self.mode.value,
            "error": error,
            "fallback_cache_size": len(self.cache),
            "fallback_hits": self.fallback_hits,
        }

    async def aclose(self) -> None:
        """Close the connections of the wrapped client."""
        await self._client.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()
