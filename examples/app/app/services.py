"""Every service of the app, registered once in the scope it lives in.

=========  ==================================================================
APP        settings, the database engine, Redis (when configured), the store,
           the rate limiter, breakers, health, metrics, the completion notifier,
           the event bus, and every stateless service (tokens, prompts, the
           image gateway, storage, the media pipelines, the coach model)
SESSION    one per user: the user's websockets, event router, running jobs
           and coach conversations
REQUEST    the database session, the request context, and the services that
           work in the request's unit of work (auth, audit, brand kits,
           generation, the coach loop)
=========  ==================================================================

The container checks the graph when the app starts: an APP service that asked for a
REQUEST session, a missing provider or a cycle fails the start, not a request.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from fastapi import Request

from app.analytics import Analytics
from app.auth import (
    AuditLog,
    Authenticator,
    AuthService,
    PasswordHasher,
    RequestContext,
    TokenIssuer,
    TokenStore,
)
from app.brand_kits import BrandKits
from app.coach import CoachModel, CoachService, Conversations, IntentExtractor, Tips
from app.generation import (
    GenerationService,
    ImageClient,
    ImageGateway,
    PromptEngine,
    provide_image_breaker,
)
from app.media import AudioPipeline, ImagePipeline, provide_ffmpeg
from app.ops import embedded_health, provide_metrics, redis_health
from app.realtime import realtime_registry
from app.settings import AppSettings, database_settings
from app.storage import Storage
from app.store import MemoryStore, RedisStore, Store
from rescope import Registry, Scope
from rescope.fastapi import CurrentUser
from rescope.resilience import (
    BreakerRegistry,
    InMemoryRateLimiter,
    RateLimiter,
    RedisMode,
    RedisRateLimiter,
    ResilientRedis,
)
from rescope.resources import provide_async_engine, provide_async_session


async def provide_redis(
    settings: AppSettings, breakers: BreakerRegistry
) -> AsyncIterator[ResilientRedis]:
    """The resilient Redis client; its breaker is reported with the others."""
    redis = ResilientRedis(
        str(settings.redis_url), mode=RedisMode(settings.redis_security_mode), registry=breakers
    )
    try:
        yield redis
    finally:
        await redis.aclose()


def memory_limiter(settings: AppSettings) -> RateLimiter:
    """Generations per user per window, counted in this process."""
    return InMemoryRateLimiter(settings.generation_rate_limit, settings.generation_rate_window)


def redis_limiter(settings: AppSettings, redis: ResilientRedis) -> RateLimiter:
    """Generations per user per window, counted in Redis for every instance."""
    return RedisRateLimiter(
        redis,
        settings.generation_rate_limit,
        settings.generation_rate_window,
        prefix=f"{settings.app_namespace}:ratelimit:",
    )


def _backends(registry: Registry, settings: AppSettings) -> None:
    """Redis-backed parts with ``REDIS_URL``, their in-process twins without it."""
    if settings.redis_url:
        registry.add(provide_redis)
        registry.add(RedisStore, provides=Store)
        registry.add(redis_limiter)
        registry.add(redis_health)
    else:
        registry.add(MemoryStore, provides=Store)
        registry.add(memory_limiter)
        registry.add(embedded_health)


def build_registry(settings: AppSettings | None = None) -> Registry:
    """The app's registry; settings come from the environment when not given.

    Args:
        settings: The settings to run with (tests pass their own).
    """
    settings = settings if settings is not None else AppSettings()
    registry = Registry(realtime_registry(settings))  # notifier, bus, per-user events

    # APP: one value for the whole app, finalized at shutdown.
    registry.value(settings)
    registry.add(database_settings)
    registry.add(provide_async_engine)
    registry.add(BreakerRegistry)
    _backends(registry, settings)
    registry.add(provide_metrics)
    for stateless in (
        PasswordHasher,
        TokenIssuer,
        TokenStore,
        Authenticator,
        PromptEngine,
        ImageClient,
        ImageGateway,
        Storage,
        ImagePipeline,
        AudioPipeline,
        Analytics,
        CoachModel,
        IntentExtractor,
        Tips,
    ):
        registry.add(stateless)
    registry.add(provide_ffmpeg)
    registry.add(provide_image_breaker)

    # SESSION: one per user, shared by the user's requests and websockets.
    registry.context(CurrentUser, scope=Scope.SESSION)
    registry.add(Conversations, scope=Scope.SESSION)

    # REQUEST: one per HTTP request, closed after the response is sent.
    registry.context(Request, scope=Scope.REQUEST)
    registry.add(provide_async_session, scope=Scope.REQUEST)
    registry.add(RequestContext, scope=Scope.REQUEST)
    for per_request in (AuditLog, AuthService, BrandKits, GenerationService, CoachService):
        registry.add(per_request, scope=Scope.REQUEST)
    return registry
