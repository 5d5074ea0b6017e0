"""The sync twin of :class:`ResilientSubscription`, over ``redis.Redis``.

The reconnecting read loop is :class:`SubscriptionCore`'s: its I/O steps here block and
never suspend, so :func:`run_sync` drives the loop to its result without an event loop.
"""

from __future__ import annotations

import time
from typing import Any, Self

from rescope.resilience._redis_batch import run_sync
from rescope.resilience._redis_pubsub import SubscriptionCore

__all__ = ["SyncSubscription"]


class SyncSubscription(SubscriptionCore):
    """Channels and patterns of one sync subscriber, resubscribed after every reconnection.

    Made by :meth:`ResilientRedisSync.subscribe`. Enter it (``with``) to subscribe;
    ``subscribed`` is confirmed by the server when that returns. Then iterate over it
    (``for message in sub``) or call :meth:`get_message`. When the connection drops, the
    next read reconnects with a doubling wait (``reconnect_initial`` up to
    ``reconnect_max``) and resubscribes; ``reconnects`` counts how often that happened.

    One thread reads at a time; :meth:`close` may be called from any thread, and a thread
    iterating over the subscription stops within a second.

    Args:
        client: The ``redis.Redis`` to subscribe through.
        channels: Channels to subscribe to.
        patterns: Patterns to subscribe to.
        down: The exception types that mean the connection is lost.
        reconnect_initial: Seconds before the first reconnection attempt.
        reconnect_max: Longest wait between attempts.
        confirm_timeout: Seconds the server has to confirm a (re)subscription.
    """

    def __enter__(self) -> Self:
        with self._reading:
            run_sync(self._connect())
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Unsubscribe and close the connection; iteration ends.

        Called while another thread reads, it leaves the connection to that reader, which
        closes it when its current wait ends (at most a second while iterating; a
        ``get_message(timeout=None)`` waits for its message first).
        """
        self._closed = True
        self._drop_if_free()

    def __iter__(self) -> Self:
        return self

    def __next__(self) -> dict[str, Any]:
        while not self._closed:
            message = self.get_message(timeout=1.0)
            if message is not None:
                return message
        raise StopIteration

    def get_message(self, timeout: float | None = 1.0) -> dict[str, Any] | None:
        """Return the next message (``type`` message or pmessage), or ``None`` after ``timeout``.

        A lost connection is re-established within the call, as long as time is left.

        Args:
            timeout: Seconds to wait (``None``: until a message arrives).
        """
        with self._reading:
            message = run_sync(self._next_message(timeout))
        if self._closed:  # close() from another thread may have found the lock taken
            self._drop_if_free()
        return message

    def _drop_if_free(self) -> None:
        # Closing sets the flag before trying the lock and a reader checks the flag after
        # releasing it, so one of the two always drops the connection.
        if self._reading.acquire(blocking=False):
            try:
                run_sync(self._drop())
            finally:
                self._reading.release()

    async def _send_subscribe(self, pubsub: Any) -> None:
        if self.channels:
            pubsub.subscribe(*self.channels)
        if self.patterns:
            pubsub.psubscribe(*self.patterns)

    async def _read(self, pubsub: Any, seconds: float | None) -> Any:
        return pubsub.get_message(timeout=seconds)

    async def _sleep(self, seconds: float) -> None:
        time.sleep(seconds)  # noqa: ASYNC251 - driven by run_sync, never on an event loop

    async def _close(self, pubsub: Any) -> None:
        pubsub.close()
