"""Keep the event loop responsive: run blocking and CPU-bound calls in worker threads.

Two capacity limits, one per event loop, decide how many calls run at once:

* CPU-bound work (image processing, hashing, compression, audio) is limited to
  ``CPU_EXECUTOR_POOL_SIZE`` calls, default ``min(4, cores)``: more would only fight for
  the cores.
* Blocking I/O (a sync SDK, a file system walk) is limited to ``IO_EXECUTOR_POOL_SIZE``
  calls, default ``min(8, 2 * cores)``: they mostly wait.

Threads help when the work releases the GIL, as C extensions do (Pillow, hashlib, zlib,
NumPy, ffmpeg bindings). Pure-Python CPU work holds the GIL, so :func:`run_in_process`
runs it in a worker process instead, under the CPU limit as well.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import inspect
import os
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any, ParamSpec, TypeVar, TypeVarTuple, Unpack

import anyio
import anyio.to_process
import anyio.to_thread
from anyio.lowlevel import RunVar

from rescope.exceptions import ResourceError, SettingsError
from rescope.resources._uncancelled import on_asyncio

__all__ = [
    "CPU_POOL_ENV",
    "IO_POOL_ENV",
    "OffloadLimits",
    "offload_blocking",
    "offload_cpu_bound",
    "offload_limits",
    "run_blocking",
    "run_cpu_bound",
    "run_in_process",
]

CPU_POOL_ENV = "CPU_EXECUTOR_POOL_SIZE"
IO_POOL_ENV = "IO_EXECUTOR_POOL_SIZE"

T = TypeVar("T")
P = ParamSpec("P")
Ts = TypeVarTuple("Ts")

_cpu_limiter: RunVar[anyio.CapacityLimiter] = RunVar("rescope_cpu_limiter")
_io_limiter: RunVar[anyio.CapacityLimiter] = RunVar("rescope_io_limiter")


def _cores() -> int:
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0)) or 1
    return os.cpu_count() or 1


def default_pool_sizes() -> tuple[int, int]:
    """Return the default (CPU, I/O) limits for this machine: ``min(4, n)``, ``min(8, 2n)``."""
    cores = _cores()
    return min(4, cores), min(8, 2 * cores)


def _size_from_env(variable: str, default: int) -> int:
    raw = os.environ.get(variable, "").strip()
    if not raw:
        return default
    try:
        size = int(raw)
    except ValueError:
        size = 0
    if size < 1:
        msg = (
            f"{variable}={raw!r} is not a valid pool size: expected a whole number of at"
            f" least 1 (the default on this machine is {default})."
        )
        raise SettingsError(msg, variables=[variable], hint=f"`{variable}={default}` or unset it.")
    return size


def _limiter(var: RunVar[anyio.CapacityLimiter], env: str, default: int) -> anyio.CapacityLimiter:
    try:
        return var.get()
    except LookupError:
        limiter = anyio.CapacityLimiter(_size_from_env(env, default))
        var.set(limiter)
        return limiter


def _cpu() -> anyio.CapacityLimiter:
    return _limiter(_cpu_limiter, CPU_POOL_ENV, default_pool_sizes()[0])


def _io() -> anyio.CapacityLimiter:
    return _limiter(_io_limiter, IO_POOL_ENV, default_pool_sizes()[1])


@dataclass(frozen=True, slots=True)
class OffloadLimits:
    """How much of each offload limit is in use on the current event loop.

    Attributes:
        cpu_total: Calls of CPU-bound work allowed at once.
        cpu_in_use: Calls of CPU-bound work running now.
        io_total: Blocking calls allowed at once.
        io_in_use: Blocking calls running now.
    """

    cpu_total: int
    cpu_in_use: int
    io_total: int
    io_in_use: int


def offload_limits() -> OffloadLimits:
    """Return the offload limits of the running event loop and how much of them is in use.

    Raises:
        SettingsError: ``CPU_EXECUTOR_POOL_SIZE`` or ``IO_EXECUTOR_POOL_SIZE`` is not a
            whole number of at least 1.
    """
    cpu, io = _cpu(), _io()
    return OffloadLimits(
        cpu_total=int(cpu.total_tokens),
        cpu_in_use=cpu.borrowed_tokens,
        io_total=int(io.total_tokens),
        io_in_use=io.borrowed_tokens,
    )


async def _in_thread(
    fn: Callable[[Unpack[Ts]], T],
    args: tuple[*Ts],
    limiter: anyio.CapacityLimiter,
    *,
    abandon_on_cancel: bool,
) -> T:
    if abandon_on_cancel or not on_asyncio():
        return await anyio.to_thread.run_sync(
            fn, *args, limiter=limiter, abandon_on_cancel=abandon_on_cancel
        )
    # anyio's shield does not hold against a plain ``task.cancel()``, so the thread call runs
    # in a task of its own and a cancelled caller waits for it before CancelledError goes on:
    # the limiter token is held exactly as long as the thread works.
    # Cancelling `scope` is what `anyio.from_thread.check_cancelled()` sees in the thread.
    scope = anyio.CancelScope()

    async def call() -> T:
        with scope:
            return await anyio.to_thread.run_sync(fn, *args, limiter=limiter)
        raise asyncio.CancelledError  # only reached when the work stopped on cancellation

    work = asyncio.ensure_future(call())
    try:
        return await asyncio.shield(work)
    except asyncio.CancelledError:
        scope.cancel()
        with anyio.CancelScope(shield=True):
            while not work.done():
                with contextlib.suppress(asyncio.CancelledError):
                    await asyncio.wait([work])
        if not work.cancelled():
            work.exception()  # the caller is gone; mark the outcome as seen
        raise


async def run_cpu_bound(
    fn: Callable[[Unpack[Ts]], T], *args: *Ts, abandon_on_cancel: bool = False
) -> T:
    """Run CPU-bound ``fn(*args)`` in a worker thread under the CPU limit; return its result.

    Context variables are copied into the thread. If the awaiting task is cancelled, by
    default it waits for ``fn`` to return (a thread cannot be stopped from outside) and then
    raises ``CancelledError``, so the limit never counts more work than is running; ``fn``
    can stop early by calling ``anyio.from_thread.check_cancelled()`` now and then. Pass
    keyword arguments with :func:`functools.partial`.

    Args:
        fn: A sync function that releases the GIL for most of its run.
        *args: Its positional arguments.
        abandon_on_cancel: On cancellation, return at once and let the thread finish alone.

    Raises:
        SettingsError: ``CPU_EXECUTOR_POOL_SIZE`` is not a whole number of at least 1.
    """
    return await _in_thread(fn, args, _cpu(), abandon_on_cancel=abandon_on_cancel)


async def run_blocking(
    fn: Callable[[Unpack[Ts]], T], *args: *Ts, abandon_on_cancel: bool = False
) -> T:
    """Run blocking ``fn(*args)`` in a worker thread under the I/O limit; return its result.

    Cancellation and context variables work as in :func:`run_cpu_bound`.

    Args:
        fn: A sync function that mostly waits (sync SDK calls, file system work).
        *args: Its positional arguments.
        abandon_on_cancel: On cancellation, return at once and let the thread finish alone.

    Raises:
        SettingsError: ``IO_EXECUTOR_POOL_SIZE`` is not a whole number of at least 1.
    """
    return await _in_thread(fn, args, _io(), abandon_on_cancel=abandon_on_cancel)


async def run_in_process(fn: Callable[[Unpack[Ts]], T], *args: *Ts) -> T:
    """Run pure-Python CPU-bound ``fn(*args)`` in a worker process under the CPU limit.

    For work that holds the GIL, where a thread would still stall the event loop. ``fn``,
    its arguments and its result must be picklable (a module-level function); context
    variables do not cross the process boundary. Worker processes are reused. Cancelling
    the awaiting task kills the worker that runs ``fn``.

    Args:
        fn: A module-level sync function.
        *args: Its positional arguments.

    Raises:
        SettingsError: ``CPU_EXECUTOR_POOL_SIZE`` is not a whole number of at least 1.
    """
    return await anyio.to_process.run_sync(fn, *args, cancellable=True, limiter=_cpu())


def _offload(
    runner: Callable[..., Coroutine[Any, Any, Any]], what: str
) -> Callable[[Callable[P, T]], Callable[P, Coroutine[Any, Any, T]]]:
    def decorate(fn: Callable[P, T]) -> Callable[P, Coroutine[Any, Any, T]]:
        if inspect.iscoroutinefunction(fn):
            name = getattr(fn, "__qualname__", repr(fn))
            msg = (
                f"@{what} was applied to `async def {name}`: it runs sync functions in a"
                " worker thread, and a coroutine function would only be created there."
            )
            raise ResourceError(msg, hint=f"removing @{what}, or making {name} a plain `def`.")

        @functools.wraps(fn)
        async def offloaded(*args: P.args, **kwargs: P.kwargs) -> T:
            result: T = await runner(functools.partial(fn, *args, **kwargs))
            return result

        return offloaded

    return decorate


_cpu_decorator = _offload(run_cpu_bound, "offload_cpu_bound")
_io_decorator = _offload(run_blocking, "offload_blocking")


def offload_cpu_bound(fn: Callable[P, T]) -> Callable[P, Coroutine[Any, Any, T]]:
    """Turn a sync CPU-bound function into an ``async`` one that runs via :func:`run_cpu_bound`.

    Args:
        fn: The sync function.

    Raises:
        ResourceError: ``fn`` is a coroutine function.
    """
    return _cpu_decorator(fn)


def offload_blocking(fn: Callable[P, T]) -> Callable[P, Coroutine[Any, Any, T]]:
    """Turn a sync blocking function into an ``async`` one that runs via :func:`run_blocking`.

    Args:
        fn: The sync function.

    Raises:
        ResourceError: ``fn`` is a coroutine function.
    """
    return _io_decorator(fn)
