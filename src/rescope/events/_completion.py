"""What every completion notifier shares: outcomes, local waiters, timeouts and the API."""

from __future__ import annotations

import asyncio
import math
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Self

from rescope.events._codec import decode, encode, error_payload
from rescope.exceptions import (
    CompletionFailedError,
    CompletionTimeoutError,
    ConfigurationError,
    EventsClosedError,
)

__all__ = ["CompletionNotifier", "NotifierStats", "Outcome", "Waiters"]


@dataclass(frozen=True, slots=True)
class Outcome:
    """How a job ended: a result, or an error payload (and, in-process, the exception)."""

    ok: bool
    value: Any = None
    error: dict[str, object] | None = None
    cause: BaseException | None = None

    @classmethod
    def failure(cls, error: BaseException | Mapping[str, Any] | str) -> Outcome:
        """Return the failed outcome for what ``notify_error()`` was given."""
        cause = error if isinstance(error, BaseException) else None
        return cls(ok=False, error=error_payload(error), cause=cause)

    def unwrap(self, key: str) -> Any:
        """Return the result, or raise :class:`CompletionFailedError` for a failure."""
        if self.ok:
            return self.value
        raise CompletionFailedError(key, error=dict(self.error or {})) from self.cause

    def to_wire(self, key: str) -> str:
        """Encode for Redis: ``{"ok": true, "result": ...}`` or ``{"ok": false, "error": ...}``."""
        if self.ok:
            return encode({"ok": True, "result": self.value}, what=f"the result for {key!r}")
        return encode({"ok": False, "error": self.error}, what=f"the error for {key!r}")

    @classmethod
    def from_wire(cls, text: str | bytes) -> Outcome:
        """Decode what :meth:`to_wire` encoded."""
        data = decode(text)
        if data.get("ok"):
            return cls(ok=True, value=data.get("result"))
        return cls(ok=False, error=dict(data.get("error") or {}))


class Waiters:
    """The futures of this process's waiters, by key; a key disappears with its last waiter."""

    def __init__(self) -> None:
        self._by_key: dict[str, set[asyncio.Future[Outcome]]] = {}

    def add(self, key: str) -> asyncio.Future[Outcome]:
        """Return a new future that :meth:`resolve` completes for ``key``."""
        future: asyncio.Future[Outcome] = asyncio.get_running_loop().create_future()
        self._by_key.setdefault(key, set()).add(future)
        return future

    def discard(self, key: str, future: asyncio.Future[Outcome]) -> None:
        """Forget ``future`` (done, cancelled or timed out); drop the key with its last one."""
        futures = self._by_key.get(key)
        if futures is None:
            return
        futures.discard(future)
        if not futures:
            del self._by_key[key]

    def resolve(self, key: str, outcome: Outcome) -> int:
        """Complete every waiter of ``key`` with ``outcome``; return how many were woken."""
        woken = 0
        for future in self._by_key.pop(key, ()):
            if not future.done():
                future.set_result(outcome)
                woken += 1
        return woken

    def fail_all(self, error: BaseException) -> None:
        """Raise ``error`` in every waiter (the notifier is closing)."""
        by_key, self._by_key = self._by_key, {}
        for futures in by_key.values():
            for future in futures:
                if not future.done():
                    future.set_exception(error)

    def keys(self) -> list[str]:
        """The keys that have waiters now."""
        return list(self._by_key)

    def count(self) -> int:
        """How many waiters there are, over all keys."""
        return sum(len(futures) for futures in self._by_key.values())


@dataclass(frozen=True, slots=True)
class NotifierStats:
    """What a notifier holds right now; all zero when nothing is waiting or retained.

    Attributes:
        keys: Keys with at least one waiter in this process.
        waiters: Waiters in this process.
        retained: Outcomes kept for late waiters in this process (``None`` for Redis, which
            keeps them as keys with a TTL).
        channels: Redis channels this process is subscribed to (0 in-process).
    """

    keys: int
    waiters: int
    retained: int | None
    channels: int


def check_retention(retention: float) -> float:
    """Return ``retention`` if it is a usable number of seconds.

    Raises:
        ConfigurationError: It is negative, NaN or infinite.
    """
    if not math.isfinite(retention) or retention < 0:
        raise ConfigurationError(
            f"retention={retention!r} is not a number of seconds >= 0: it bounds how long a"
            " completion waits for a late waiter, so it must be finite.",
            setting="retention",
            hint="retention=60.0 (one minute), or retention=0 to keep nothing.",
        )
    return retention


