"""Fixtures shared by the whole suite: real Redis, PostgreSQL and SQLite, never mocks."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.servers import (
    PrivateRedis,
    ServerMissingError,
    SharedRedis,
    create_postgres_database,
    drop_postgres_database,
    new_shared_redis,
)


@pytest.fixture(name="anyio_backend")
def fixture_anyio_backend() -> str:
    """Run async tests on asyncio (the loop rescope's users run)."""
    return "asyncio"


@pytest.fixture(name="shared_redis")
def fixture_shared_redis() -> Iterator[SharedRedis]:
    """The shared Redis on 127.0.0.1:6379 with a per-test key prefix, cleaned on teardown."""
    try:
        target = new_shared_redis()
    except ServerMissingError as exc:
        pytest.fail(str(exc), pytrace=False)
    yield target
    target.cleanup()


@pytest.fixture(name="private_redis")
def fixture_private_redis(tmp_path: Path) -> Iterator[PrivateRedis]:
    """A redis-server of this test's own on a free port; killed by its pid on teardown."""
    server = PrivateRedis(workdir=tmp_path / "redis")
    try:
        server.start()
    except ServerMissingError as exc:
        pytest.fail(str(exc), pytrace=False)
    try:
        yield server
    finally:
        server.kill()


@pytest.fixture(name="postgres_dsn", scope="session")
def fixture_postgres_dsn() -> Iterator[str]:
    """A PostgreSQL database created for this test run and dropped after it."""
    try:
        dsn = create_postgres_database()
    except ServerMissingError as exc:
        pytest.fail(str(exc), pytrace=False)
    yield dsn
    drop_postgres_database(dsn)


@pytest.fixture(name="sqlite_path")
def fixture_sqlite_path(tmp_path: Path) -> Path:
    """A path for a fresh SQLite database file in the test's temporary directory."""
    return tmp_path / "test.sqlite3"
