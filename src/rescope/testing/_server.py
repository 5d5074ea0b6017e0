"""Real servers for tests: uvicorn in this event loop, or uvicorn in a process of its own."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import IO, Any, Self

from rescope._extras import import_extra
from rescope.exceptions import ConfigurationError, ProcessError

__all__ = ["LiveServer", "UvicornProcess", "free_port", "serve"]


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port on ``host`` that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def _accepts(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.2):
            return True
    except OSError:
        return False


@dataclass(frozen=True, slots=True)
class LiveServer:
    """Where a running server listens.

    Attributes:
        host: The interface.
        port: The port.
    """

    host: str
    port: int

    @property
    def url(self) -> str:
        """``http://host:port``."""
        return f"http://{self.host}:{self.port}"


@contextlib.asynccontextmanager
async def serve(app: Any, *, host: str = "127.0.0.1", port: int = 0) -> AsyncIterator[LiveServer]:
    """Serve ``app`` with uvicorn in this event loop while the ``async with`` block runs.

    The app's lifespan runs (startup before the block, shutdown after it). Handy for
    websockets in fast tests and examples; measure load against a :class:`UvicornProcess`,
    where the server does not share the test's event loop.

    Args:
        app: The ASGI app.
        host: The interface to listen on.
        port: The port (0: a free one).

    Raises:
        ConfigurationError: The app did not start (its lifespan startup failed).
    """
    uvicorn = import_extra("uvicorn", extra="testing", module=__name__)
    config = uvicorn.Config(app, host=host, port=port, log_level="warning", lifespan="on")
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve(), name="rescope.testing.serve")
    while not server.started and not task.done():  # noqa: ASYNC110 - uvicorn sets a flag only
        await asyncio.sleep(0.005)
    if not server.started:
        await task
        raise ConfigurationError(
            "the app did not start under uvicorn: its lifespan startup failed (the error is"
            " in the log above).",
            setting="app",
            hint="starting it with `TestClient(app)` to see the startup error raised.",
        )
    bound = server.servers[0].sockets[0].getsockname()
    try:
        yield LiveServer(host, int(bound[1]))
    finally:
        server.should_exit = True
        await task


class UvicornProcess:
    """A real uvicorn serving an app in a subprocess on a free port; stopped by its pid.

    Use it as a context manager: it starts the server and waits until the port accepts
    connections, and on exit stops it (SIGTERM, so the lifespan shutdown runs; SIGKILL
    after ``stop_timeout``).

    Args:
        app: The import string uvicorn serves (``"pkg.main:app"``, or a factory with
            ``factory=True``).
        factory: ``app`` names a function returning the app.
        env: Environment variables added to this process's environment.
        cwd: The working directory (where ``app`` is importable from).
        host: The interface.
        port: The port (default: a free one).
        args: More uvicorn command-line options.
        stop_timeout: Seconds to wait for a graceful stop before SIGKILL.
    """

    def __init__(  # noqa: PLR0913 - keyword-only options of one call
        self,
        app: str,
        *,
        factory: bool = False,
        env: Mapping[str, str] | None = None,
        cwd: str | Path | None = None,
        host: str = "127.0.0.1",
        port: int | None = None,
        args: Sequence[str] = (),
        stop_timeout: float = 10.0,
    ) -> None:
        self.app = app
        self.host = host
        self.port = port if port is not None else free_port(host)
        self.argv = [
            sys.executable,
            "-m",
            "uvicorn",
            app,
            "--host",
            host,
            "--port",
            str(self.port),
            "--log-level",
            "warning",
            *(["--factory"] if factory else []),
            *args,
        ]
        self.env = {**os.environ, **(env or {})}
        self.cwd = cwd
        self.stop_timeout = stop_timeout
        self.process: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None

    def __repr__(self) -> str:
        pid = self.process.pid if self.process is not None else None
        return f"<UvicornProcess {self.app} on {self.url} pid={pid}>"

    @property
    def url(self) -> str:
        """``http://host:port``."""
        return f"http://{self.host}:{self.port}"

    @property
    def pid(self) -> int | None:
        """The server's process id while it runs."""
        return self.process.pid if self.process is not None else None

    def log(self) -> str:
        """What the server wrote to stdout and stderr so far."""
        if self._log is None:
            return ""
        self._log.flush()
        self._log.seek(0)
        return self._log.read().decode(errors="replace")

    def start(self, timeout: float = 30.0) -> Self:
        """Start the server and wait until it accepts connections.

        Args:
            timeout: Seconds to wait.

        Raises:
            ProcessError: The server exited, or did not listen within ``timeout``.
        """
        if self._log is not None:
            self._log.close()
        self._log = tempfile.TemporaryFile()  # noqa: SIM115 - closed in close()
        self.process = subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
            self.argv,
            env=self.env,
            cwd=self.cwd,
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            code = self.process.poll()
            if code is not None:
                tail = self.log()[-3000:]
                self.close()
                raise ProcessError(self.argv, returncode=code, stderr_tail=tail)
            if _accepts(self.host, self.port):
                return self
            time.sleep(0.02)
        tail = self.log()[-3000:]
        self.close()
        raise ProcessError(
            self.argv,
            returncode=None,
            stderr_tail=tail,
            message=f"uvicorn did not listen on {self.url} within {timeout:g}s",
            hint="a longer timeout, or run the command by hand to see why it does not start.",
        )

    def stop(self) -> int | None:
        """Stop the server by its pid (SIGTERM, then SIGKILL); return its exit code."""
        process, self.process = self.process, None
        code = None
        if process is not None:
            if process.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(process.pid, signal.SIGTERM)
                try:
                    code = process.wait(self.stop_timeout)
                except subprocess.TimeoutExpired:
                    with contextlib.suppress(ProcessLookupError):
                        os.kill(process.pid, signal.SIGKILL)
                    code = process.wait()
            else:
                code = process.returncode
        return code

    def close(self) -> None:
        """Stop the server and drop its log."""
        self.stop()
        if self._log is not None:
            self._log.close()
            self._log = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self, et: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()
