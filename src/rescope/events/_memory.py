"""The in-process completion notifier: the embedded default, no server needed."""

from __future__ import annotations

import time
from collections.abc import Callable

from rescope.events._completion import (
    CompletionNotifier,
    NotifierStats,
    Outcome,
    Waiters,
)
from rescope.exceptions import ConfigurationError

__all__ = ["InMemoryNotifier"]


class InMemoryNotifier(CompletionNotifier):
    """A :class:`CompletionNotifier` for one process: waiters and notifiers share a loop.

    Results are handed to waiters as they are (no copy, no JSON). Completions that arrive
    before their waiter are kept for ``retention`` seconds and at most ``max_retained`` of
    them (the oldest go first), so memory stays bounded however many jobs never get waited
    for. Expired ones are dropped on the next call.

    Args:
        namespace: A name for messages; in-process notifiers never share state anyway.
        retention: Seconds a completion is kept for late waiters (0: not kept).
        default_timeout: Seconds :meth:`wait` waits without a timeout (``None``: no limit).
        max_retained: The most completions kept at once.
        clock: Monotonic seconds; inject one to test retention without sleeping.

    Raises:
        ConfigurationError: ``retention`` or ``max_retained`` is out of range.
    """

    def __init__(
        self,
        *,
        namespace: str = "rescope",
        retention: float = 60.0,
        default_timeout: float | None = 300.0,
        max_retained: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__(namespace=namespace, retention=retention, default_timeout=default_timeout)
        if max_retained < 0:
            raise ConfigurationError(
                f"max_retained={max_retained!r} must be >= 0: it caps how many completions"
                " are kept for late waiters.",
                setting="max_retained",
                hint="max_retained=10_000.",
            )
        self.max_retained = max_retained
        self._clock = clock
        self._waiters = Waiters()
        # Insertion order is expiry order: every entry lives `retention` seconds.
        self._retained: dict[str, tuple[float, Outcome]] = {}

    def stats(self) -> NotifierStats:
        """Return the waiters and retained completions this notifier holds now."""
        self._expire()
        return NotifierStats(
            keys=len(self._waiters.keys()),
            waiters=self._waiters.count(),
            retained=len(self._retained),
            channels=0,
        )

    async def _wait(self, key: str) -> Outcome:
        self._expire()
        kept = self._retained.get(key)
        if kept is not None:
            return kept[1]
        future = self._waiters.add(key)
        try:
            return await future
        finally:
            self._waiters.discard(key, future)

    async def _complete(self, key: str, outcome: Outcome) -> None:
        self._expire()
        if self.retention > 0 and self.max_retained > 0:
            self._retained.pop(key, None)
            self._retained[key] = (self._clock() + self.retention, outcome)
            while len(self._retained) > self.max_retained:
                del self._retained[next(iter(self._retained))]
        self._waiters.resolve(key, outcome)

    async def _close(self) -> None:
        self._waiters.fail_all(self._closed_error("wait"))
        self._retained.clear()

    def _expire(self) -> None:
        now = self._clock()
        retained = self._retained
        while retained:
            key = next(iter(retained))
            if retained[key][0] > now:
                break
            del retained[key]
