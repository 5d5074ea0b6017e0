"""Process-wide Redis connection."""

import logging
import threading

import redis

from backend.config import get_settings

logger = logging.getLogger(__name__)


class RedisManager:
    """Owns the one Redis connection pool of the process.

    Every caller does ``RedisManager().client``; ``__new__`` makes sure they all share it.
    """

    _instance = None
    _lock = threading.Lock()

    def __new__(cls):
        if cls._instance is None:
            with cls._lock:
                if cls._instance is None:
                    instance = super().__new__(cls)
                    instance._setup()
                    cls._instance = instance
        return cls._instance

    def _setup(self) -> None:
        settings = get_settings()
        self.prefix = settings.redis_key_prefix
        self.client = redis.Redis.from_url(settings.redis_url, decode_responses=True)
        logger.info("redis client created for %s", settings.redis_url)

    def key(self, *parts: str) -> str:
        return self.prefix + ":".join(parts)

    def ping(self) -> bool:
        try:
            return bool(self.client.ping())
        except redis.RedisError:
            logger.exception("redis ping failed")
            return False
