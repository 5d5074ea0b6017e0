"""The resilient Redis client's modes, and how a command reports that Redis is down."""

from __future__ import annotations

import enum
import os
from collections.abc import Mapping

from rescope.exceptions import ConfigurationError

__all__ = ["ENV_MODE", "DownError", "RedisMode"]

ENV_MODE = "REDIS_SECURITY_MODE"


class RedisMode(enum.Enum):
    """What the resilient client does when Redis is down.

    ``STRICT`` raises :class:`~rescope.exceptions.RedisUnavailableError` for every command
    (a write is never reported as done). ``PERMISSIVE`` serves reads from the fallback
    cache (or an empty value) and reports writes as not done (``False`` / ``0`` /
    ``None``), logging a warning once per command and outage.
    """

    STRICT = "strict"
    PERMISSIVE = "permissive"

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> RedisMode:
        """Read the mode from ``REDIS_SECURITY_MODE`` (``strict`` when unset).

        Args:
            environ: The environment to read (default ``os.environ``).

        Raises:
            ConfigurationError: The variable holds something else than strict/permissive.
        """
        raw = (environ if environ is not None else os.environ).get(ENV_MODE, "strict")
        try:
            return cls(raw.strip().lower())
        except ValueError:
            raise ConfigurationError(
                f"{ENV_MODE}={raw!r} is not a Redis mode.",
                setting=ENV_MODE,
                hint=f"{ENV_MODE}=strict (raise when Redis is down) or"
                f" {ENV_MODE}=permissive (serve fallbacks).",
            ) from None


class DownError(Exception):
    """Internal: a command did not run because Redis is down or the circuit is open."""

    def __init__(self, reason: str, cause: BaseException) -> None:
        super().__init__(reason)
        self.reason = reason
        self.cause = cause
