"""User scopes: one SESSION scope per user, shared, bounded, evicted least recently used."""

from __future__ import annotations

import logging
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass

from rescope.di import ScopedContainer
from rescope.exceptions import CleanupError

__all__ = ["CurrentUser", "UserLease", "UserScopes"]

logger = logging.getLogger("rescope.fastapi")


@dataclass(frozen=True, slots=True)
class CurrentUser:
    """The user a SESSION scope belongs to, injectable into services as a context value.

    Declare it with ``registry.context(CurrentUser, scope=Scope.SESSION)``; every user
    scope is then entered with the key ``user_key(request)`` returned.

    Attributes:
        key: What ``user_key`` returned for the user (an id, a subject claim, ...).
    """

    key: Hashable


class UserLease:
    """One user's SESSION scope with the number of requests and connections using it."""

    __slots__ = ("key", "last_used", "refs", "scope")

    def __init__(self, key: Hashable, scope: ScopedContainer, now: float) -> None:
        self.key = key
        self.scope = scope
        self.refs = 0
        self.last_used = now

    def __repr__(self) -> str:
        return f"<UserLease {self.key!r} refs={self.refs}>"


class UserScopes:
    """The live user scopes, at most ``max_users`` idle ones, each idle at most ``idle_ttl``.

    A request or websocket connection *acquires* its user's scope (created on first use)
    and *releases* it when it ends. A scope in use is never evicted; when the last user
    of a scope releases it, scopes past the bound or idle for longer than ``idle_ttl``
    are closed, least recently used first, and their finalizers run. So the bound can be
    exceeded only by users that have a request or connection open right now.

    Args:
        enter: Enters a new SESSION scope for a user key.
        max_users: How many user scopes to keep.
        idle_ttl: Seconds an unused user scope is kept.
        clock: The monotonic clock (injectable for tests).
    """

    def __init__(
        self,
        enter: Callable[[Hashable], ScopedContainer],
        *,
        max_users: int,
        idle_ttl: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._enter = enter
        self.max_users = max_users
        self.idle_ttl = idle_ttl
        self._clock = clock
        # least recently used first
        self._leases: OrderedDict[Hashable, UserLease] = OrderedDict()
        self.evicted = 0

    def __len__(self) -> int:
        return len(self._leases)

    def __contains__(self, key: object) -> bool:
        return key in self._leases

    def get(self, key: Hashable) -> UserLease | None:
        """The live lease of ``key``, if its scope is open (for inspection and tests)."""
        return self._leases.get(key)

    def acquire(self, key: Hashable) -> UserLease:
        """Return ``key``'s lease with one more user, entering its scope when it has none.

        Args:
            key: The user key.
        """
        lease = self._leases.get(key)
        if lease is None:
            lease = self._leases[key] = UserLease(key, self._enter(key), self._clock())
        else:
            self._leases.move_to_end(key)
        lease.refs += 1
        return lease

    async def release(self, lease: UserLease) -> None:
        """Give back one use of ``lease``, then evict what the bounds say must go.

        Args:
            lease: A lease returned by :meth:`acquire`.
        """
        lease.refs -= 1
        lease.last_used = self._clock()
        if lease.refs == 0 and (len(self._leases) > self.max_users or self._has_expired()):
            await self.sweep()

    def _has_expired(self) -> bool:
        for lease in self._leases.values():  # least recently used first
            if lease.refs == 0:
                return self._clock() - lease.last_used > self.idle_ttl
        return False

    async def sweep(self) -> int:
        """Close idle scopes past ``idle_ttl`` and the least recently used past ``max_users``.

        Returns:
            How many user scopes were closed.
        """
        now = self._clock()
        excess = len(self._leases) - self.max_users
        victims: list[UserLease] = []
        for lease in list(self._leases.values()):
            if lease.refs:
                continue
            if excess > 0 or now - lease.last_used > self.idle_ttl:
                victims.append(lease)
                excess -= 1
        # Taken out before any await, so a new request for the same user starts afresh.
        for lease in victims:
            del self._leases[lease.key]
        for lease in victims:
            await self._close(lease)
        self.evicted += len(victims)
        return len(victims)

    async def _close(self, lease: UserLease) -> None:
        try:
            await lease.scope.aclose()
        except CleanupError:
            logger.exception("finalizers of the user scope of %r failed", lease.key)

    async def aclose(self) -> None:
        """Close every user scope (at shutdown), in use or not."""
        leases = list(self._leases.values())
        self._leases.clear()
        for lease in reversed(leases):
            await self._close(lease)
