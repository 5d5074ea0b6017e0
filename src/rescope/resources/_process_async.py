"""The ``async`` twin of :func:`~rescope.resources.run_process`, on anyio's subprocesses."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Awaitable, Mapping

import anyio
import anyio.abc
import anyio.lowlevel

from rescope.resources._process import (
    DEFAULT_KILL_GRACE,
    DEFAULT_MAX_OUTPUT,
    Argv,
    ProcessResult,
    _argv,
    _Capture,
    _encode,
    _kill_group,
    _not_started,
    _outcome,
    _warn_stray,
)
from rescope.resources._uncancelled import run_uncancelled

__all__ = ["arun_process"]


async def arun_process(  # noqa: PLR0913 - the options of subprocess.run people expect
    argv: Argv,
    *,
    timeout: float | None = None,  # noqa: ASYNC109 - the process's budget, as in run_process
    input: bytes | str | None = None,  # noqa: A002 - the name subprocess.run uses
    check: bool = True,
    cwd: str | os.PathLike[str] | None = None,
    env: Mapping[str, str] | None = None,
    max_output: int = DEFAULT_MAX_OUTPUT,
    kill_grace: float = DEFAULT_KILL_GRACE,
) -> ProcessResult:
    """Run a command to completion without a shell, without blocking the event loop.

    It behaves like :func:`run_process`, and cancellation of the awaiting task is a third
    way out next to exit and timeout: the process group gets SIGTERM, ``kill_grace``
    seconds, then SIGKILL, shielded from the cancellation, before ``CancelledError``
    propagates. A cancellation that arrives while the process is being spawned waits for
    the spawn to finish, so that the new group is killed too.

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

    def spawn() -> Awaitable[anyio.abc.Process]:
        return anyio.open_process(
            args,
            stdin=subprocess.PIPE if data is not None else subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            cwd=cwd,
            env=env,
            start_new_session=True,
        )

    try:
        # A cancellation that lands while spawning waits for the process to exist, so
        # that its whole group is killed below rather than left behind.
        proc, cancelled = await run_uncancelled(spawn)
    except OSError as exc:
        raise _not_started(args, exc) from exc
    out, err = _Capture(max_output, "head"), _Capture(max_output, "tail")
    try:
        if cancelled is not None:
            raise cancelled
        with anyio.move_on_after(timeout) as deadline:
            async with anyio.create_task_group() as tg:
                pumped = anyio.Event()
                tg.start_soon(_pump, proc, data, out, err, pumped)
                await proc.wait()
                # The leader is gone; anything still holding our pipes is a leftover.
                _kill_group(proc.pid)
                with anyio.move_on_after(kill_grace):
                    await pumped.wait()
                if not pumped.is_set():
                    _warn_stray(args)
                    tg.cancel_scope.cancel()
    finally:
        with anyio.CancelScope(shield=True):
            if proc.returncode is None:
                await _terminate(proc, kill_grace)
            else:
                _kill_group(proc.pid)
            await proc.aclose()
            # asyncio closes the pipe transports on the next loop turn; let it, so that
            # no descriptor is left open when the call returns.
            await anyio.lowlevel.checkpoint()
    return _outcome(
        args,
        await proc.wait(),
        out,
        err,
        started=started,
        timed_out=deadline.cancelled_caught,
        timeout=timeout,
        check=check,
    )


async def _terminate(proc: anyio.abc.Process, grace: float) -> None:
    _kill_group(proc.pid, signal.SIGTERM)
    with anyio.move_on_after(grace):
        await proc.wait()
    _kill_group(proc.pid)
    await proc.wait()


async def _pump(
    proc: anyio.abc.Process,
    data: bytes | None,
    out: _Capture,
    err: _Capture,
    done: anyio.Event,
) -> None:
    try:
        async with anyio.create_task_group() as tg:
            tg.start_soon(_drain, proc.stdout, out)
            tg.start_soon(_drain, proc.stderr, err)
            if data is not None:
                tg.start_soon(_feed, proc.stdin, data)
    finally:
        done.set()


async def _drain(stream: anyio.abc.ByteReceiveStream | None, capture: _Capture) -> None:
    if stream is None:
        return
    try:
        async for chunk in stream:
            capture.add(chunk)
    except (anyio.ClosedResourceError, anyio.BrokenResourceError):
        return


async def _feed(stream: anyio.abc.ByteSendStream | None, data: bytes) -> None:
    if stream is None:
        return
    try:
        await stream.send(data)
    except (anyio.ClosedResourceError, anyio.BrokenResourceError, BrokenPipeError):
        pass
    finally:
        await stream.aclose()
