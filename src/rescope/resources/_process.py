"""Run a subprocess safely: no shell, its own session, the whole group killed on every exit.

Each command starts in a new session (``start_new_session=True``), so it leads a process
group of its own with everything it spawns. When the command ends normally, whatever it
left behind in that group is killed at once; on timeout, cancellation or
``KeyboardInterrupt`` the group gets SIGTERM, a short grace period, then SIGKILL. Output is
captured with a size cap: the head of stdout (what callers parse) and the tail of stderr
(where errors end up).

A descendant that calls ``setsid()`` leaves the group and cannot be killed with it. If it
keeps our stdout or stderr open after the command exits, rescope waits ``kill_grace``
seconds for the pipes to close, then closes its own ends, logs a warning and returns the
command's result; the stray descendant keeps running. ``timeout`` bounds the call in every
case, stray descendant or not.
"""

from __future__ import annotations

import contextlib
import logging
import os
import selectors
import signal
import subprocess
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import IO, Literal, cast

from rescope.exceptions import ProcessError, ProcessTimeoutError, ResourceError

__all__ = [
    "DEFAULT_KILL_GRACE",
    "DEFAULT_MAX_OUTPUT",
    "ProcessResult",
    "run_process",
]

logger = logging.getLogger("rescope.resources")

DEFAULT_MAX_OUTPUT = 1 << 20
"""Bytes of stdout and of stderr kept by default (1 MiB each)."""

DEFAULT_KILL_GRACE = 2.0
"""Seconds between SIGTERM and SIGKILL when a process group is terminated."""

STDERR_TAIL_CHARS = 2000
_CHUNK = 1 << 16
_POLL = 0.05

Argv = Sequence[str | os.PathLike[str]]


@dataclass(frozen=True, slots=True)
class ProcessResult:
    """What a finished subprocess left: exit code, captured output and duration.

    Attributes:
        argv: The command as it ran.
        returncode: The exit code (negative: killed by that signal).
        stdout: The first ``max_output`` bytes written to stdout.
        stderr: The last ``max_output`` bytes written to stderr.
        stdout_truncated: Whether stdout was longer than the cap.
        stderr_truncated: Whether stderr was longer than the cap.
        duration: Seconds from start to exit.
    """

    argv: tuple[str, ...]
    returncode: int
    stdout: bytes
    stderr: bytes
    stdout_truncated: bool
    stderr_truncated: bool
    duration: float

    @property
    def stdout_text(self) -> str:
        """Stdout decoded as UTF-8 (undecodable bytes replaced)."""
        return self.stdout.decode("utf-8", errors="replace")

    @property
    def stderr_text(self) -> str:
        """Stderr decoded as UTF-8 (undecodable bytes replaced)."""
        return self.stderr.decode("utf-8", errors="replace")


class _Capture:
    """A byte buffer that keeps the head or the tail of a stream up to ``limit`` bytes."""

    __slots__ = ("data", "keep", "limit", "total")

    def __init__(self, limit: int, keep: Literal["head", "tail"]) -> None:
        self.limit = limit
        self.keep = keep
        self.data = bytearray()
        self.total = 0

    def add(self, chunk: bytes) -> None:
        self.total += len(chunk)
        if self.keep == "head":
            room = self.limit - len(self.data)
            if room > 0:
                self.data += chunk[:room]
        else:
            self.data += chunk
            if len(self.data) > self.limit:
                del self.data[: len(self.data) - self.limit]

    @property
    def truncated(self) -> bool:
        return self.total > len(self.data)


def _argv(argv: Argv) -> tuple[str, ...]:
    if isinstance(argv, str | bytes):
        msg = (
            f"argv must be a list of arguments, not a string ({argv!r}): commands never run"
            " through a shell, so a string cannot be split safely."
        )
        raise ResourceError(msg, hint=f"run_process({str(argv).split()!r}) if that split is right.")
    args = tuple(os.fspath(a) for a in argv)
    if not args:
        raise ResourceError("argv is empty: there is no command to run.")
    return args


def _not_started(args: tuple[str, ...], exc: OSError) -> ProcessError:
    hint = None
    if isinstance(exc, FileNotFoundError):
        hint = f"installing {args[0]!r} or passing its full path."
    return ProcessError(
        args,
        returncode=None,
        message=f"`{args[0]}` could not start: {exc.strerror or exc}",
        hint=hint,
    )


