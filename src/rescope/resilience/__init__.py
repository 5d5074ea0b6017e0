"""Resilience: circuit breakers, retries, rate limits, health checks and their metrics.

The breaker, retries, the in-process rate limiter and the health registry need nothing
beyond the standard library (retries use ``stamina``: ``rescope[retry]``). The resilient
Redis client and the Redis rate limiter need ``rescope[redis]`` and import it on first use;
the FastAPI pieces live in :mod:`rescope.resilience.fastapi`.
"""

from rescope.resilience._breaker import CircuitBreaker, Listener
from rescope.resilience._cache import FallbackCache
from rescope.resilience._clock import Clock, ManualClock
from rescope.resilience._health import (
    CheckResult,
    HealthCheck,
    HealthRegistry,
    HealthReport,
    Status,
)
from rescope.resilience._hooks import (
    LoggingHook,
    ResilienceHook,
    add_hook,
    get_hooks,
    set_hooks,
)
from rescope.resilience._prometheus import PrometheusHook
from rescope.resilience._ratelimit import (
    InMemoryRateLimiter,
    RateLimitDecision,
    RateLimiter,
    RedisRateLimiter,
)
from rescope.resilience._redis import ResilientRedis
from rescope.resilience._redis_batch import (
    ResilientPipeline,
    ResilientScript,
    SyncPipeline,
    SyncScript,
)
from rescope.resilience._redis_mode import RedisMode
from rescope.resilience._redis_pubsub import ResilientSubscription
from rescope.resilience._redis_pubsub_sync import SyncSubscription
from rescope.resilience._redis_sync import ResilientRedisSync
from rescope.resilience._registry import BreakerRegistry
from rescope.resilience._retry import retry
from rescope.resilience._shared import SharedBreakerState
from rescope.resilience._state import BreakerMetrics, CircuitState
from rescope.resilience._testing import testing

__all__ = [
    "BreakerMetrics",
    "BreakerRegistry",
    "CheckResult",
    "CircuitBreaker",
    "CircuitState",
    "Clock",
    "FallbackCache",
    "HealthCheck",
    "HealthRegistry",
    "HealthReport",
    "InMemoryRateLimiter",
    "Listener",
    "LoggingHook",
    "ManualClock",
    "PrometheusHook",
    "RateLimitDecision",
    "RateLimiter",
    "RedisMode",
    "RedisRateLimiter",
    "ResilienceHook",
    "ResilientPipeline",
    "ResilientRedis",
    "ResilientRedisSync",
    "ResilientScript",
    "ResilientSubscription",
    "SharedBreakerState",
    "Status",
    "SyncPipeline",
    "SyncScript",
    "SyncSubscription",
    "add_hook",
    "get_hooks",
    "retry",
    "set_hooks",
    "testing",
]
