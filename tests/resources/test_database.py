"""Engines, sessions and transactions on real SQLite files and the running PostgreSQL."""

from __future__ import annotations

import asyncio
import random
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor

import psycopg
import pytest
import sqlalchemy as sa
import sqlalchemy.orm

from rescope.exceptions import DatabaseError
from rescope.resources import (
    DatabaseSettings,
    acheck_database,
    check_database,
    create_async_engine,
    create_engine,
    pool_stats,
    provide_async_session,
    provide_session,
    session,
    transaction,
)

DDL = "CREATE TABLE {t} (id INTEGER PRIMARY KEY, note TEXT)"


def _table() -> str:
    return f"items_{uuid.uuid4().hex[:8]}"


def _insert(table: str, i: int, note: str = "x") -> sa.TextClause:
    statement = sa.text(f"INSERT INTO {table} VALUES (:i, :note)")  # noqa: S608 - our own name
    return statement.bindparams(i=i, note=note)


def _ids(engine: sa.Engine, table: str) -> set[int]:
    with engine.connect() as conn:
        rows = conn.execute(sa.text(f"SELECT id FROM {table}"))  # noqa: S608 - our own name
        return {row[0] for row in rows}


def _pg_sessions(dsn: str, app: str) -> dict[str, int]:
    """Connections of this database opened by ``app``, counted by state (pg_stat_activity)."""
    name = dsn.rsplit("/", 1)[1]
    with psycopg.connect(dsn.rsplit("/", 1)[0] + "/postgres", autocommit=True) as conn:
        rows = conn.execute(
            "SELECT coalesce(state, '?'), count(*) FROM pg_stat_activity"
            " WHERE datname = %s AND application_name = %s GROUP BY 1",
            (name, app),
        ).fetchall()
    return dict(rows)


@pytest.fixture(name="sqlite_url")
def fixture_sqlite_url(sqlite_path) -> str:
    """A SQLAlchemy URL for a fresh SQLite file."""
    return f"sqlite:///{sqlite_path}"


@pytest.fixture(name="backend", params=["sqlite", "postgresql"])
def fixture_backend(request, sqlite_url) -> DatabaseSettings:
    """Settings for a SQLite file and for the test run's PostgreSQL database."""
    if request.param == "sqlite":
        return DatabaseSettings(url=sqlite_url)
    dsn = request.getfixturevalue("postgres_dsn")
    return DatabaseSettings(url=dsn, application_name=f"rescope-{uuid.uuid4().hex[:8]}")


def test_sqlite_connections_get_wal_busy_timeout_and_foreign_keys(sqlite_url) -> None:
    """Every SQLite connection runs in WAL mode with a busy timeout and foreign keys on."""
    engine = create_engine(DatabaseSettings(url=sqlite_url, sqlite_busy_timeout_ms=1234))
    with engine.connect() as conn:
        pragma = {
            p: conn.exec_driver_sql(f"PRAGMA {p}").scalar()
            for p in ("journal_mode", "busy_timeout", "foreign_keys")
        }
        conn.exec_driver_sql("CREATE TABLE parent (id INTEGER PRIMARY KEY)")
        conn.exec_driver_sql("CREATE TABLE child (pid INTEGER REFERENCES parent(id))")
        conn.commit()
        with pytest.raises(sa.exc.IntegrityError):
            conn.exec_driver_sql("INSERT INTO child VALUES (7)")
    assert pragma == {"journal_mode": "wal", "busy_timeout": 1234, "foreign_keys": 1}
    engine.dispose()


@pytest.mark.anyio
async def test_async_sqlite_connections_are_tuned_too(sqlite_url) -> None:
    """The aiosqlite engine applies the same pragmas."""
    engine = create_async_engine(sqlite_url)
    async with engine.connect() as conn:
        mode = (await conn.exec_driver_sql("PRAGMA journal_mode")).scalar()
        fks = (await conn.exec_driver_sql("PRAGMA foreign_keys")).scalar()
    assert (mode, fks) == ("wal", 1)
    await engine.dispose()


def test_postgres_gets_pool_options_statement_timeout_and_name(postgres_dsn) -> None:
    """PostgreSQL connections carry the statement timeout and application name; pool sized."""
    settings = DatabaseSettings(
        url=postgres_dsn,
        pool_size=3,
        max_overflow=2,
        statement_timeout_ms=300,
        application_name="rescope-options",
    )
    engine = create_engine(settings)
    with engine.connect() as conn:
        timeout = conn.exec_driver_sql("SHOW statement_timeout").scalar()
        name = conn.exec_driver_sql("SHOW application_name").scalar()
        with pytest.raises(sa.exc.OperationalError, match="statement timeout"):
            conn.exec_driver_sql("SELECT pg_sleep(3)")
    assert (timeout, name) == ("300ms", "rescope-options")
    assert pool_stats(engine).size == 3
    assert engine.pool._max_overflow == 2
    assert engine.pool._recycle == settings.pool_recycle
    assert engine.pool._pre_ping is True
    engine.dispose()


