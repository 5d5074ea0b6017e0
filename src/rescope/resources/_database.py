"""The SQLAlchemy integration in one place, for lazy import by ``rescope.resources``."""

from __future__ import annotations

from rescope.resources._db_engines import (
    DatabaseHealth,
    PoolStats,
    acheck_database,
    check_database,
    create_async_engine,
    create_engine,
    pool_stats,
)
from rescope.resources._db_health import add_database_health
from rescope.resources._db_sessions import (
    provide_async_engine,
    provide_async_session,
    provide_engine,
    provide_session,
    session,
    transaction,
)

__all__ = [
    "DatabaseHealth",
    "PoolStats",
    "acheck_database",
    "add_database_health",
    "check_database",
    "create_async_engine",
    "create_engine",
    "pool_stats",
    "provide_async_engine",
    "provide_async_session",
    "provide_engine",
    "provide_session",
    "session",
    "transaction",
]
