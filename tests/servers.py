"""Real servers for the test suite: the shared Redis and PostgreSQL, and private redis-servers.

Tests never stop the shared servers. A test that kills, hangs or restarts Redis starts its
own :class:`PrivateRedis` on a free port and stops it by its pid.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from rescope.testing import free_port

SHARED_REDIS_URL = os.environ.get("RESCOPE_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
POSTGRES_DSN = os.environ.get(
    "RESCOPE_TEST_POSTGRES_DSN", "postgresql://postgres@127.0.0.1:5432/test"
)

START_REDIS = (
    "redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save '' "
    "--appendonly no --dir /var/lib/redis --logfile /var/log/redis/ci.log"
)
START_POSTGRES = "pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start"
INSTALL_REDIS = "apt-get update && apt-get install -y redis-server"


class ServerMissingError(RuntimeError):
    """A server a test needs is not running or not installed; the message says how to fix it."""


def port_open(host: str, port: int, timeout: float = 0.2) -> bool:
    """Return whether something accepts TCP connections on ``host:port``."""
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def redis_ping(host: str, port: int, timeout: float = 0.5) -> bool:
    """Send a raw RESP PING and return whether ``+PONG`` came back."""
    try:
        with socket.create_connection((host, port), timeout=timeout) as sock:
            sock.sendall(b"*1\r\n$4\r\nPING\r\n")
            return sock.recv(64).startswith(b"+PONG")
    except OSError:
        return False


def require_shared_redis() -> None:
    """Fail loudly, with the command that starts it, when the shared Redis is not up."""
    host, port = _host_port(SHARED_REDIS_URL, 6379)
    if not redis_ping(host, port):
        msg = f"the shared Redis at {SHARED_REDIS_URL} is not answering. Start it:\n  {START_REDIS}"
        raise ServerMissingError(msg)


def require_postgres() -> None:
    """Fail loudly, with the command that starts it, when PostgreSQL is not up."""
    host, port = _host_port(POSTGRES_DSN, 5432)
    if not port_open(host, port):
        msg = f"PostgreSQL at {host}:{port} is not answering. Start it with:\n  {START_POSTGRES}"
        raise ServerMissingError(msg)


def _host_port(url: str, default_port: int) -> tuple[str, int]:
    netloc = url.split("://", 1)[1].split("/", 1)[0].rsplit("@", 1)[-1]
    host, _, port = netloc.partition(":")
    return host or "127.0.0.1", int(port or default_port)


@dataclass
class SharedRedis:
    """The shared Redis server with a key prefix private to one test."""

    url: str
    prefix: str

    def key(self, name: str) -> str:
        """Return ``name`` under this test's prefix."""
        return f"{self.prefix}{name}"

    def cleanup(self) -> int:
        """Delete every key under the prefix; return how many were deleted."""
        import redis

        client = redis.Redis.from_url(self.url)
        try:
            keys = list(client.scan_iter(match=f"{self.prefix}*", count=1000))
            if keys:
                client.delete(*keys)
            return len(keys)
        finally:
            client.close()


def new_shared_redis() -> SharedRedis:
    """Return the shared Redis with a fresh per-test prefix."""
    require_shared_redis()
    return SharedRedis(url=SHARED_REDIS_URL, prefix=f"rescope-test:{uuid.uuid4().hex[:12]}:")


@dataclass
class PrivateRedis:
    """A redis-server of the test's own on a free port, to kill, hang and restart at will."""

    workdir: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None
    stopped: bool = False

    @property
    def url(self) -> str:
        """The ``redis://`` URL of this server."""
        return f"redis://127.0.0.1:{self.port}/0"

    @property
    def pid(self) -> int:
        """The server's process id."""
        if self.process is None:
            msg = "the private redis-server is not running"
            raise RuntimeError(msg)
        return self.process.pid

    def start(self, timeout: float = 10.0) -> None:
        """Start the server (again, on the same port) and wait until it answers PING."""
        binary = shutil.which("redis-server")
        if binary is None:
            msg = f"redis-server is not installed. Install it with:\n  {INSTALL_REDIS}"
            raise ServerMissingError(msg)
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.process = subprocess.Popen(
            [
                binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--daemonize",
                "no",
                "--dir",
                str(self.workdir),
                "--logfile",
                str(self.workdir / "redis.log"),
            ],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self.stopped = False
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                log = (self.workdir / "redis.log").read_text(errors="replace")[-2000:]
                msg = f"private redis-server on port {self.port} exited at start:\n{log}"
                raise RuntimeError(msg)
            if redis_ping("127.0.0.1", self.port):
                return
            time.sleep(0.02)
        self.kill()
        msg = f"private redis-server on port {self.port} did not answer within {timeout}s"
        raise RuntimeError(msg)

    def kill(self) -> None:
        """SIGKILL the server (a crash: no goodbye to clients) and reap it."""
        if self.process is None:
            return
        if self.stopped:
            self.resume()
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)
        self.process = None

    def hang(self) -> None:
        """SIGSTOP the server: connections stay open but nothing answers."""
        os.kill(self.pid, signal.SIGSTOP)
        self.stopped = True

    def resume(self) -> None:
        """SIGCONT a hung server."""
        os.kill(self.pid, signal.SIGCONT)
        self.stopped = False

    def restart(self) -> None:
        """Kill the server and start a fresh one on the same port (data is gone)."""
        self.kill()
        self.start()


def create_postgres_database() -> str:
    """Create a database for this test run on the running PostgreSQL; return its DSN."""
    require_postgres()
    import psycopg

    name = f"rescope_test_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(POSTGRES_DSN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return POSTGRES_DSN.rsplit("/", 1)[0] + f"/{name}"


def drop_postgres_database(dsn: str) -> None:
    """Drop a database made by :func:`create_postgres_database`, closing its connections."""
    import psycopg

    name = dsn.rsplit("/", 1)[1]
    with psycopg.connect(POSTGRES_DSN, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
