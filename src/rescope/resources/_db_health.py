"""Database health in the resilience health registry, registered in one call."""

from __future__ import annotations

from dataclasses import asdict
from typing import TYPE_CHECKING, Any

from sqlalchemy.engine import Engine
from sqlalchemy.ext.asyncio import AsyncEngine

from rescope.resources._db_engines import DatabaseHealth, acheck_database, check_database

if TYPE_CHECKING:
    from rescope.resilience import HealthRegistry

__all__ = ["add_database_health"]


def _details(health: DatabaseHealth) -> dict[str, Any]:
    return {
        "status": "ok" if health.healthy else "down",
        "backend": health.backend,
        "error": health.error,
        "pool": asdict(health.pool),
    }


def add_database_health(
    health: HealthRegistry,
    engine: Engine | AsyncEngine,
    *,
    name: str = "database",
    critical: bool = True,
    timeout: float = 2.0,
) -> None:
    """Register a ``SELECT 1`` check of ``engine`` with its pool statistics as details.

    The check reports ``down`` with the driver's error when the database cannot be reached,
    and always carries ``backend`` and ``pool`` (size, checked in, checked out, overflow)
    so a ``/health`` report shows a pool running dry. An async engine is checked on the
    event loop with :func:`acheck_database`, a sync one in a worker thread with
    :func:`check_database`.

    Args:
        health: The application's :class:`~rescope.resilience.HealthRegistry`.
        engine: The sync or async engine to check.
        name: The check's name in reports (also a tag, with ``"database"``).
        critical: Whether the database being down makes the whole service down (503).
        timeout: Seconds the check may take before it counts as down.

    Raises:
        ConfigurationError: A check named ``name`` is already registered.
    """
    if isinstance(engine, AsyncEngine):
        async_engine = engine

        async def acheck() -> dict[str, Any]:
            return _details(await acheck_database(async_engine, timeout=timeout))

        # The check bounds itself, so a slow database still reports its pool statistics.
        health.add(name, acheck, timeout=timeout + 1.0, critical=critical, tags={"database"})
        return
    sync_engine = engine

    def check() -> dict[str, Any]:
        return _details(check_database(sync_engine))

    health.add(name, check, timeout=timeout, critical=critical, tags={"database"})
