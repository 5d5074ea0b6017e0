"""Application settings, read from the environment."""

import json
import logging
import os
from dataclasses import dataclass, fields
from functools import lru_cache
from pathlib import Path
from typing import Optional

logger = logging.getLogger(__name__)

_MISSING = object()

DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"
DEFAULT_KEY_PREFIX = "legacy:"
DEFAULT_DATABASE_PATH = "./legacy.db"

_settings_path: Optional[Path] = None


def get_settings_path() -> Path:
    """Path of the optional JSON overrides file (resolved once)."""
    global _settings_path
    if _settings_path is None:
        _settings_path = Path(os.environ.get("SETTINGS_FILE", "settings.local.json")).resolve()
    return _settings_path


@dataclass(frozen=True)
class Settings:
    redis_url: str = DEFAULT_REDIS_URL
    redis_key_prefix: str = DEFAULT_KEY_PREFIX
    database_path: str = DEFAULT_DATABASE_PATH
    storage_dir: str = "./storage"
    jwt_secret: str = "dev-secret-change-me-0123456789abcdef"
    jwt_algorithm: str = "HS256"
    access_token_ttl: int = 900
    refresh_token_ttl: int = 7 * 24 * 3600
    password_iterations: int = 1000
    supabase_url: str = "memory://local"
    supabase_key: str = "anon"
    llm_provider: str = "fake"
    gemini_api_key: str = "fake-key"
    image_provider: str = "fake"
    generation_daily_limit: int = 5
    webhook_poll_interval: float = 0.05
    webhook_timeout: float = 5.0

    @classmethod
    def from_env(cls) -> "Settings":
        values = {}
        overrides = _read_overrides(get_settings_path())
        for field in fields(cls):
            raw = os.environ.get(field.name.upper(), overrides.get(field.name, _MISSING))
            if raw is _MISSING:
                continue
            values[field.name] = field.type(raw) if field.type in (int, float) else raw
        return cls(**values)


def _read_overrides(path: Path) -> dict:
    if not path.exists():
        return {}
    try:
        return json.loads(path.read_text())
    except ValueError:
        logger.warning("ignoring malformed settings file %s", path)
        return {}


@lru_cache()
def get_settings() -> Settings:
    return Settings.from_env()
