"""Instrumentation hooks: what breakers and the Redis client report, and who listens.

A hook is an object with any of the methods of :class:`ResilienceHook`. Only the methods a
hook overrides are called, so a hook that watches transitions adds nothing to rejections.
Logging is on by default; Prometheus is one :func:`add_hook` away
(:class:`rescope.resilience.PrometheusHook`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable

from rescope.resilience._state import CircuitState

__all__ = ["LoggingHook", "ResilienceHook", "add_hook", "get_hooks", "set_hooks"]

logger = logging.getLogger("rescope.resilience")


class ResilienceHook:
    """Base class for instrumentation hooks; override the events you care about."""

    def on_transition(self, name: str, old: CircuitState, new: CircuitState) -> None:
        """Called when breaker ``name`` goes from ``old`` to ``new``."""

    def on_rejection(self, name: str) -> None:
        """Called when breaker ``name`` rejects a call without running it."""

    def on_fallback(self, name: str, command: str) -> None:
        """Called when a fallback value was served instead of calling the dependency."""

    def on_redis_call(self, name: str, command: str, seconds: float, *, ok: bool) -> None:
        """Called after each Redis command the resilient client ran, with its latency."""


class LoggingHook(ResilienceHook):
    """Log breaker transitions on the ``rescope.resilience`` logger (on by default)."""

    def on_transition(self, name: str, old: CircuitState, new: CircuitState) -> None:
        """Log a transition: opening is a warning, the rest is information."""
        level = logging.WARNING if new is CircuitState.OPEN else logging.INFO
        logger.log(level, "circuit %r: %s -> %s", name, old.value, new.value)


_hooks: list[ResilienceHook] = [LoggingHook()]

# Bound methods per event, of the hooks that override it. Mutated in place (never
# rebound), so callers may keep a reference and test it for emptiness on hot paths.
ON_TRANSITION: list[Callable[[str, CircuitState, CircuitState], None]] = []
ON_REJECTION: list[Callable[[str], None]] = []
ON_FALLBACK: list[Callable[[str, str], None]] = []
ON_REDIS_CALL: list[Callable[..., None]] = []


def _rebuild() -> None:
    base = ResilienceHook
    for attr, target in (
        ("on_transition", ON_TRANSITION),
        ("on_rejection", ON_REJECTION),
        ("on_fallback", ON_FALLBACK),
        ("on_redis_call", ON_REDIS_CALL),
    ):
        target[:] = [
            getattr(hook, attr)
            for hook in _hooks
            if getattr(type(hook), attr, None) is not getattr(base, attr)
        ]


def set_hooks(hooks: Iterable[ResilienceHook]) -> list[ResilienceHook]:
    """Replace the instrumentation hooks; return the previous ones (to restore them).

    Args:
        hooks: The hooks to call from now on; an empty iterable turns instrumentation off.
    """
    previous = list(_hooks)
    _hooks[:] = list(hooks)
    _rebuild()
    return previous


def add_hook(hook: ResilienceHook) -> None:
    """Add one instrumentation hook to those already set.

    Args:
        hook: The hook to add.
    """
    _hooks.append(hook)
    _rebuild()


def get_hooks() -> list[ResilienceHook]:
    """Return the instrumentation hooks in the order they are called."""
    return list(_hooks)


def emit(event: list[Callable[..., None]], *args: object, **kwargs: object) -> None:
    """Call each hook of ``event``; a failing hook is logged, never propagated."""
    for fn in event:
        try:
            fn(*args, **kwargs)
        except Exception:
            logger.exception("resilience hook %r failed", fn)


_rebuild()