def _kill_group(pgid: int, sig: int = signal.SIGKILL) -> None:
    """Signal a whole process group; a group that is already gone is fine."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, sig)


def _outcome(  # noqa: PLR0913 - one place that turns an exit into a result or an error
    args: tuple[str, ...],
    returncode: int,
    out: _Capture,
    err: _Capture,
    *,
    started: float,
    timed_out: bool,
    timeout: float | None,
    check: bool,
) -> ProcessResult:
    stderr = bytes(err.data)
    tail = stderr.decode("utf-8", errors="replace")[-STDERR_TAIL_CHARS:]
    if timed_out:
        raise ProcessTimeoutError(args, returncode=returncode, stderr_tail=tail, timeout=timeout)
    if check and returncode != 0:
        raise ProcessError(args, returncode=returncode, stderr_tail=tail)
    return ProcessResult(
        argv=args,
        returncode=returncode,
        stdout=bytes(out.data),
        stderr=stderr,
        stdout_truncated=out.truncated,
        stderr_truncated=err.truncated,
        duration=time.monotonic() - started,
    )


def _warn_stray(args: tuple[str, ...]) -> None:
    logger.warning(
        "`%s` exited but a descendant that left its process group (setsid) still holds its"
        " output pipes; they are closed and the descendant is left running",
        " ".join(args),
    )


def _encode(data: bytes | str | None) -> bytes | None:
    return data.encode() if isinstance(data, str) else data


def run_process(  # noqa: PLR0913 - the options of subprocess.run people expect
    argv: Argv,
    *,
    timeout: float | None = None,
    input: bytes | str | None = None,  # noqa: A002 - the name subprocess.run uses
    check: bool = True,
    cwd: str | os.PathLike[str] | None = None,
    env: Mapping[str, str] | None = None,
    max_output: int = DEFAULT_MAX_OUTPUT,
    kill_grace: float = DEFAULT_KILL_GRACE,
) -> ProcessResult:
    """Run a command to completion without a shell and return what it left.

    The command leads a new session. When it exits, what it left running in its group is
    killed; on timeout or ``KeyboardInterrupt`` the group gets SIGTERM, ``kill_grace``
    seconds, then SIGKILL. For an ``async`` caller use :func:`arun_process`.

    Args:
        argv: The program and its arguments, as a list (never a string).
        timeout: Seconds the command may run in total, ``None`` for no limit.
        input: Bytes (or text, encoded as UTF-8) written to its stdin, then closed. With
            ``None`` stdin is ``/dev/null``.
        check: Raise :class:`ProcessError` when the exit code is not 0.
        cwd: The working directory.
        env: The whole environment of the command (replaces, like ``subprocess.run``).
        max_output: Bytes of stdout (its head) and of stderr (its tail) to keep.
        kill_grace: Seconds between SIGTERM and SIGKILL.

    Raises:
        ProcessTimeoutError: The command ran past ``timeout``; its group was killed.
        ProcessError: It could not start, or it exited non-zero with ``check=True``.
        ResourceError: ``argv`` is a string or empty.
    """
    args = _argv(argv)
    data = _encode(input)
    started = time.monotonic()
    try:
        proc = subprocess.Popen(  # noqa: S603 - argv list, no shell
            args,
            stdin=subprocess.PIPE if data is not None else subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            cwd=cwd,
            env=env,
            start_new_session=True,
        )
    except OSError as exc:
        raise _not_started(args, exc) from exc
    out, err = _Capture(max_output, "head"), _Capture(max_output, "tail")
    deadline = None if timeout is None else started + timeout
    timed_out = True
    try:
        timed_out = _Communication(proc, data, (out, err), deadline, kill_grace).run(args)
    finally:
        if proc.poll() is None:
            _terminate(proc, kill_grace)
        else:
            _kill_group(proc.pid)
        for stream in (proc.stdin, proc.stdout, proc.stderr):
            if stream is not None:
                with contextlib.suppress(OSError):
                    stream.close()
    return _outcome(
        args,
        proc.wait(),
        out,
        err,
        started=started,
        timed_out=timed_out,
        timeout=timeout,
        check=check,
    )


def _terminate(proc: subprocess.Popen[bytes], grace: float) -> None:
    _kill_group(proc.pid, signal.SIGTERM)
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=grace)
    _kill_group(proc.pid)
    proc.wait()


class _Stdin:
    """Non-blocking writes of ``data`` to a child's stdin, closed once everything is sent."""

    def __init__(self, stream: IO[bytes], data: bytes) -> None:
        self.stream = stream
        self.view = memoryview(data)
        os.set_blocking(stream.fileno(), False)

    def write(self) -> bool:
        """Write what the pipe takes now; return whether all data is sent."""
        try:
            self.view = self.view[os.write(self.stream.fileno(), self.view[:_CHUNK]) :]
        except BlockingIOError:
            return False
        except BrokenPipeError:
            self.view = self.view[:0]  # the child stopped reading; the rest is dropped
        return not self.view


