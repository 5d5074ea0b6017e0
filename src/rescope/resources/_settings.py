"""Per-component settings read from prefixed environment variables, on pydantic-settings.

Each component declares its settings as a subclass of :class:`ComponentSettings` with an
``env_prefix``; a value that fails validation raises :class:`SettingsError` naming the
environment variable, what it holds and the form it must take. Settings objects are
immutable, so one instance can be registered as an APP-scoped service.
"""

from __future__ import annotations

import types
import typing
from typing import Any, Literal, Union, get_args, get_origin

import pydantic
from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from rescope.exceptions import SettingsError
from rescope.resources._offload import CPU_POOL_ENV, IO_POOL_ENV, default_pool_sizes

__all__ = [
    "ComponentSettings",
    "DatabaseSettings",
    "FFmpegSettings",
    "OffloadSettings",
    "RedisSettings",
]

_SECRET_WORDS = ("password", "secret", "token", "key")

_FORMS: dict[object, str] = {
    int: "a whole number",
    float: "a number",
    bool: "true or false (also 1/0, yes/no, on/off)",
    str: "text",
    SecretStr: "text",
}

_BOUNDS = {"ge": ">=", "gt": ">", "le": "<=", "lt": "<"}


def _form(annotation: object) -> str:
    """Describe the form a value of ``annotation`` takes, for people setting env vars."""
    origin = get_origin(annotation)
    if origin is Literal:
        return "one of " + ", ".join(repr(a) for a in get_args(annotation))
    if origin in (Union, types.UnionType):
        parts = [_form(a) for a in get_args(annotation) if a is not type(None)]
        return " or ".join(parts)
    return _FORMS.get(annotation, getattr(annotation, "__name__", str(annotation)))


class ComponentSettings(BaseSettings):
    """Base class for one component's settings, read from environment variables.

    Subclass it, set ``model_config = SettingsConfigDict(env_prefix="MYCOMPONENT_")`` and
    declare fields with defaults; ``MYCOMPONENT_TIMEOUT`` then fills ``timeout``. Keyword
    arguments override the environment. Instances are frozen.

    Raises:
        SettingsError: A value is missing or has the wrong form; the message names each
            environment variable and the form it must take.
    """

    model_config = SettingsConfigDict(extra="ignore", frozen=True, validate_default=True)

    def __init__(self, **values: Any) -> None:
        try:
            super().__init__(**values)
        except pydantic.ValidationError as exc:
            raise _settings_error(type(self), exc) from exc

    @classmethod
    def env_name(cls, field: str) -> str:
        """Return the environment variable that sets ``field`` (``DB_POOL_SIZE``).

        Args:
            field: The field's name.
        """
        info = cls.model_fields[field]
        if isinstance(info.validation_alias, str):
            return info.validation_alias.upper()
        return f"{cls.model_config.get('env_prefix', '')}{field}".upper()


def _settings_error(cls: type[ComponentSettings], exc: pydantic.ValidationError) -> SettingsError:
    lines, names = [], []
    hints = typing.get_type_hints(cls)
    by_alias = {cls.env_name(name).lower(): name for name in cls.model_fields}
    for error in exc.errors():
        field = str(error["loc"][0]) if error["loc"] else ""
        field = field if field in cls.model_fields else by_alias.get(field.lower(), field)
        if field not in cls.model_fields:
            lines.append(f"  {error['msg']}")
            continue
        name = cls.env_name(field)
        names.append(name)
        form = _form(hints.get(field, cls.model_fields[field].annotation))
        bounds = [
            f"{sign} {error['ctx'][key]}"
            for key, sign in _BOUNDS.items()
            if key in error.get("ctx", {})
        ]
        if bounds:
            form = f"{form} {' and '.join(bounds)}"
        if error["type"] == "missing":
            lines.append(f"  {name} is not set: expected {form}.")
            continue
        secret = hints.get(field) is SecretStr or any(w in field for w in _SECRET_WORDS)
        shown = "<hidden>" if secret else repr(error["input"])
        lines.append(f"  {name}={shown}: expected {form} ({error['msg']}).")
    message = f"{cls.__name__} could not be read from the environment:\n" + "\n".join(lines)
    return SettingsError(
        message,
        variables=names,
        hint="setting each variable to the expected form, or unsetting it to use the default.",
    )


