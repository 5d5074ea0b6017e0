"""Resource safety: every temp file, process, thread, connection and session is released.

Temp files and directories (:func:`managed_temp_files`, :func:`managed_temp_dir`), safe
subprocesses (:func:`run_process`, :func:`arun_process`, :class:`FFmpeg`) and offload of
blocking or CPU-bound work (:func:`run_blocking`, :func:`run_cpu_bound`,
:func:`run_in_process`) need ``rescope[resources]`` (anyio).

The SQLAlchemy integration (engines, sessions, transactions, health) needs
``rescope[sqlalchemy,settings]`` and the settings classes need ``rescope[settings]``. They
are imported on first use, so ``import rescope.resources`` works without them and a missing
package is reported as :class:`~rescope.exceptions.MissingExtraError` naming the extra.
"""

from __future__ import annotations

import importlib as _importlib
from typing import TYPE_CHECKING

from rescope._extras import import_extra as _import_extra

_import_extra("anyio", extra="resources", module=__name__)

from rescope.resources._ffmpeg import FFmpeg  # noqa: E402 - after the extra check
from rescope.resources._offload import (  # noqa: E402
    OffloadLimits,
    offload_blocking,
    offload_cpu_bound,
    offload_limits,
    run_blocking,
    run_cpu_bound,
    run_in_process,
)
from rescope.resources._process import (  # noqa: E402
    DEFAULT_KILL_GRACE,
    DEFAULT_MAX_OUTPUT,
    ProcessResult,
    run_process,
)
from rescope.resources._process_async import arun_process  # noqa: E402
from rescope.resources._tempfiles import TempDir, TempFiles, managed_temp_dir, managed_temp_files  # noqa: E402

if TYPE_CHECKING:
    from rescope.resources._database import (
        DatabaseHealth,
        PoolStats,
        acheck_database,
        add_database_health,
        check_database,
        create_async_engine,
        create_engine,
        pool_stats,
        provide_async_engine,
        provide_async_session,
        provide_engine,
        provide_session,
        session,
        transaction,
    )
    from rescope.resources._settings import (
        ComponentSettings,
        DatabaseSettings,
        FFmpegSettings,
        OffloadSettings,
        RedisSettings,
    )

__all__ = [
    "ComponentSettings",
    "DEFAULT_KILL_GRACE",
    "DEFAULT_MAX_OUTPUT",
    "DatabaseHealth",
    "DatabaseSettings",
    "FFmpeg",
    "FFmpegSettings",
    "OffloadLimits",
    "OffloadSettings",
    "PoolStats",
    "ProcessResult",
    "RedisSettings",
    "TempDir",
    "TempFiles",
    "acheck_database",
    "add_database_health",
    "arun_process",
    "check_database",
    "create_async_engine",
    "create_engine",
    "managed_temp_dir",
    "managed_temp_files",
    "offload_blocking",
    "offload_cpu_bound",
    "offload_limits",
    "pool_stats",
    "provide_async_engine",
    "provide_async_session",
    "provide_engine",
    "provide_session",
    "run_blocking",
    "run_cpu_bound",
    "run_in_process",
    "run_process",
    "session",
    "transaction",
]

# name -> (private module, [(package, extra), ...] it needs)
_SETTINGS_EXTRA = [("pydantic_settings", "settings")]
_DATABASE_EXTRAS = [
    ("sqlalchemy", "sqlalchemy"),
    ("sqlalchemy.ext.asyncio", "sqlalchemy"),
    *_SETTINGS_EXTRA,
]
_LAZY: dict[str, tuple[str, list[tuple[str, str]]]] = {
    **dict.fromkeys(
        [
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
        ],
        ("rescope.resources._database", _DATABASE_EXTRAS),
    ),
    **dict.fromkeys(
        [
            "ComponentSettings",
            "DatabaseSettings",
            "FFmpegSettings",
            "OffloadSettings",
            "RedisSettings",
        ],
        ("rescope.resources._settings", _SETTINGS_EXTRA),
    ),
}


def __getattr__(name: str) -> object:
    """Import an integration's names on first use, or name the extra that is missing."""
    try:
        module, needs = _LAZY[name]
    except KeyError:
        msg = f"module {__name__!r} has no attribute {name!r}"
        raise AttributeError(msg) from None
    for package, extra in needs:
        _import_extra(package, extra=extra, module=f"{__name__}.{name}")
    value = getattr(_importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
