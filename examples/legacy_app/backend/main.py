"""FastAPI application."""

import logging
from contextlib import asynccontextmanager

from fastapi import FastAPI

from backend.api.routes import analytics, auth, brand_kits, coach, generation, health, knowledge, media, webhooks, ws
from backend.database.session import init_db

logger = logging.getLogger(__name__)


@asynccontextmanager
async def lifespan(app: FastAPI):
    init_db()
    logger.info("database ready")
    yield


def create_app() -> FastAPI:
    app = FastAPI(title="Creator Platform API", version="0.9.3", lifespan=lifespan)
    for module in (auth, brand_kits, generation, webhooks, coach, media, analytics, knowledge, health, ws):
        app.include_router(module.router)
    return app


app = create_app()
