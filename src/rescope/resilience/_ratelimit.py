"""Sliding-window rate limiters: in-process (the embedded default) and on Redis (one Lua call).

Both keep a log of the calls of the last ``window`` seconds per key and allow a call while
the log holds fewer than ``limit`` entries, so a burst at a window's edge cannot double the
rate as fixed windows allow.
"""

from __future__ import annotations

import itertools
import os
import uuid
from collections import deque
from dataclasses import dataclass

from rescope.exceptions import ConfigurationError, RateLimitExceededError, RedisUnavailableError
from rescope.resilience._clock import Clock, monotonic
from rescope.resilience._redis import ResilientRedis
from rescope.resilience._redis_mode import RedisMode

__all__ = ["InMemoryRateLimiter", "RateLimitDecision", "RateLimiter", "RedisRateLimiter"]

# KEYS[1] the log; ARGV: limit, window in ms, a member unique to this call.
# Server time, so that every worker and host agrees on the window.
SLIDING_WINDOW_LUA = """
local key = KEYS[1]
local limit = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
local count = redis.call('ZCARD', key)
if count < limit then
  redis.call('ZADD', key, now, ARGV[3])
  redis.call('PEXPIRE', key, window)
  return {1, limit - count - 1, 0}
end
local oldest = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')
local retry = window
if oldest[2] then retry = tonumber(oldest[2]) + window - now end
return {0, 0, retry}
"""


@dataclass(frozen=True, slots=True)
class RateLimitDecision:
    """The answer to one call.

    Attributes:
        allowed: Whether the call may go on.
        limit: Calls allowed per window.
        remaining: Calls left in the current window after this one.
        retry_after: Seconds until a call would be allowed (0 when allowed).
        degraded: The limiter could not reach its store and failed open.
    """

    allowed: bool
    limit: int
    remaining: int
    retry_after: float
    degraded: bool = False


class RateLimiter:
    """Base of the limiters: ``limit`` calls per ``window`` seconds per key.

    Args:
        limit: Calls allowed per window.
        window: The window in seconds.

    Raises:
        ConfigurationError: ``limit`` or ``window`` is not positive.
    """

    def __init__(self, limit: int, window: float) -> None:
        if limit < 1 or window <= 0:
            raise ConfigurationError(
                f"a rate limit of {limit} calls per {window}s allows nothing.",
                hint="a positive limit and window, e.g. `limit=100, window=60`.",
            )
        self.limit = limit
        self.window = window

    async def hit(self, key: str) -> RateLimitDecision:
        """Count one call for ``key`` and say whether it is allowed."""
        raise NotImplementedError

    async def check(self, key: str) -> RateLimitDecision:
        """Count one call for ``key``; raise when it goes over the limit.

        Raises:
            RateLimitExceededError: ``key`` used up its calls for the window.
        """
        decision = await self.hit(key)
        if not decision.allowed:
            raise RateLimitExceededError(
                key, limit=self.limit, window=self.window, retry_after=decision.retry_after
            )
        return decision


class InMemoryRateLimiter(RateLimiter):
    """A sliding-window limiter in this process (one worker, tests, the embedded default).

    Args:
        limit: Calls allowed per window.
        window: The window in seconds.
        clock: A monotonic clock.
    """

    def __init__(self, limit: int, window: float, *, clock: Clock = monotonic) -> None:
        super().__init__(limit, window)
        self._clock = clock
        self._logs: dict[str, deque[float]] = {}
        self._hits = 0

    def hit_now(self, key: str) -> RateLimitDecision:
        """The synchronous form of :meth:`hit`."""
        now = self._clock()
        log = self._logs.get(key)
        if log is None:
            log = self._logs[key] = deque()
        edge = now - self.window
        while log and log[0] <= edge:
            log.popleft()
        self._hits += 1
        if self._hits % 4096 == 0:
            self._sweep(edge)
        if len(log) < self.limit:
            log.append(now)
            return RateLimitDecision(True, self.limit, self.limit - len(log), 0.0)  # noqa: FBT003
        return RateLimitDecision(False, self.limit, 0, log[0] + self.window - now)  # noqa: FBT003

    async def hit(self, key: str) -> RateLimitDecision:
        """Count one call for ``key`` and say whether it is allowed."""
        return self.hit_now(key)

    def _sweep(self, edge: float) -> None:
        for key in [k for k, log in self._logs.items() if not log or log[-1] <= edge]:
            del self._logs[key]

    def __len__(self) -> int:
        return len(self._logs)


class RedisRateLimiter(RateLimiter):
    """A sliding-window limiter shared by every worker, as one Lua script on a sorted set.

    When Redis is down it fails open (allows, ``degraded=True``) if the client is
    PERMISSIVE and fails closed (raises) if it is STRICT, unless ``fail_open`` says
    otherwise.

    Args:
        redis: The resilient client (its breaker guards every check).
        limit: Calls allowed per window.
        window: The window in seconds.
        prefix: Prepended to every key.
        fail_open: Allow calls while Redis is down (default: the client's mode decides).
    """

    def __init__(
        self,
        redis: ResilientRedis,
        limit: int,
        window: float,
        *,
        prefix: str = "rescope:ratelimit:",
        fail_open: bool | None = None,
    ) -> None:
        super().__init__(limit, window)
        self.redis = redis
        self.prefix = prefix
        self.fail_open = fail_open
        self._script = redis.register_script(SLIDING_WINDOW_LUA)
        self._window_ms = max(1, round(window * 1000))
        self._token = f"{os.getpid()}-{uuid.uuid4().hex[:8]}"
        self._seq = itertools.count()

    async def hit(self, key: str) -> RateLimitDecision:
        """Count one call for ``key`` and say whether it is allowed.

        Raises:
            RedisUnavailableError: Redis is down and the limiter fails closed.
        """
        member = f"{self._token}-{next(self._seq)}"
        try:
            allowed, remaining, retry_ms = await self._script(
                keys=[self.prefix + key], args=[self.limit, self._window_ms, member]
            )
        except RedisUnavailableError:
            fail_open = self.fail_open
            if fail_open is None:
                fail_open = self.redis.mode is RedisMode.PERMISSIVE
            if not fail_open:
                raise
            return RateLimitDecision(True, self.limit, self.limit, 0.0, degraded=True)  # noqa: FBT003
        return RateLimitDecision(bool(allowed), self.limit, int(remaining), int(retry_ms) / 1000)