def test_settings_come_from_db_environment_variables(monkeypatch, sqlite_url) -> None:
    """With no argument the engine reads DB_URL, DB_POOL_SIZE and the other DB_* variables."""
    monkeypatch.setenv("DB_URL", sqlite_url)
    monkeypatch.setenv("DB_POOL_SIZE", "3")
    engine = create_engine()
    assert str(engine.url) == sqlite_url.replace("sqlite://", "sqlite+pysqlite://")
    assert pool_stats(engine).size == 3
    engine.dispose()


def test_a_bad_url_says_what_a_url_looks_like() -> None:
    """A URL SQLAlchemy cannot parse raises DatabaseError with examples of good ones."""
    with pytest.raises(DatabaseError, match="postgresql://user@host"):
        create_engine("not a url")


def test_session_commits_rolls_back_and_closes(backend) -> None:
    """Success commits, an error rolls back, and the connection is back in the pool either way."""
    engine, table = create_engine(backend), _table()
    with session(engine) as db:
        db.execute(sa.text(DDL.format(t=table)))
    with session(engine) as db:
        db.execute(_insert(table, 1, "kept"))

    def fail() -> None:
        with session(engine) as db:
            db.execute(_insert(table, 2, "undone"))
            raise ValueError("boom")

    with pytest.raises(ValueError, match="boom"):
        fail()
    assert _ids(engine, table) == {1}
    assert pool_stats(engine).checked_out == 0
    engine.dispose()


def test_nested_transaction_is_a_savepoint(backend) -> None:
    """A failing inner transaction() undoes only its own work; the outer one commits."""
    engine, table = create_engine(backend), _table()
    with session(engine) as db, transaction(db):
        db.execute(sa.text(DDL.format(t=table)))

    def inner(db: sa.orm.Session) -> None:
        with transaction(db):
            db.execute(_insert(table, 2, "inner"))
            raise ValueError

    with session(engine) as db:
        with transaction(db):
            db.execute(_insert(table, 1, "outer"))
            with pytest.raises(ValueError):
                inner(db)
            db.execute(_insert(table, 3, "outer again"))
        assert not db.in_transaction()
    assert _ids(engine, table) == {1, 3}
    engine.dispose()


@pytest.mark.anyio
async def test_async_session_and_savepoint(backend) -> None:
    """The async session and transaction() behave like the sync ones."""
    sync_engine, engine, table = create_engine(backend), create_async_engine(backend), _table()
    with session(sync_engine) as db:
        db.execute(sa.text(DDL.format(t=table)))

    async def inner(db) -> None:
        async with transaction(db):
            await db.execute(_insert(table, 2, "b"))
            raise KeyError

    async def fail() -> None:
        async with session(engine) as db:
            await db.execute(_insert(table, 3, "c"))
            raise ValueError

    async with session(engine) as db:
        await db.execute(_insert(table, 1, "a"))
        with pytest.raises(KeyError):
            await inner(db)
    with pytest.raises(ValueError):
        await fail()
    assert _ids(sync_engine, table) == {1}
    assert pool_stats(engine).checked_out == 0
    await engine.dispose()
    sync_engine.dispose()


@pytest.mark.anyio
async def test_thousand_async_sessions_with_errors_and_cancellations_leak_nothing(
    backend,
) -> None:
    """1,000 concurrent sessions with random errors and cancellations leave 0 connections out."""
    settings = backend.model_copy(update={"pool_size": 5, "max_overflow": 5})
    sync_engine, engine, table = create_engine(settings), create_async_engine(settings), _table()
    with session(sync_engine) as db:
        db.execute(sa.text(DDL.format(t=table)))
    rng = random.Random(1000)
    committed, failed, cancelled = set(), set(), set()

    async def unit(i: int, fate: str) -> None:
        async with session(engine) as db:
            await db.execute(_insert(table, i, fate))
            await asyncio.sleep(rng.random() / 500)
            if fate == "error":
                raise ValueError(i)
            if fate == "cancel":
                await asyncio.sleep(60)

    for start in range(0, 1000, 100):
        tasks = {}
        for i in range(start, start + 100):
            fate = rng.choice(["ok", "ok", "error", "cancel"])
            tasks[i] = asyncio.create_task(unit(i, fate))
            if fate == "cancel" or rng.random() < 0.1:
                asyncio.get_running_loop().call_later(rng.random() / 50, tasks[i].cancel)
        await asyncio.wait(tasks.values())
        for i, task in tasks.items():
            if task.cancelled():
                cancelled.add(i)
            elif task.exception() is not None:
                failed.add(i)
            else:
                committed.add(i)
    stats = pool_stats(engine)
    assert len(committed) + len(failed) + len(cancelled) == 1000
    assert min(len(committed), len(failed), len(cancelled)) > 100
    assert stats.checked_out == 0
    stored = _ids(sync_engine, table)
    assert committed <= stored
    assert not stored & failed
    assert stored <= committed | cancelled  # a cancel can land after the commit was sent
    if settings.url.startswith("postgresql"):
        states = _pg_sessions(settings.url, settings.application_name)
        assert "idle in transaction" not in states
        assert "idle in transaction (aborted)" not in states
        assert sum(states.values()) == stats.open + pool_stats(sync_engine).open
    await engine.dispose()
    sync_engine.dispose()


