"""What the async and sync resilient Redis clients share: breaker, modes and fallback cache.

A client subclasses :class:`RedisCore` and provides ``_call(command, fn, *args, **kw)``,
which runs one redis-py call through the breaker and turns "Redis is down" into
:class:`~rescope.resilience._redis_mode.DownError`. The commands themselves
(``_redis_keys``, ``_redis_collections``) are written once, as coroutines that the async
client awaits and the sync client drives to completion without an event loop.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Iterable
from typing import Any

from rescope._extras import import_extra
from rescope.exceptions import CircuitOpenError, RedisUnavailableError
from rescope.resilience import _hooks
from rescope.resilience._breaker import CircuitBreaker
from rescope.resilience._cache import FallbackCache
from rescope.resilience._clock import Clock
from rescope.resilience._redis_mode import DownError, RedisMode
from rescope.resilience._registry import BreakerRegistry
from rescope.resilience._state import CircuitState

__all__ = ["ModeArg", "RedisCore", "invalidating_keys"]

logger = logging.getLogger("rescope.resilience")

#: The per-call mode argument: the client's mode when ``None``.
ModeArg = RedisMode | str | None

# Commands that only read: a pipeline holding them leaves the fallback cache alone. Any
# other command is taken as a write and invalidates the cached entries of its keys.
READ_ONLY = frozenset(
    b"""GET MGET GETRANGE STRLEN EXISTS TTL PTTL TYPE HGET HMGET HGETALL HEXISTS HLEN HKEYS
    HVALS HSTRLEN ZCARD ZCOUNT ZRANGE ZRANGEBYSCORE ZREVRANGE ZREVRANGEBYSCORE ZSCORE
    ZMSCORE ZRANK ZREVRANK SCARD SISMEMBER SMISMEMBER SMEMBERS LLEN LRANGE LINDEX PING ECHO
    TIME""".decode().split()
)
# Write commands whose every argument after the name is a key.
ALL_KEYS = frozenset({"DEL", "UNLINK", "TOUCH", "RENAME", "RENAMENX"})
# Write commands whose first two arguments are keys (source and destination).
TWO_KEYS = frozenset({"COPY", "SMOVE", "LMOVE", "BLMOVE", "RPOPLPUSH", "BRPOPLPUSH"})
# Write commands with alternating keys and values.
KEY_VALUE_PAIRS = frozenset({"MSET", "MSETNX"})


def invalidating_keys(args: Iterable[Any]) -> list[Any]:
    """Return the keys whose cached entries a queued command ``args`` makes stale."""
    args = list(args)
    if len(args) < 2:  # noqa: PLR2004 - a command name and at least one key
        return []
    name = args[0].decode() if isinstance(args[0], bytes) else str(args[0])
    name = name.upper()
    if name in READ_ONLY:
        return []
    if name in ALL_KEYS:
        return args[1:]
    if name in TWO_KEYS:
        return args[1:3]
    if name in KEY_VALUE_PAIRS:
        return args[1::2]
    return [args[1]]


class RedisCore:
    """The state and policies of a resilient Redis client (see :class:`ResilientRedis`)."""

    _client: Any

    def _init_core(  # noqa: PLR0913
        self,
        client: Any,
        *,
        exceptions: Any,
        mode: ModeArg,
        breaker: CircuitBreaker | None,
        registry: BreakerRegistry | None,
        name: str,
        failure_threshold: int,
        recovery_timeout: float,
        success_threshold: int,
        fallback_cache_size: int,
        fallback_ttl: float,
        clock: Clock | None,
    ) -> None:
        self._client = client
        self.mode = RedisMode.from_env() if mode is None else RedisMode(mode)
        self._down: tuple[type[BaseException], ...] = (
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
        self.cache = FallbackCache(fallback_cache_size, fallback_ttl, clock)
        self._encoder = client.get_encoder()
        self._warned: set[str] = set()
        self.fallback_hits = 0

    @staticmethod
    def _client_kwargs(
        retry_module: str,
        socket_timeout: float,
        connect_timeout: float,
        redis_kwargs: dict[str, Any],
    ) -> dict[str, Any]:
        """Bounded timeouts, and no hidden retries: the breaker decides what happens next."""
        retry = import_extra(retry_module, extra="redis", module=__name__)
        backoff = import_extra("redis.backoff", extra="redis", module=__name__)
        kwargs = dict(redis_kwargs)
        kwargs.setdefault("retry", retry.Retry(backoff.NoBackoff(), 0))
        kwargs.setdefault("socket_timeout", socket_timeout)
        kwargs.setdefault("socket_connect_timeout", connect_timeout)
        return kwargs

    @property
    def raw(self) -> Any:
        """The wrapped redis-py client (no breaker, no fallback: use with care)."""
        return self._client

    # --- calling through the breaker --------------------------------------------------

    async def _call(self, command: str, fn: Callable[..., Any], *args: Any, **kw: Any) -> Any:
        """Run ``fn(*args, **kw)`` through the breaker (each client provides it).

        Raises:
            DownError: Redis is down or the circuit is open.
        """
        raise NotImplementedError

    def _down_error(self, command: str, exc: BaseException, start: float) -> DownError:
        """Turn an open circuit or a connection failure into a :class:`DownError`."""
        if isinstance(exc, CircuitOpenError):
            return DownError("the circuit breaker is open", exc)
        if _hooks.ON_REDIS_CALL:
            seconds = time.perf_counter() - start
            _hooks.emit(_hooks.ON_REDIS_CALL, self.breaker.name, command, seconds, ok=False)
        return DownError(f"{type(exc).__name__}: {exc}", exc)

    def _degrade(self, command: str, mode: ModeArg, down: DownError, value: Any) -> Any:
        """Raise in STRICT mode; in PERMISSIVE return ``value``, counted and logged once.

        Raises:
            RedisUnavailableError: The effective mode is STRICT.
        """
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

    # --- the fallback cache -----------------------------------------------------------

    def _encode(self, value: Any) -> Any:
        return self._encoder.decode(self._encoder.encode(value))

    def _forget(self, key: Any) -> None:
        for cached in (key, ("hash", key), ("hfields", key), ("exists", key)):
            self.cache.delete(cached)

    def _forget_all(self, keys: Iterable[Any]) -> None:
        for key in keys:
            self._forget(key)

    # --- health -----------------------------------------------------------------------

    def _health_report(self, started: float, error: BaseException | None) -> dict[str, Any]:
        latency = (time.perf_counter() - started) * 1000
        text = None
        if error is not None:
            text = f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
        state = self.breaker.state
        status = "down" if text else ("ok" if state is CircuitState.CLOSED else "degraded")
        return {
            "status": status,
            "latency_ms": round(latency, 3),
            "circuit": state.value,
            "mode": self.mode.value,
            "error": text,
            "fallback_cache_size": len(self.cache),
            "fallback_hits": self.fallback_hits,
        }
