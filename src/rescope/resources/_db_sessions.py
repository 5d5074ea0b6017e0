"""Sessions that always end: commit on success, rollback on error, close on every path.

:func:`session` is the unit of work for scripts and jobs. :func:`transaction` draws explicit
boundaries inside a session (a savepoint when one is already open). The ``provide_*``
generator functions are the container's providers: an engine per application, a session
per request.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator, Iterator
from contextlib import AbstractAsyncContextManager, AbstractContextManager
from typing import overload

import anyio
from sqlalchemy.engine import Engine
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    AsyncSessionTransaction,
    async_sessionmaker,
)
from sqlalchemy.orm import Session, SessionTransaction, sessionmaker

from rescope.resources._db_engines import create_async_engine, create_engine
from rescope.resources._settings import DatabaseSettings

__all__ = [
    "provide_async_engine",
    "provide_async_session",
    "provide_engine",
    "provide_session",
    "session",
    "transaction",
]

logger = logging.getLogger("rescope.resources")

SyncSource = Engine | sessionmaker[Session]
AsyncSource = AsyncEngine | async_sessionmaker[AsyncSession]


def _open(source: SyncSource) -> Session:
    if isinstance(source, Engine):
        return Session(source, expire_on_commit=False)
    return source()


def _aopen(source: AsyncSource) -> AsyncSession:
    if isinstance(source, AsyncEngine):
        return AsyncSession(source, expire_on_commit=False)
    return source()


def _end(db: Session, *, rollback: bool) -> None:
    """Roll back (if asked) and close; a failure here is logged, never raised over the cause."""
    try:
        if rollback:
            db.rollback()
    except Exception:
        logger.exception("rollback failed; the connection is discarded")
        with contextlib.suppress(Exception):
            db.invalidate()
    finally:
        try:
            db.close()
        except Exception:
            logger.exception("closing the session failed; the connection is discarded")
            with contextlib.suppress(Exception):
                db.invalidate()


async def _aend(db: AsyncSession, *, rollback: bool) -> None:
    """Async :func:`_end`, shielded so that a cancelled task still releases its connection."""
    with anyio.CancelScope(shield=True):
        try:
            if rollback:
                await db.rollback()
        except Exception:
            logger.exception("rollback failed; the connection is discarded")
            with contextlib.suppress(Exception):
                await db.invalidate()
        finally:
            try:
                await db.close()
            except Exception:
                logger.exception("closing the session failed; the connection is discarded")
                with contextlib.suppress(Exception):
                    await db.invalidate()


@contextlib.contextmanager
def _session(source: SyncSource) -> Iterator[Session]:
    db = _open(source)
    ok = False
    try:
        yield db
        db.commit()
        ok = True
    finally:
        _end(db, rollback=not ok)


@contextlib.asynccontextmanager
async def _asession(source: AsyncSource) -> AsyncIterator[AsyncSession]:
    db = _aopen(source)
    ok = False
    try:
        yield db
        await db.commit()
        ok = True
    finally:
        await _aend(db, rollback=not ok)


@overload
def session(source: SyncSource) -> AbstractContextManager[Session]: ...
@overload
def session(source: AsyncSource) -> AbstractAsyncContextManager[AsyncSession]: ...
def session(
    source: SyncSource | AsyncSource,
) -> AbstractContextManager[Session] | AbstractAsyncContextManager[AsyncSession]:
    """Open a session that commits on success, rolls back on error and always closes.

    Use ``with`` for a sync engine (or ``sessionmaker``) and ``async with`` for an async
    one. The rollback covers exceptions, ``KeyboardInterrupt`` and task cancellation; on
    the async path it is shielded from the cancellation, so the connection goes back to the
    pool clean (or is discarded if it cannot be cleaned). A failing rollback or close is
    logged and never replaces the exception that caused it.

    Args:
        source: An engine (sessions get ``expire_on_commit=False``) or a session factory.
    """
    if isinstance(source, AsyncEngine | async_sessionmaker):
        return _asession(source)
    return _session(source)


@overload
def transaction(db: Session) -> SessionTransaction: ...
@overload
def transaction(db: AsyncSession) -> AsyncSessionTransaction: ...
def transaction(db: Session | AsyncSession) -> SessionTransaction | AsyncSessionTransaction:
    """Mark an explicit transaction boundary: a transaction, or a savepoint inside one.

    ``with transaction(db):`` (``async with`` for an ``AsyncSession``) commits when the block
    succeeds and rolls back when it raises. When the session already has a transaction the
    block is a SAVEPOINT: its failure undoes only its own work and the exception goes on.

    Args:
        db: The session.
    """
    return db.begin_nested() if db.in_transaction() else db.begin()


def provide_engine(settings: DatabaseSettings) -> Iterator[Engine]:
    """Provide a sync engine for the application; dispose of its pool when the app closes.

    Register it with scope APP.

    Args:
        settings: The database settings (an APP service too).
    """
    engine = create_engine(settings)
    try:
        yield engine
    finally:
        engine.dispose()


async def provide_async_engine(settings: DatabaseSettings) -> AsyncIterator[AsyncEngine]:
    """Provide an async engine for the application; dispose of its pool when the app closes.

    Register it with scope APP.

    Args:
        settings: The database settings (an APP service too).
    """
    engine = create_async_engine(settings)
    try:
        yield engine
    finally:
        with anyio.CancelScope(shield=True):
            await engine.dispose()


def provide_session(engine: Engine) -> Iterator[Session]:
    """Provide one session per request: what was not committed is rolled back at the end.

    Register it with scope REQUEST. It never commits by itself, so a request that fails
    cannot half-commit whatever the container does with the error: commit with
    ``db.commit()`` or ``with transaction(db):`` where the work is complete.

    Args:
        engine: The application's engine.
    """
    db = _open(engine)
    try:
        yield db
    finally:
        _end(db, rollback=True)


async def provide_async_session(engine: AsyncEngine) -> AsyncIterator[AsyncSession]:
    """Provide one async session per request; what was not committed is rolled back.

    Register it with scope REQUEST; see :func:`provide_session`.

    Args:
        engine: The application's async engine.
    """
    db = _aopen(engine)
    try:
        yield db
    finally:
        await _aend(db, rollback=True)
