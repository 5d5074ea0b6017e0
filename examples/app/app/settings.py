"""The application's settings, read once from the environment and registered in APP scope."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import SettingsConfigDict

from rescope.resources import ComponentSettings, DatabaseSettings


class AppSettings(ComponentSettings):
    """Everything the app reads from the environment; the defaults run it on one machine.

    Without ``REDIS_URL`` the completion notifier, the event bus, the rate limiter and the
    key-value store run in-process; ``DATABASE_URL`` defaults to a SQLite file.
    """

    model_config = SettingsConfigDict(env_prefix="")

    database_url: str = "sqlite:///app.sqlite3"
    redis_url: str | None = None
    redis_security_mode: Literal["strict", "permissive"] = "permissive"
    app_namespace: str = Field(default="creator", min_length=1)
    storage_dir: str = "./storage"
    jwt_secret: SecretStr = SecretStr("dev-secret-change-me-0123456789abcdef")
    access_token_ttl: int = Field(default=900, gt=0)
    refresh_token_ttl: int = Field(default=7 * 24 * 3600, gt=0)
    password_iterations: int = Field(default=100_000, ge=1)
    generation_rate_limit: int = Field(default=5, ge=1)
    generation_rate_window: float = Field(default=60.0, gt=0)
    completion_retention: float = Field(default=300.0, ge=0)
    generation_wait_timeout: float = Field(default=30.0, gt=0)
    ffmpeg_timeout: float = Field(default=30.0, gt=0)


def database_settings(settings: AppSettings) -> DatabaseSettings:
    """The database settings: ``DATABASE_URL`` plus the ``DB_*`` pool options."""
    return DatabaseSettings(url=settings.database_url, application_name="creator-platform")
