"""SQLAlchemy engines from :class:`DatabaseSettings`, tuned per backend, with health and pool stats.

SQLite (the embedded default) gets WAL, a busy timeout and foreign keys on every connection,
and rescope emits ``BEGIN`` (or ``BEGIN IMMEDIATE``, with ``DB_SQLITE_BEGIN=immediate``)
itself so that transactions and savepoints behave as they do on PostgreSQL. PostgreSQL gets
the pool options, pre-ping, a ``statement_timeout`` and an
``application_name`` from the settings.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Any

import anyio
import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import URL, Engine, make_url
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.ext.asyncio import create_async_engine as sa_create_async_engine
from sqlalchemy.pool import QueuePool

from rescope.exceptions import DatabaseError
from rescope.resources._settings import DatabaseSettings

__all__ = [
    "DatabaseHealth",
    "PoolStats",
    "acheck_database",
    "check_database",
    "create_async_engine",
    "create_engine",
    "pool_stats",
]

logger = logging.getLogger("rescope.resources")

_SYNC_DRIVERS = {"sqlite": "sqlite+pysqlite", "postgresql": "postgresql+psycopg"}
_ASYNC_DRIVERS = {"sqlite": "sqlite+aiosqlite", "postgresql": "postgresql+psycopg"}


def _settings(settings: DatabaseSettings | str | None) -> DatabaseSettings:
    if settings is None:
        return DatabaseSettings()
    if isinstance(settings, str):
        return DatabaseSettings(url=settings)
    return settings


def _url(raw: str, *, asynchronous: bool) -> URL:
    if raw.startswith("postgres://"):
        raw = "postgresql://" + raw.removeprefix("postgres://")
    try:
        url = make_url(raw)
    except sa.exc.ArgumentError as exc:
        msg = f"DB_URL {raw!r} is not a database URL SQLAlchemy understands: {exc}"
        raise DatabaseError(
            msg, hint="`sqlite:///path/to/file.sqlite3` or `postgresql://user@host:5432/db`."
        ) from exc
    if "+" not in url.drivername:
        drivers = _ASYNC_DRIVERS if asynchronous else _SYNC_DRIVERS
        url = url.set(drivername=drivers.get(url.drivername, url.drivername))
    return url


def _is_memory(url: URL) -> bool:
    return url.database in (None, "", ":memory:") or "mode=memory" in str(url)


def _engine_options(url: URL, settings: DatabaseSettings) -> dict[str, Any]:
    options: dict[str, Any] = {"echo": settings.echo}
    backend = url.get_backend_name()
    if backend == "sqlite" and _is_memory(url):
        return options
    options |= {
        "pool_size": settings.pool_size,
        "max_overflow": settings.max_overflow,
        "pool_timeout": settings.pool_timeout,
    }
    if backend != "sqlite":
        # A file cannot drop a connection or time it out; these guard network databases.
        options |= {"pool_recycle": settings.pool_recycle, "pool_pre_ping": settings.pool_pre_ping}
    if backend == "postgresql":
        timeout = settings.statement_timeout_ms
        if url.get_driver_name() == "asyncpg":
            server = {"application_name": settings.application_name}
            if timeout:
                server["statement_timeout"] = str(timeout)
            options["connect_args"] = {"server_settings": server}
        else:
            connect: dict[str, Any] = {"application_name": settings.application_name}
            if timeout:
                connect["options"] = f"-c statement_timeout={timeout}"
            options["connect_args"] = connect
    return options


def _tune_sqlite(engine: Engine, settings: DatabaseSettings, *, memory: bool) -> None:
    pragmas = [
        f"PRAGMA busy_timeout = {settings.sqlite_busy_timeout_ms}",
        "PRAGMA foreign_keys = ON",
    ]
    if not memory:
        pragmas += ["PRAGMA journal_mode = WAL", "PRAGMA synchronous = NORMAL"]

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # The driver's own implicit transactions break SAVEPOINT; rescope emits BEGIN itself.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            for pragma in pragmas:
                cursor.execute(pragma)
        finally:
            cursor.close()

    begin = "BEGIN IMMEDIATE" if settings.sqlite_begin == "immediate" else "BEGIN"

    @event.listens_for(engine, "begin")
    def _on_begin(connection: sa.Connection) -> None:
        connection.exec_driver_sql(begin)


def create_engine(settings: DatabaseSettings | str | None = None) -> Engine:
    """Create a sync SQLAlchemy engine from settings, tuned for its backend.

    Args:
        settings: The settings, a URL (other options default), or ``None`` to read
            ``DB_*`` environment variables. ``postgresql://`` uses psycopg 3.

    Raises:
        DatabaseError: The URL is not one SQLAlchemy understands.
        SettingsError: ``DB_*`` variables fail validation.
    """
    config = _settings(settings)
    url = _url(config.url, asynchronous=False)
    engine = sa.create_engine(url, **_engine_options(url, config))
    if url.get_backend_name() == "sqlite":
        _tune_sqlite(engine, config, memory=_is_memory(url))
    return engine


def create_async_engine(settings: DatabaseSettings | str | None = None) -> AsyncEngine:
    """Create an asyncio SQLAlchemy engine from settings, tuned for its backend.

    Args:
        settings: The settings, a URL (other options default), or ``None`` to read
            ``DB_*`` environment variables. ``sqlite://`` uses aiosqlite and
            ``postgresql://`` psycopg 3; name a driver (``postgresql+asyncpg://``) to choose.

    Raises:
        DatabaseError: The URL is not one SQLAlchemy understands.
        SettingsError: ``DB_*`` variables fail validation.
    """
    config = _settings(settings)
    url = _url(config.url, asynchronous=True)
    engine = sa_create_async_engine(url, **_engine_options(url, config))
    if url.get_backend_name() == "sqlite":
        _tune_sqlite(engine.sync_engine, config, memory=_is_memory(url))
    return engine


@dataclass(frozen=True, slots=True)
class PoolStats:
    """A snapshot of an engine's connection pool.

    Attributes:
        size: Connections the pool keeps (``pool_size``); 0 for pools without a size.
        checked_in: Open connections idle in the pool.
        checked_out: Connections in use by sessions right now.
        overflow: Connections open beyond ``size``.
    """

    size: int
    checked_in: int
    checked_out: int
    overflow: int

    @property
    def open(self) -> int:
        """Connections open to the database (idle plus in use)."""
        return self.checked_in + self.checked_out


def pool_stats(engine: Engine | AsyncEngine) -> PoolStats:
    """Return a snapshot of ``engine``'s pool (for health checks and metrics).

    Args:
        engine: A sync or async engine.
    """
    pool = engine.pool
    if isinstance(pool, QueuePool):
        return PoolStats(
            size=pool.size(),
            checked_in=pool.checkedin(),
            checked_out=pool.checkedout(),
            overflow=max(pool.overflow(), 0),
        )
    checked_out = getattr(pool, "checkedout", lambda: 0)()
    return PoolStats(size=0, checked_in=0, checked_out=int(checked_out), overflow=0)


@dataclass(frozen=True, slots=True)
class DatabaseHealth:
    """The outcome of a database health check.

    Attributes:
        healthy: Whether ``SELECT 1`` succeeded.
        backend: ``"sqlite"``, ``"postgresql"``, ...
        latency: Seconds the check took.
        error: What failed, when it did.
        pool: The pool after the check.
    """

    healthy: bool
    backend: str
    latency: float
    error: str | None
    pool: PoolStats


def check_database(engine: Engine) -> DatabaseHealth:
    """Run ``SELECT 1`` on a sync engine and report health, latency and pool statistics.

    It never raises: a failure is reported in :attr:`DatabaseHealth.error` and logged.

    Args:
        engine: The engine to check.
    """
    started = time.perf_counter()
    error = None
    try:
        with engine.connect() as connection:
            connection.execute(sa.text("SELECT 1"))
    except Exception as exc:  # noqa: BLE001 - a health check reports every failure
        error = f"{type(exc).__name__}: {exc}"
        logger.warning("database health check failed: %s", error)
    return DatabaseHealth(
        healthy=error is None,
        backend=engine.url.get_backend_name(),
        latency=time.perf_counter() - started,
        error=error,
        pool=pool_stats(engine),
    )


async def acheck_database(
    engine: AsyncEngine,
    *,
    timeout: float = 5.0,  # noqa: ASYNC109 - a health check reports slowness, not raises
) -> DatabaseHealth:
    """Run ``SELECT 1`` on an async engine and report health, latency and pool statistics.

    It never raises: a failure or a check slower than ``timeout`` is reported in
    :attr:`DatabaseHealth.error` and logged.

    Args:
        engine: The engine to check.
        timeout: Seconds the check may take.
    """
    started = time.perf_counter()
    error = None
    try:
        with anyio.fail_after(timeout):
            async with engine.connect() as connection:
                await connection.execute(sa.text("SELECT 1"))
    except TimeoutError:
        error = f"no answer within {timeout:g}s"
    except Exception as exc:  # noqa: BLE001 - a health check reports every failure
        error = f"{type(exc).__name__}: {exc}"
    if error is not None:
        logger.warning("database health check failed: %s", error)
    return DatabaseHealth(
        healthy=error is None,
        backend=engine.url.get_backend_name(),
        latency=time.perf_counter() - started,
        error=error,
        pool=pool_stats(engine),
    )
