"""The sync twin of the resilient Redis client, over ``redis.Redis``.

It runs the very commands of :class:`ResilientRedis` (``_redis_keys``,
``_redis_collections``): they are coroutines, and with a ``_call`` that never suspends they
finish on their first step, so :func:`run_sync` drives them without an event loop. Breaker,
modes and fallback cache are therefore the same code in both clients.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Self

from rescope._extras import import_extra
from rescope.exceptions import CircuitOpenError
from rescope.resilience import _hooks
from rescope.resilience._breaker import CircuitBreaker
from rescope.resilience._cache import FallbackCache
from rescope.resilience._redis_batch import SyncPipeline, SyncScript, run_sync
from rescope.resilience._redis_collections import CollectionCommands
from rescope.resilience._redis_core import ModeArg
from rescope.resilience._redis_keys import KeyCommands
from rescope.resilience._redis_mode import RedisMode
from rescope.resilience._redis_pubsub_sync import SyncSubscription

__all__ = ["ResilientRedisSync"]


class _SyncCommands(KeyCommands, CollectionCommands):
    """The shared commands over a sync client: ``_call`` blocks and never suspends."""

    async def _call(self, command: str, fn: Callable[..., Any], *args: Any, **kw: Any) -> Any:
        start = time.perf_counter()
        try:
            result = self.breaker.call(fn, *args, **kw)
        except CircuitOpenError as exc:
            raise self._down_error(command, exc, start) from exc
        except self._down as exc:
            raise self._down_error(command, exc, start) from exc
        if _hooks.ON_REDIS_CALL:
            seconds = time.perf_counter() - start
            _hooks.emit(_hooks.ON_REDIS_CALL, self.breaker.name, command, seconds, ok=True)
        return result


class ResilientRedisSync:
    """``redis.Redis`` behind a circuit breaker: the sync twin of :class:`ResilientRedis`.

    Same arguments, commands, modes and fallback cache as the async client, with blocking
    methods; ``pipeline()``, ``register_script()`` and ``subscribe()`` (pub/sub that survives
    restarts) work alike; ``pubsub()`` is redis-py's own.

    Args:
        url: The server's ``redis://`` URL (ignored when ``client`` is given).
        client: An existing ``redis.Redis`` to wrap (its timeouts are kept).
        **options: The keyword arguments of :class:`ResilientRedis` (``mode``, ``breaker``,
            ``registry``, ``name``, thresholds, timeouts, cache size and TTL, ``clock``);
            the rest goes to ``redis.Redis.from_url``.

    Raises:
        MissingExtraError: ``redis`` is not installed (``rescope[redis]``).
    """

    def __init__(
        self, url: str = "redis://127.0.0.1:6379/0", *, client: Any = None, **options: Any
    ) -> None:
        sync_redis = import_extra("redis", extra="redis", module=__name__)
        core = {
            key: options.pop(key)
            for key in (
                "mode",
                "breaker",
                "registry",
                "name",
                "failure_threshold",
                "recovery_timeout",
                "success_threshold",
                "fallback_cache_size",
                "fallback_ttl",
                "clock",
            )
            if key in options
        }
        socket_timeout = options.pop("socket_timeout", 1.0)
        connect_timeout = options.pop("connect_timeout", 0.5)
        commands = _SyncCommands()
        if client is None:
            kwargs = commands._client_kwargs(  # noqa: SLF001 - our own helper
                "redis.retry", socket_timeout, connect_timeout, options
            )
            client = sync_redis.Redis.from_url(url, **kwargs)
        commands._init_core(  # noqa: SLF001
            client,
            exceptions=import_extra("redis.exceptions", extra="redis", module=__name__),
            mode=core.get("mode"),
            breaker=core.get("breaker"),
            registry=core.get("registry"),
            name=core.get("name", "redis"),
            failure_threshold=core.get("failure_threshold", 5),
            recovery_timeout=core.get("recovery_timeout", 30.0),
            success_threshold=core.get("success_threshold", 3),
            fallback_cache_size=core.get("fallback_cache_size", 1000),
            fallback_ttl=core.get("fallback_ttl", 300.0),
            clock=core.get("clock"),
        )
        self._do = commands

    # --- the shared state -------------------------------------------------------------

    @property
    def mode(self) -> RedisMode:
        """STRICT or PERMISSIVE: what a command does while Redis is down."""
        return self._do.mode

    @mode.setter
    def mode(self, mode: RedisMode | str) -> None:
        self._do.mode = RedisMode(mode)

    @property
    def breaker(self) -> CircuitBreaker:
        """The breaker around every command."""
        return self._do.breaker

    @property
    def cache(self) -> FallbackCache:
        """The fallback cache served while Redis is down."""
        return self._do.cache

    @property
    def fallback_hits(self) -> int:
        """How many fallback values were served."""
        return self._do.fallback_hits

    @property
    def raw(self) -> Any:
        """The wrapped ``redis.Redis`` (no breaker, no fallback: use with care)."""
        return self._do.raw

    # --- commands (see ResilientRedis for what each does while Redis is down) ----------

    def get(self, key: str, *, mode: ModeArg = None) -> Any:
        """GET ``key``; see :meth:`ResilientRedis.get`."""
        return run_sync(self._do.get(key, mode=mode))

    def set(  # noqa: PLR0913
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
        """SET ``key`` to ``value``; see :meth:`ResilientRedis.set`."""
        return run_sync(self._do.set(key, value, ex=ex, px=px, nx=nx, xx=xx, mode=mode))

    def delete(self, *keys: str, mode: ModeArg = None) -> int:
        """DEL ``keys``; see :meth:`ResilientRedis.delete`."""
        return run_sync(self._do.delete(*keys, mode=mode))

    def exists(self, *keys: str, mode: ModeArg = None) -> int:
        """EXISTS ``keys``; see :meth:`ResilientRedis.exists`."""
        return run_sync(self._do.exists(*keys, mode=mode))

    def expire(self, key: str, seconds: float, *, mode: ModeArg = None) -> bool:
        """EXPIRE ``key``; see :meth:`ResilientRedis.expire`."""
        return run_sync(self._do.expire(key, seconds, mode=mode))

    def ttl(self, key: str, *, mode: ModeArg = None) -> int:
        """TTL of ``key``; see :meth:`ResilientRedis.ttl`."""
        return run_sync(self._do.ttl(key, mode=mode))

    def incr(self, key: str, amount: int = 1, *, mode: ModeArg = None) -> int | None:
        """INCRBY ``key``; see :meth:`ResilientRedis.incr`."""
        return run_sync(self._do.incr(key, amount, mode=mode))

    def hset(
        self,
        name: str,
        key: str | None = None,
        value: Any = None,
        *,
        mapping: Mapping[str, Any] | None = None,
        mode: ModeArg = None,
    ) -> int:
        """HSET fields of hash ``name``; see :meth:`ResilientRedis.hset`."""
        return run_sync(self._do.hset(name, key, value, mapping=mapping, mode=mode))

    def hget(self, name: str, key: str, *, mode: ModeArg = None) -> Any:
        """HGET a field of hash ``name``; see :meth:`ResilientRedis.hget`."""
        return run_sync(self._do.hget(name, key, mode=mode))

    def hgetall(self, name: str, *, mode: ModeArg = None) -> dict[Any, Any]:
        """HGETALL of hash ``name``; see :meth:`ResilientRedis.hgetall`."""
        return run_sync(self._do.hgetall(name, mode=mode))

    def hdel(self, name: str, *keys: str, mode: ModeArg = None) -> int:
        """HDEL fields of hash ``name``; see :meth:`ResilientRedis.hdel`."""
        return run_sync(self._do.hdel(name, *keys, mode=mode))

    def zadd(self, name: str, mapping: Mapping[Any, float], *, mode: ModeArg = None) -> int:
        """ZADD members; see :meth:`ResilientRedis.zadd`."""
        return run_sync(self._do.zadd(name, mapping, mode=mode))

    def zcard(self, name: str, *, mode: ModeArg = None) -> int:
        """ZCARD of ``name``; see :meth:`ResilientRedis.zcard`."""
        return run_sync(self._do.zcard(name, mode=mode))

    def zrange(
        self, name: str, start: int, end: int, *, withscores: bool = False, mode: ModeArg = None
    ) -> list[Any]:
        """ZRANGE of ``name`` by rank; see :meth:`ResilientRedis.zrange`."""
        return run_sync(self._do.zrange(name, start, end, withscores=withscores, mode=mode))

    def zremrangebyscore(
        self, name: str, low: float | str, high: float | str, *, mode: ModeArg = None
    ) -> int:
        """ZREMRANGEBYSCORE of ``name``; see :meth:`ResilientRedis.zremrangebyscore`."""
        return run_sync(self._do.zremrangebyscore(name, low, high, mode=mode))

    def publish(self, channel: str, message: Any, *, mode: ModeArg = None) -> int:
        """PUBLISH ``message``; see :meth:`ResilientRedis.publish`."""
        return run_sync(self._do.publish(channel, message, mode=mode))

    def ping(self, *, mode: ModeArg = None) -> bool:
        """PING through the breaker; see :meth:`ResilientRedis.ping`."""
        return run_sync(self._do.ping(mode=mode))

    def pubsub(self, **kwargs: Any) -> Any:
        """Return redis-py's own PubSub (not breaker-guarded, no reconnects).

        Prefer :meth:`subscribe`, which survives a Redis restart.
        """
        return self._do.raw.pubsub(**kwargs)

    def subscribe(
        self,
        *channels: str,
        patterns: Iterable[str] = (),
        reconnect_initial: float = 0.05,
        reconnect_max: float = 2.0,
    ) -> SyncSubscription:
        """Return a subscription that reconnects and resubscribes after Redis comes back.

        Use it as ``with client.subscribe("events") as sub:`` and iterate over it
        (``for message in sub``) or call ``sub.get_message(timeout=...)``.

        Args:
            *channels: Channels to subscribe to.
            patterns: Glob-style patterns to subscribe to (PSUBSCRIBE).
            reconnect_initial: Seconds before the first reconnection attempt.
            reconnect_max: Longest wait between attempts (the wait doubles up to it).
        """
        return SyncSubscription(
            self._do.raw,
            channels,
            patterns,
            down=self._do._down,  # noqa: SLF001 - our own commands' connection errors
            reconnect_initial=reconnect_initial,
            reconnect_max=reconnect_max,
        )

    def pipeline(self, *, transaction: bool = True) -> SyncPipeline:
        """Return a pipeline whose ``execute()`` is one breaker-guarded call.

        Args:
            transaction: Wrap the commands in MULTI/EXEC.
        """
        return SyncPipeline(self._do, self._do.raw.pipeline(transaction=transaction))

    def register_script(self, script: str, *, read_only: bool = False) -> SyncScript:
        """Return a Lua script callable through the breaker (EVALSHA, loaded on demand).

        Args:
            script: The Lua source.
            read_only: The script only reads, so its ``KEYS`` keep their cached entries.
        """
        return SyncScript(self._do, self._do.raw.register_script(script), read_only=read_only)

    # --- health -----------------------------------------------------------------------

    def health_check(self) -> dict[str, Any]:
        """Ping Redis directly (outside the breaker) and report latency, circuit and error.

        The wait is bounded by the client's socket timeout.
        """
        start = time.perf_counter()
        error = None
        try:
            self._do.raw.ping()
        except Exception as exc:  # noqa: BLE001 - any failure is the report's content
            error = exc
        return self._do._health_report(start, error)  # noqa: SLF001 - our own helper

    def close(self) -> None:
        """Close the connections of the wrapped client."""
        self._do.raw.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
