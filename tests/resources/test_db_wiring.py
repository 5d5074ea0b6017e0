"""Database health in the health registry, SQLite BEGIN IMMEDIATE, and the container providers."""

from __future__ import annotations

import threading
import time
import uuid

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from sqlalchemy.orm import Session

from rescope.di import Container, Registry, Scope
from rescope.exceptions import ConfigurationError
from rescope.resilience import HealthRegistry
from rescope.resources import (
    DatabaseSettings,
    add_database_health,
    create_async_engine,
    create_engine,
    provide_async_engine,
    provide_async_session,
    provide_engine,
    provide_session,
    session,
)
from tests.servers import free_port


@pytest.fixture(name="settings", params=["sqlite", "postgresql"])
def fixture_settings(request, sqlite_path) -> DatabaseSettings:
    """Settings for a SQLite file and for the test run's PostgreSQL database."""
    if request.param == "sqlite":
        return DatabaseSettings(url=f"sqlite:///{sqlite_path}")
    dsn = request.getfixturevalue("postgres_dsn")
    return DatabaseSettings(url=dsn, application_name=f"rescope-{uuid.uuid4().hex[:8]}")


def _closed_port_url() -> str:
    return f"postgresql://postgres@127.0.0.1:{free_port()}/nothing"


@pytest.mark.anyio
@pytest.mark.parametrize("asynchronous", [False, True], ids=["sync", "async"])
async def test_health_report_includes_the_database_and_its_pool(settings, asynchronous) -> None:
    """A reachable database is an ok check whose details carry the backend and pool stats."""
    engine = create_async_engine(settings) if asynchronous else create_engine(settings)
    health = HealthRegistry()
    add_database_health(health, engine)
    try:
        report = await health.run()
        by_tag = await health.run(tags={"database"})
    finally:
        disposed = engine.dispose()
        if asynchronous:
            await disposed
    assert report.status == "ok"
    assert report.http_status == 200
    check = report.as_dict()["checks"]["database"]
    assert check["status"] == "ok"
    assert check["critical"] is True
    assert check["details"]["backend"] == settings.url.split(":", 1)[0]
    assert check["details"]["pool"]["checked_out"] == 0
    assert check["details"]["pool"]["checked_in"] >= 1
    assert "database" in by_tag.checks


@pytest.mark.anyio
@pytest.mark.parametrize("asynchronous", [False, True], ids=["sync", "async"])
async def test_unreachable_database_turns_the_report_down(asynchronous) -> None:
    """A PostgreSQL URL on a closed port makes the check down and the whole report a 503."""
    url = _closed_port_url()
    engine = create_async_engine(url) if asynchronous else create_engine(url)
    health = HealthRegistry()
    add_database_health(health, engine, name="orders-db")
    report = await health.run()
    check = report.checks["orders-db"]
    assert report.status == "down"
    assert report.http_status == 503
    assert check.status == "down"
    assert "OperationalError" in (check.error or "")
    assert check.details["pool"]["checked_out"] == 0


@pytest.mark.anyio
async def test_a_non_critical_database_only_degrades_the_report() -> None:
    """With critical=False an unreachable database makes the report degraded, not down."""
    health = HealthRegistry()
    add_database_health(health, create_engine(_closed_port_url()), critical=False)
    report = await health.run()
    assert report.status == "degraded"
    assert report.http_status == 200


def test_registering_the_same_name_twice_is_refused(sqlite_path) -> None:
    """A second database check under the same name raises the registry's ConfigurationError."""
    health = HealthRegistry()
    engine = create_engine(f"sqlite:///{sqlite_path}")
    add_database_health(health, engine)
    with pytest.raises(ConfigurationError, match="already registered"):
        add_database_health(health, engine)
    engine.dispose()


def _read_then_write(engine: Engine, start: threading.Barrier, errors: list[str]) -> None:
    start.wait()
    try:
        with session(engine) as db:
            value = db.execute(sa.text("SELECT value FROM counter")).scalar_one()
            time.sleep(0.1)  # every deferred transaction has read before any writes
            db.execute(sa.text("UPDATE counter SET value = :v"), {"v": value + 1})
    except sa.exc.OperationalError as exc:
        errors.append(str(exc.orig))


