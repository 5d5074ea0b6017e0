"""Breaker state shared across processes through Redis, off the closed path.

A worker whose breaker opens or closes publishes the transition on a channel and stores it
under a version key; the other workers apply it from a background subscriber. A closed-state
call never talks to Redis: only transitions do, so the fast path stays what it was.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import uuid
from collections.abc import Iterable
from typing import Any, Self

from rescope._extras import import_extra
from rescope.resilience._breaker import CircuitBreaker
from rescope.resilience._registry import BreakerRegistry
from rescope.resilience._state import CircuitState

__all__ = ["SharedBreakerState"]

logger = logging.getLogger("rescope.resilience")


class SharedBreakerState:
    """Keep breakers of the same name in step across processes and hosts.

    When one worker's breaker opens, every worker's opens (for the time the first one has
    left), so a dead dependency is not probed by each worker in turn; when one closes, all
    close. Half-open is local: each worker probes for itself. A worker that starts late
    reads the last transition of each breaker from its version key.

    Args:
        url: The Redis that carries the state (a plain client: it must not be guarded by
            the breakers it synchronises).
        breakers: The breakers to share (a registry shares all of its breakers).
        prefix: Prefix of the channel and of the state keys.
        client: An existing ``redis.asyncio.Redis`` instead of ``url``.

    Raises:
        MissingExtraError: ``redis`` is not installed (``rescope[redis]``).
    """

    def __init__(
        self,
        url: str = "redis://127.0.0.1:6379/0",
        breakers: Iterable[CircuitBreaker] | BreakerRegistry = (),
        *,
        prefix: str = "rescope:breakers:",
        client: Any = None,
    ) -> None:
        aioredis = import_extra("redis.asyncio", extra="redis", module=__name__)
        self._redis = client or aioredis.Redis.from_url(
            url, socket_timeout=1.0, socket_connect_timeout=0.5
        )
        self.prefix = prefix
        self.channel = f"{prefix}transitions"
        self.origin = f"{os.getpid()}-{uuid.uuid4().hex[:8]}"
        self._breakers = {b.name: b for b in breakers}
        self._applying: set[str] = set()
        self._listener_task: asyncio.Task[None] | None = None
        self._publishes: set[asyncio.Task[None]] = set()
        self._subscribed = asyncio.Event()
        for breaker in self._breakers.values():
            breaker.add_listener(self._on_transition)

    async def start(self) -> None:
        """Subscribe, then apply the last known transition of every shared breaker."""
        self._subscribed.clear()
        self._listener_task = asyncio.create_task(self._listen())
        await self._subscribed.wait()
        for name, breaker in self._breakers.items():
            raw = await self._redis.get(f"{self.prefix}{name}")
            if raw is not None:
                self._apply(breaker, json.loads(raw), self._now_ms(await self._redis.time()))

    async def stop(self) -> None:
        """Stop listening, wait for pending publications and close the connection."""
        if self._publishes:
            await asyncio.gather(*list(self._publishes), return_exceptions=True)
        if self._listener_task is not None:
            self._listener_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._listener_task
        for breaker in self._breakers.values():
            with contextlib.suppress(ValueError):
                breaker.remove_listener(self._on_transition)
        await self._redis.aclose()

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # --- outgoing ---------------------------------------------------------------------

    def _on_transition(self, breaker: CircuitBreaker, old: CircuitState, new: CircuitState) -> None:
        del old
        if breaker.name in self._applying or new is CircuitState.HALF_OPEN:
            return
        retry_after = breaker.metrics().retry_after if new is CircuitState.OPEN else None
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            logger.warning("circuit %r changed outside an event loop: not shared", breaker.name)
            return
        task = loop.create_task(self._publish(breaker.name, new, retry_after))
        self._publishes.add(task)
        task.add_done_callback(self._publishes.discard)

    async def _publish(self, name: str, state: CircuitState, retry_after: float | None) -> None:
        try:
            now_ms = self._now_ms(await self._redis.time())
            until = None if retry_after is None else now_ms + round(retry_after * 1000)
            payload = json.dumps(
                {"name": name, "state": state.value, "origin": self.origin, "until_ms": until}
            )
            async with self._redis.pipeline(transaction=True) as pipe:
                pipe.set(f"{self.prefix}{name}", payload)
                pipe.incr(f"{self.prefix}{name}:version")
                pipe.publish(self.channel, payload)
                await pipe.execute()
        except Exception:
            logger.exception("could not share the transition of circuit %r", name)

    # --- incoming ---------------------------------------------------------------------

    async def _listen(self) -> None:
        pubsub = self._redis.pubsub(ignore_subscribe_messages=True)
        try:
            await pubsub.subscribe(self.channel)
            self._subscribed.set()
            while True:
                message = await pubsub.get_message(timeout=1.0)
                if message is None:
                    continue
                data = json.loads(message["data"])
                breaker = self._breakers.get(data.get("name"))
                if breaker is None or data.get("origin") == self.origin:
                    continue
                self._apply(breaker, data, self._now_ms(await self._redis.time()))
        finally:
            self._subscribed.set()
            await pubsub.aclose()

    def _apply(self, breaker: CircuitBreaker, data: dict[str, Any], now_ms: int) -> None:
        if data.get("origin") == self.origin:
            return
        state = CircuitState(data["state"])
        self._applying.add(breaker.name)
        try:
            if state is CircuitState.OPEN:
                left = (data["until_ms"] - now_ms) / 1000 if data.get("until_ms") else None
                if left is None or left > 0:
                    breaker.trip(retry_after=left)
            elif state is CircuitState.CLOSED and breaker.state is not CircuitState.CLOSED:
                breaker.reset()
        finally:
            self._applying.discard(breaker.name)

    @staticmethod
    def _now_ms(server_time: tuple[int, int]) -> int:
        seconds, micros = server_time
        return int(seconds) * 1000 + int(micros) // 1000