def _pidfd(pid: int) -> int | None:
    """A descriptor that turns readable when ``pid`` exits (Linux 5.3+), else ``None``."""
    try:
        return os.pidfd_open(pid)
    except (AttributeError, OSError):
        return None


class _Communication:
    """Feed stdin and drain both pipes of one process until EOF and exit, or a deadline.

    With a pidfd (Linux 5.3+) the selector also wakes when the leader exits; without one
    the leader is polled every few milliseconds.
    """

    def __init__(
        self,
        proc: subprocess.Popen[bytes],
        data: bytes | None,
        captures: tuple[_Capture, _Capture],
        deadline: float | None,
        grace: float,
    ) -> None:
        self.proc = proc
        self.deadline = deadline
        self.grace = grace
        self.drain_deadline: float | None = None
        self.args: tuple[str, ...] = ()
        # Popen was given PIPE for stdout and stderr (and for stdin when there is data).
        self.captures = {cast("IO[bytes]", proc.stdout).fileno(): captures[0]}
        self.captures[cast("IO[bytes]", proc.stderr).fileno()] = captures[1]
        self.stdin = _Stdin(cast("IO[bytes]", proc.stdin), data) if data is not None else None
        self.pipes = len(self.captures) + (self.stdin is not None)
        self.pidfd: int | None = None
        self.exited = False
        self.leftovers_killed = False

    def run(self, args: tuple[str, ...]) -> bool:
        """Return whether the deadline passed before the process exited."""
        self.args = args
        try:
            self.pidfd = os.pidfd_open(self.proc.pid)
        except (AttributeError, OSError):
            self.pidfd = None
        try:
            with selectors.DefaultSelector() as sel:
                for fd in self.captures:
                    sel.register(fd, selectors.EVENT_READ)
                if self.stdin is not None:
                    sel.register(self.stdin.stream.fileno(), selectors.EVENT_WRITE)
                if self.pidfd is not None:
                    sel.register(self.pidfd, selectors.EVENT_READ)
                while self.pipes or (self.pidfd is not None and not self.exited):
                    wait = self._wait_time()
                    if wait is not None and wait <= 0:
                        if self._stray_holds_pipes():
                            break
                        return True
                    for key, _ in sel.select(wait):
                        self._ready(sel, int(key.fd))
                    self._check_leader()
        finally:
            if self.pidfd is not None:
                os.close(self.pidfd)
        return _wait(self.proc, self.deadline)

    def _wait_time(self) -> float | None:
        wait = _POLL if self.pidfd is None else None
        ends = [d for d in (self.deadline, self.drain_deadline) if d is not None]
        if not ends:
            return wait
        remaining = min(ends) - time.monotonic()
        return remaining if wait is None else min(wait, remaining)

    def _stray_holds_pipes(self) -> bool:
        """Whether the leader is gone and the grace for its pipes to close has passed."""
        if self.drain_deadline is None or time.monotonic() < self.drain_deadline:
            return False
        _warn_stray(self.args)
        return True

    def _ready(self, sel: selectors.BaseSelector, fd: int) -> None:
        if fd == self.pidfd:
            sel.unregister(fd)
            self.exited = True
        elif fd in self.captures:
            if chunk := os.read(fd, _CHUNK):
                self.captures[fd].add(chunk)
                return
            sel.unregister(fd)
            self.pipes -= 1
        elif self.stdin is not None and self.stdin.write():
            sel.unregister(fd)
            self.stdin.stream.close()
            self.pipes -= 1

    def _check_leader(self) -> None:
        if not self.exited and self.pidfd is None:
            self.exited = self.proc.poll() is not None
        if self.exited and not self.leftovers_killed:
            # The leader is gone; anything still holding our pipes is a leftover.
            _kill_group(self.proc.pid)
            self.leftovers_killed = True
            self.drain_deadline = time.monotonic() + self.grace


def _wait(proc: subprocess.Popen[bytes], deadline: float | None) -> bool:
    """Wait for the process to exit; return whether the deadline passed first."""
    try:
        proc.wait(timeout=None if deadline is None else max(deadline - time.monotonic(), 0))
    except subprocess.TimeoutExpired:
        return True
    return False
