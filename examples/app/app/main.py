"""The ASGI app: ``uvicorn app.main:app`` (settings from the environment).

``create_app(container)`` builds the same app on a given container: tests make a fresh
one per test, and replace services with ``container.override`` or ``Overrides``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncEngine

from app.generation import ImageApiBreaker
from app.models import Base
from app.ops import Metrics
from app.routes import analytics, auth, brand_kits, coach, generation, media, ops, realtime
from app.routes.deps import user_key
from app.services import build_registry
from rescope import Container
from rescope.fastapi import setup

ROUTERS = (
    auth.router,
    brand_kits.router,
    generation.router,
    generation.webhooks,
    coach.router,
    media.router,
    analytics.router,
    realtime.router,
    ops.router,
)


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Create the tables, start the metrics and the breakers (inside rescope's lifespan)."""
    container: Container = app.state.rescope.container
    engine = await container.aget(AsyncEngine)
    async with engine.begin() as connection:
        await connection.run_sync(Base.metadata.create_all)
    await container.aget(Metrics)
    await container.aget(ImageApiBreaker)  # reported by /health from the first request on
    yield


def create_app(container: Container | None = None) -> FastAPI:
    """The app on ``container``, or on one built from the environment at startup.

    Args:
        container: The container to serve from; its lifetime becomes the app's.
    """
    app = FastAPI(title="Creator Platform API", version="1.0.0", lifespan=lifespan)
    for router in ROUTERS:
        app.include_router(router)
    setup(
        app,
        container if container is not None else (lambda: Container(build_registry())),
        user_key=user_key,
        max_users=10_000,
        user_idle_ttl=900,
    )
    return app


app = create_app()