class CompletionNotifier(ABC):
    """Wake the waiters of a key when the job behind it completes, instead of polling.

    A waiter calls :meth:`wait` with a key (a job id, a prediction id); the code that learns
    of the completion (a webhook handler) calls :meth:`notify` or :meth:`notify_error` with
    the same key, and every waiter of that key gets the result or the error. A completion
    that arrives before anyone waits is kept for ``retention`` seconds, so a late waiter
    still gets it; after that it is dropped.

    Create one with :func:`create_notifier` and keep one per application (APP scope). Use it
    from the event loop it was first used on.

    Args:
        namespace: Keeps this notifier's keys apart from other notifiers'.
        retention: Seconds a completion is kept for late waiters (0: not kept).
        default_timeout: Seconds :meth:`wait` waits when it is not given a timeout
            (``None``: no limit).
    """

    def __init__(
        self,
        *,
        namespace: str = "rescope",
        retention: float = 60.0,
        default_timeout: float | None = 300.0,
    ) -> None:
        self.namespace = namespace.rstrip(":") or "rescope"
        self.retention = check_retention(retention)
        self.default_timeout = default_timeout
        self._closed = False

    @property
    def closed(self) -> bool:
        """Whether :meth:`aclose` was called."""
        return self._closed

    async def wait(self, key: str, *, timeout: float | None = None) -> Any:  # noqa: ASYNC109 - the timeout is part of the error
        """Wait until ``key`` completes and return its result.

        Returns at once when the completion arrived within the last ``retention`` seconds.
        Cancelling the wait leaves nothing behind.

        Args:
            key: The job's key, as the notifying side will pass it.
            timeout: Seconds to wait; ``None`` uses ``default_timeout``; ``math.inf`` waits
                without limit.

        Raises:
            CompletionTimeoutError: Nothing notified ``key`` within the timeout.
            CompletionFailedError: The job reported failure through :meth:`notify_error`.
            EventsClosedError: The notifier is closed, or was closed while waiting.
        """
        self._check_open(f"wait for {key!r}")
        limit = self.default_timeout if timeout is None else timeout
        deadline = None if limit is None or math.isinf(limit) else limit
        scope = asyncio.timeout(deadline)
        try:
            async with scope:
                outcome = await self._wait(key)
        except TimeoutError:
            if not scope.expired():
                raise
            raise CompletionTimeoutError(key, timeout=float(limit or 0)) from None
        return outcome.unwrap(key)

    async def notify(self, key: str, result: Any = None) -> None:
        """Complete ``key`` with ``result``: every waiter of it returns ``result``.

        Args:
            key: The job's key.
            result: The result (a JSON value when the notifier uses Redis).

        Raises:
            EventEncodingError: The Redis notifier cannot encode ``result`` as JSON.
            EventsClosedError: The notifier is closed.
        """
        self._check_open(f"notify {key!r}")
        await self._complete(key, Outcome(ok=True, value=result))

    async def notify_error(self, key: str, error: BaseException | Mapping[str, Any] | str) -> None:
        """Complete ``key`` with a failure: every waiter raises :class:`CompletionFailedError`.

        Args:
            key: The job's key.
            error: An exception, an error payload (a JSON mapping, ideally with ``type`` and
                ``message``) or a message. Waiters find it as ``CompletionFailedError.error``.

        Raises:
            EventEncodingError: The Redis notifier cannot encode the payload as JSON.
            EventsClosedError: The notifier is closed.
        """
        self._check_open(f"notify {key!r}")
        await self._complete(key, Outcome.failure(error))

    async def aclose(self) -> None:
        """Close: waiters raise :class:`EventsClosedError`; subscriptions and tasks end.

        Closing twice is allowed.
        """
        if self._closed:
            return
        self._closed = True
        await self._close()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    @abstractmethod
    def stats(self) -> NotifierStats:
        """Return what the notifier holds now (waiters, retained outcomes, subscriptions)."""

    @abstractmethod
    async def _wait(self, key: str) -> Outcome:
        """Return ``key``'s outcome, waiting for it; clean up when cancelled."""

    @abstractmethod
    async def _complete(self, key: str, outcome: Outcome) -> None:
        """Deliver ``outcome`` to every waiter of ``key`` and retain it."""

    @abstractmethod
    async def _close(self) -> None:
        """Release waiters, subscriptions and tasks."""

    def _closed_error(self, action: str) -> EventsClosedError:
        return EventsClosedError(f"{type(self).__name__}({self.namespace!r})", action=action)

    def _check_open(self, action: str) -> None:
        if self._closed:
            raise self._closed_error(action)
