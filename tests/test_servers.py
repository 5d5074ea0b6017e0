"""The test harness itself: the servers it hands out are real and behave as promised."""

from __future__ import annotations

import os
import signal

import pytest
import redis

from tests.servers import PrivateRedis, SharedRedis


def test_private_redis_kill_fails_clients_and_restart_recovers(private_redis: PrivateRedis) -> None:
    """SIGKILL makes a real client fail, and a restart on the same port serves it again."""
    client = redis.Redis.from_url(private_redis.url, socket_timeout=1, socket_connect_timeout=1)
    client.set("k", "v")
    assert client.get("k") == b"v"
    old_pid = private_redis.pid

    private_redis.kill()
    with pytest.raises(redis.ConnectionError):
        client.get("k")
    with pytest.raises(ProcessLookupError):
        os.kill(old_pid, 0)

    private_redis.start()
    assert private_redis.pid != old_pid
    assert client.ping() is True
    assert client.get("k") is None  # a restarted server keeps nothing
    client.close()


def test_private_redis_hang_times_out_clients_and_resume_recovers(
    private_redis: PrivateRedis,
) -> None:
    """SIGSTOP makes commands time out; SIGCONT makes the same server answer again."""
    client = redis.Redis.from_url(private_redis.url, socket_timeout=0.3, socket_connect_timeout=0.3)
    assert client.ping() is True
    private_redis.hang()
    with pytest.raises(redis.TimeoutError):
        client.ping()
    private_redis.resume()
    fresh = redis.Redis.from_url(private_redis.url, socket_timeout=2)
    assert fresh.ping() is True
    client.close()
    fresh.close()


def test_private_redis_teardown_kills_a_hung_server(tmp_path) -> None:
    """A server left hung by a test is still killed by its pid on teardown."""
    server = PrivateRedis(workdir=tmp_path / "r")
    server.start()
    pid = server.pid
    server.hang()
    server.kill()
    with pytest.raises(ProcessLookupError):
        os.kill(pid, signal.SIGCONT)


def test_shared_redis_prefix_is_private_and_cleaned(shared_redis: SharedRedis) -> None:
    """Keys written under the test's prefix are removed by cleanup and nothing else is."""
    client = redis.Redis.from_url(shared_redis.url)
    outsider = f"rescope-test-outsider:{shared_redis.prefix}"
    client.set(outsider, "keep", ex=60)
    client.set(shared_redis.key("a"), "1")
    client.set(shared_redis.key("b"), "2")
    assert shared_redis.cleanup() == 2
    assert client.exists(shared_redis.key("a"), shared_redis.key("b")) == 0
    assert client.get(outsider) == b"keep"
    client.delete(outsider)
    client.close()


def test_postgres_database_is_fresh_and_writable(postgres_dsn: str) -> None:
    """The per-run database exists, is not the shared `test` database, and accepts writes."""
    import psycopg

    assert postgres_dsn.rsplit("/", 1)[1].startswith("rescope_test_")
    with psycopg.connect(postgres_dsn) as conn:
        conn.execute("CREATE TEMP TABLE t (x int)")
        conn.execute("INSERT INTO t VALUES (42)")
        row = conn.execute("SELECT x FROM t").fetchone()
    assert row == (42,)


def test_sqlite_path_is_a_fresh_file_location(sqlite_path) -> None:
    """The SQLite path does not exist yet and lives in the test's own directory."""
    import sqlite3

    assert not sqlite_path.exists()
    with sqlite3.connect(sqlite_path) as conn:
        conn.execute("CREATE TABLE t (x)")
    assert sqlite_path.exists()