class DatabaseSettings(ComponentSettings):
    """How to reach the database and size its pool, from ``DB_*`` environment variables.

    Attributes:
        url: SQLAlchemy URL; ``sqlite:///path`` (the default, a file in the working
            directory) or ``postgresql://user:password@host/db``.
        pool_size: Connections kept open (``DB_POOL_SIZE``).
        max_overflow: Extra connections allowed under load (``DB_MAX_OVERFLOW``).
        pool_timeout: Seconds to wait for a free connection (``DB_POOL_TIMEOUT``).
        pool_recycle: Seconds after which a network connection is replaced; -1 never.
        pool_pre_ping: Test each network connection when it is checked out (not SQLite,
            whose connections are files).
        statement_timeout_ms: PostgreSQL ``statement_timeout``; 0 for none.
        sqlite_busy_timeout_ms: How long SQLite waits for a lock before failing.
        sqlite_begin: How SQLite transactions start (``DB_SQLITE_BEGIN``): ``deferred``
            takes the write lock at the first write, so two transactions that read and then
            write can both read and one fails with "database is locked"; ``immediate``
            takes it at ``BEGIN``, so the second waits (up to the busy timeout) instead.
        application_name: The name PostgreSQL shows in ``pg_stat_activity``.
        echo: Log every statement.
    """

    model_config = SettingsConfigDict(env_prefix="DB_")

    url: str = "sqlite:///app.sqlite3"
    pool_size: int = Field(default=5, ge=1)
    max_overflow: int = Field(default=10, ge=0)
    pool_timeout: float = Field(default=30.0, gt=0)
    pool_recycle: int = Field(default=1800, ge=-1)
    pool_pre_ping: bool = True
    statement_timeout_ms: int = Field(default=30_000, ge=0)
    sqlite_busy_timeout_ms: int = Field(default=5_000, ge=0)
    sqlite_begin: Literal["deferred", "immediate"] = "deferred"
    application_name: str = "rescope"
    echo: bool = False


class RedisSettings(ComponentSettings):
    """How to reach Redis, from ``REDIS_*`` environment variables.

    Attributes:
        url: ``redis://host:port/db`` (``REDIS_URL``).
        socket_timeout: Seconds a command may take.
        socket_connect_timeout: Seconds a connection attempt may take.
        max_connections: Size of the connection pool.
        health_check_interval: Seconds between connection health checks.
    """

    model_config = SettingsConfigDict(env_prefix="REDIS_")

    url: str = "redis://127.0.0.1:6379/0"
    socket_timeout: float = Field(default=5.0, gt=0)
    socket_connect_timeout: float = Field(default=2.0, gt=0)
    max_connections: int = Field(default=50, ge=1)
    health_check_interval: float = Field(default=30.0, ge=0)


class OffloadSettings(ComponentSettings):
    """The offload limits, from ``CPU_EXECUTOR_POOL_SIZE`` and ``IO_EXECUTOR_POOL_SIZE``.

    The offload functions read the same variables themselves; this class lets them be
    validated at startup and shown with the rest of the configuration.

    Attributes:
        cpu_executor_pool_size: CPU-bound calls at once (default ``min(4, cores)``).
        io_executor_pool_size: Blocking calls at once (default ``min(8, 2 x cores)``).
    """

    model_config = SettingsConfigDict(populate_by_name=True)

    cpu_executor_pool_size: int = Field(
        default_factory=lambda: default_pool_sizes()[0], ge=1, validation_alias=CPU_POOL_ENV
    )
    io_executor_pool_size: int = Field(
        default_factory=lambda: default_pool_sizes()[1], ge=1, validation_alias=IO_POOL_ENV
    )


class FFmpegSettings(ComponentSettings):
    """The :class:`~rescope.resources.FFmpeg` options, from ``FFMPEG_*`` variables.

    ``FFmpeg(**settings.model_dump())`` builds the service from them.

    Attributes:
        binary: The ffmpeg executable.
        ffprobe: The ffprobe executable.
        timeout: Seconds one job may run.
        silence_threshold: Level below which audio counts as silence (``"-60dB"``).
    """

    model_config = SettingsConfigDict(env_prefix="FFMPEG_")

    binary: str = "ffmpeg"
    ffprobe: str = "ffprobe"
    timeout: float = Field(default=30.0, gt=0)
    silence_threshold: str = "-60dB"
