"""Running finalizers: reverse creation order, every one runs, errors grouped."""

from __future__ import annotations

from types import AsyncGeneratorType, GeneratorType
from typing import Any

from rescope.di._env import AsyncExit
from rescope.exceptions import ContainerError

__all__ = ["has_async", "run_async", "run_sync", "yielded_twice"]

_DONE: Any = object()


def yielded_twice(what: object) -> ContainerError:
    """The error for a generator provider that yielded a second time."""
    return ContainerError(
        f"the generator provider `{getattr(what, '__qualname__', what)}` yielded more than once;"
        " a provider yields its value exactly once.",
        hint="moving the cleanup after the single `yield` (use try/finally for code that"
        " must always run).",
    )


def has_async(finalizers: list[Any]) -> bool:
    """Whether any of ``finalizers`` must be awaited."""
    for fin in finalizers:
        kind = type(fin)
        if kind is AsyncGeneratorType or kind is AsyncExit:
            return True
    return False


def _close_generator(gen: Any, exc: BaseException | None) -> None:
    if exc is None:  # it yielded a second time
        gen.close()
        raise yielded_twice(gen)
    try:
        gen.throw(exc)
    except StopIteration:
        return
    except BaseException as raised:
        if raised is exc:
            return
        raise
    gen.close()
    raise yielded_twice(gen)


async def _close_async_generator(gen: Any, exc: BaseException | None) -> None:
    if exc is None:
        if await anext(gen, _DONE) is not _DONE:
            await gen.aclose()
            raise yielded_twice(gen)
        return
    try:
        await gen.athrow(exc)
    except StopAsyncIteration:
        return
    except BaseException as raised:
        if raised is exc:
            return
        raise
    await gen.aclose()
    raise yielded_twice(gen)


def run_sync(finalizers: list[Any], exc: BaseException | None) -> list[Exception]:
    """Run sync ``finalizers`` newest first; return the errors they raised, in order.

    Args:
        finalizers: Generators and bound ``__exit__`` methods; emptied.
        exc: The exception the scope is closing with, thrown into generators.
    """
    errors: list[Exception] = []
    exc_info = (None, None, None) if exc is None else (type(exc), exc, exc.__traceback__)
    while finalizers:
        fin = finalizers.pop()
        try:
            if type(fin) is GeneratorType:
                if exc is not None or next(fin, _DONE) is not _DONE:
                    _close_generator(fin, exc)
            else:
                fin(*exc_info)
        except Exception as error:  # noqa: BLE001 - every finalizer runs; errors are grouped
            errors.append(error)
    return errors


async def run_async(finalizers: list[Any], exc: BaseException | None) -> list[Exception]:
    """Run sync and async ``finalizers`` newest first; return the errors they raised.

    Args:
        finalizers: Generators, async generators, ``__exit__`` and :class:`AsyncExit`; emptied.
        exc: The exception the scope is closing with, thrown into generators.
    """
    errors: list[Exception] = []
    exc_info = (None, None, None) if exc is None else (type(exc), exc, exc.__traceback__)
    while finalizers:
        fin = finalizers.pop()
        try:
            kind = type(fin)
            if kind is GeneratorType:
                if exc is not None or next(fin, _DONE) is not _DONE:
                    _close_generator(fin, exc)
            elif kind is AsyncGeneratorType:
                await _close_async_generator(fin, exc)
            elif kind is AsyncExit:
                await fin.aexit(*exc_info)
            else:
                fin(*exc_info)
        except Exception as error:  # noqa: BLE001 - every finalizer runs; errors are grouped
            errors.append(error)
    return errors