@pytest.mark.parametrize(("begin", "locked"), [("deferred", True), ("immediate", False)])
def test_begin_immediate_makes_concurrent_read_then_write_wait(sqlite_path, begin, locked) -> None:
    """Deferred read-then-write transactions fail with "database is locked"; immediate ones wait."""
    engine = create_engine(DatabaseSettings(url=f"sqlite:///{sqlite_path}", sqlite_begin=begin))
    with session(engine) as db:
        db.execute(sa.text("CREATE TABLE counter (value INTEGER NOT NULL)"))
        db.execute(sa.text("INSERT INTO counter VALUES (0)"))
    writers = 4
    start, errors = threading.Barrier(writers), []
    threads = [
        threading.Thread(target=_read_then_write, args=(engine, start, errors))
        for _ in range(writers)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    with engine.connect() as conn:
        final = conn.execute(sa.text("SELECT value FROM counter")).scalar_one()
    engine.dispose()
    if locked:
        assert errors
        assert all("database is locked" in e for e in errors)
        assert final == writers - len(errors)
    else:
        assert errors == []
        assert final == writers


def test_sqlite_begin_is_read_from_the_environment(monkeypatch) -> None:
    """DB_SQLITE_BEGIN sets the mode and a wrong value names the variable and its choices."""
    monkeypatch.setenv("DB_SQLITE_BEGIN", "immediate")
    assert DatabaseSettings().sqlite_begin == "immediate"
    monkeypatch.setenv("DB_SQLITE_BEGIN", "exclusive")
    with pytest.raises(Exception, match="DB_SQLITE_BEGIN='exclusive': expected one of"):
        DatabaseSettings()


def _insert(table: str, i: int) -> sa.TextClause:
    return sa.text(f"INSERT INTO {table} VALUES (:i)").bindparams(i=i)  # noqa: S608 - our own name


def _count(engine: Engine, table: str) -> int:
    with engine.connect() as conn:
        statement = sa.text(f"SELECT count(*) FROM {table}")  # noqa: S608 - our own name
        return int(conn.execute(statement).scalar_one())


def _failing_request(container: Container, table: str, previous: Session) -> None:
    with container.scope(Scope.REQUEST) as scope:
        db = scope.get(Session)
        assert db is not previous
        db.execute(_insert(table, 2))
        raise RuntimeError("request failed")


async def _afailing_request(container: Container, table: str, previous: AsyncSession) -> None:
    async with container.scope(Scope.REQUEST) as scope:
        db = await scope.aget(AsyncSession)
        assert db is not previous
        await db.execute(_insert(table, 2))
        raise RuntimeError("request failed")


def test_sync_providers_give_one_session_per_request_scope(settings) -> None:
    """In a container each REQUEST scope gets its own session; errors roll back; close disposes."""
    registry = Registry()
    registry.value(settings)
    registry.add(provide_engine)
    registry.add(provide_session, scope=Scope.REQUEST)
    container = Container(registry)
    table = f"notes_{uuid.uuid4().hex[:8]}"
    engine = container.get(Engine)
    with engine.begin() as conn:
        conn.execute(sa.text(f"CREATE TABLE {table} (id INTEGER PRIMARY KEY)"))
    with container.scope(Scope.REQUEST) as first:
        db = first.get(Session)
        assert first.get(Session) is db
        db.execute(_insert(table, 1))
        db.commit()
    with pytest.raises(RuntimeError, match="request failed"):
        _failing_request(container, table, db)
    assert _count(engine, table) == 1
    assert engine.pool.checkedout() == 0
    container.close()
    assert engine.pool.checkedin() == 0


@pytest.mark.anyio
async def test_async_providers_give_one_session_per_request_scope(settings) -> None:
    """Async providers: a session per REQUEST scope, rollback on error, disposal on aclose."""
    registry = Registry()
    registry.value(settings)
    registry.add(provide_async_engine)
    registry.add(provide_async_session, scope=Scope.REQUEST)
    container = Container(registry)
    table = f"notes_{uuid.uuid4().hex[:8]}"
    engine = await container.aget(AsyncEngine)
    async with engine.begin() as conn:
        await conn.execute(sa.text(f"CREATE TABLE {table} (id INTEGER PRIMARY KEY)"))
    async with container.scope(Scope.REQUEST) as first:
        db = await first.aget(AsyncSession)
        await db.execute(_insert(table, 1))
        await db.commit()
    with pytest.raises(RuntimeError, match="request failed"):
        await _afailing_request(container, table, db)
    async with engine.connect() as conn:
        statement = sa.text(f"SELECT count(*) FROM {table}")  # noqa: S608 - our own name
        count = (await conn.execute(statement)).scalar_one()
    assert count == 1
    assert engine.pool.checkedout() == 0
    await container.aclose()
    assert engine.pool.checkedin() == 0


def test_settings_registered_as_a_class_read_db_variables_once(monkeypatch, sqlite_path) -> None:
    """`registry.add(DatabaseSettings)` makes one APP settings object from DB_* for the engine."""
    monkeypatch.setenv("DB_URL", f"sqlite:///{sqlite_path}")
    monkeypatch.setenv("DB_SQLITE_BEGIN", "immediate")
    registry = Registry()
    registry.add(DatabaseSettings)
    registry.add(provide_engine)
    with Container(registry) as container:
        settings = container.get(DatabaseSettings)
        assert container.get(DatabaseSettings) is settings
        assert settings.sqlite_begin == "immediate"
        engine = container.get(Engine)
        assert engine.url.database == str(sqlite_path)
        with session(engine) as db:
            db.execute(sa.text("SELECT 1"))
    assert engine.pool.checkedin() == 0