def test_sync_sessions_from_many_threads_leak_nothing(backend) -> None:
    """300 sync sessions across 8 threads with random errors leave 0 connections out."""
    engine, table = create_engine(backend), _table()
    with session(engine) as db:
        db.execute(sa.text(DDL.format(t=table)))
    lock, committed = threading.Lock(), set()

    def unit(i: int) -> None:
        with session(engine) as db:
            db.execute(_insert(table, i))
            if i % 3 == 0:
                raise ValueError(i)
        with lock:
            committed.add(i)

    with ThreadPoolExecutor(8) as pool:
        outcomes = list(pool.map(lambda i: _quiet(unit, i), range(300)))
    assert outcomes.count(False) == 100
    assert pool_stats(engine).checked_out == 0
    assert _ids(engine, table) == committed
    engine.dispose()


def _quiet(fn, arg) -> bool:
    try:
        fn(arg)
    except ValueError:
        return False
    return True


def test_providers_roll_back_what_was_not_committed(backend) -> None:
    """provide_session yields a session; closing it keeps commits and drops the rest."""
    engine, table = create_engine(backend), _table()
    with session(engine) as db:
        db.execute(sa.text(DDL.format(t=table)))
    gen = provide_session(engine)
    db = next(gen)
    db.execute(_insert(table, 1, "committed"))
    db.commit()
    db.execute(_insert(table, 2, "left open"))
    gen.close()
    gen = provide_session(engine)
    db = next(gen)
    db.execute(_insert(table, 3, "request failed"))
    with pytest.raises(RuntimeError):
        gen.throw(RuntimeError("the handler failed"))
    assert _ids(engine, table) == {1}
    assert pool_stats(engine).checked_out == 0
    engine.dispose()


@pytest.mark.anyio
async def test_async_provider_rolls_back_what_was_not_committed(backend) -> None:
    """provide_async_session keeps commits and drops the rest when the scope closes."""
    sync_engine, engine, table = create_engine(backend), create_async_engine(backend), _table()
    with session(sync_engine) as db:
        db.execute(sa.text(DDL.format(t=table)))
    agen = provide_async_session(engine)
    db = await anext(agen)
    async with transaction(db):
        await db.execute(_insert(table, 1, "committed"))
    await db.execute(_insert(table, 2, "left open"))
    await agen.aclose()
    assert _ids(sync_engine, table) == {1}
    assert pool_stats(engine).checked_out == 0
    await engine.dispose()
    sync_engine.dispose()


def test_health_check_reports_pool_and_failures(backend) -> None:
    """A reachable database is healthy with pool stats; an unreachable one reports the error."""
    engine = create_engine(backend)
    health = check_database(engine)
    assert health.healthy
    assert health.error is None
    assert health.backend == backend.url.split(":", 1)[0]
    assert health.pool.checked_out == 0
    assert health.pool.checked_in >= 1
    engine.dispose()
    down = create_engine("postgresql://postgres@127.0.0.1:1/nothing")
    health = check_database(down)
    assert not health.healthy
    assert "OperationalError" in health.error


@pytest.mark.anyio
async def test_async_health_check(backend) -> None:
    """acheck_database reports health and pool statistics of an async engine."""
    engine = create_async_engine(backend)
    health = await acheck_database(engine)
    assert health.healthy
    assert health.pool.open == health.pool.checked_in
    await engine.dispose()
    down = create_async_engine("postgresql://postgres@127.0.0.1:1/nothing")
    assert not (await acheck_database(down, timeout=5)).healthy


@pytest.mark.anyio
async def test_session_accepts_session_factories(sqlite_url) -> None:
    """session() takes a sessionmaker or async_sessionmaker as well as an engine."""
    from sqlalchemy.ext.asyncio import async_sessionmaker

    sync_engine, engine, table = (
        create_engine(sqlite_url),
        create_async_engine(sqlite_url),
        _table(),
    )
    factory = sa.orm.sessionmaker(sync_engine)
    with session(factory) as db:
        db.execute(sa.text(DDL.format(t=table)))
        db.execute(_insert(table, 1))
    async with session(async_sessionmaker(engine)) as db:
        await db.execute(_insert(table, 2))
    assert _ids(sync_engine, table) == {1, 2}
    await engine.dispose()
    sync_engine.dispose()
