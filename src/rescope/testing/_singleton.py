"""``SingletonDetector``: per-user services must be one object per user, and only that user's."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from rescope.di import Container, Scope
from rescope.exceptions import SharedInstanceError, _qualified_name

__all__ = ["InstanceFinding", "SingletonDetector"]

Context = Mapping[Any, Any] | Callable[[str], Mapping[Any, Any] | None] | None


def _names(users: Iterable[str], limit: int = 4) -> str:
    quoted = [repr(u) for u in users]
    if len(quoted) > limit:
        return ", ".join(quoted[:limit]) + f" and {len(quoted) - limit} more"
    return ", ".join(quoted)


@dataclass(frozen=True, slots=True)
class InstanceFinding:
    """One per-user service that is not one object per user.

    Attributes:
        service: The service's name.
        kind: ``"shared"``: one object served several users; ``"unstable"``: one user got
            several objects.
        users: The users involved.
        identities: The object identities involved.
    """

    service: str
    kind: Literal["shared", "unstable"]
    users: tuple[str, ...]
    identities: tuple[str, ...]

    def __str__(self) -> str:
        if self.kind == "shared":
            return (
                f"`{self.service}` is one object ({self.identities[0]}) for"
                f" {len(self.users)} users: {_names(self.users)}"
            )
        return (
            f"`{self.service}` is {len(self.identities)} different objects for user"
            f" {self.users[0]!r} within one session"
        )


class SingletonDetector:
    """Finds services that should be one per user but are shared (or not stable per user).

    Feed it observations, then :meth:`verify`:

    * from the container: :meth:`probe` enters a scope per user and resolves each service
      in two requests of that user;
    * from a running app: :meth:`observe` an id the app reports for each user's instance
      (an id made when the object is created, or ``f"{os.getpid()}:{id(obj)}"``).
    """

    def __init__(self) -> None:
        # service -> user -> identities, in order of observation
        self._seen: dict[str, dict[str, list[str]]] = {}
        self._alive: list[object] = []  # keeps probed objects alive, so no id() is reused

    def __repr__(self) -> str:
        return f"<SingletonDetector services={len(self._seen)}>"

    def observe(self, user: str, service: object, identity: object) -> None:
        """Record that ``user`` was served the object ``identity`` for ``service``.

        Args:
            user: The user id.
            service: The service type, or its name.
            identity: Anything that identifies the object (equal for the same object).
        """
        name = service if isinstance(service, str) else _qualified_name(service)
        by_user = self._seen.setdefault(name, {})
        by_user.setdefault(user, []).append(str(identity))

    def observe_object(self, user: str, service: object, obj: object) -> None:
        """Record the object itself (kept alive until the detector is dropped)."""
        self._alive.append(obj)
        self.observe(user, service, f"{os.getpid()}:{id(obj):#x}")

    async def probe(  # noqa: PLR0913 - keyword-only options of one call
        self,
        container: Container,
        services: Iterable[object],
        *,
        users: Iterable[str] = ("user-a", "user-b"),
        scope: Scope = Scope.SESSION,
        context: Context = None,
        request_context: Context = None,
        requests: int = 2,
    ) -> None:
        """Resolve each service in ``requests`` REQUEST scopes of each user's ``scope``.

        The user scopes stay open until every user was probed, as they would be for
        concurrent users.

        Args:
            container: The built container.
            services: The types that should be one per user.
            users: The user ids to probe with.
            scope: The per-user scope (SESSION).
            context: Context values for entering a user's scope: a mapping, or a function
                of the user id returning one.
            request_context: Context values for entering each REQUEST scope.
            requests: How many requests per user resolve each service.
        """
        wanted = list(services)
        opened = []
        try:
            for user in users:
                session = container.scope(scope, context=_context_for(context, user))
                opened.append(session)
                for _ in range(requests):
                    async with session.scope(
                        Scope.REQUEST, context=_context_for(request_context, user)
                    ) as request:
                        for service in wanted:
                            self.observe_object(user, service, await request.aget(service))
        finally:
            for session in reversed(opened):
                await session.aclose()

    def findings(self, *, within_user: bool = True) -> list[InstanceFinding]:
        """What is wrong, without raising.

        Args:
            within_user: Also report users served several objects for one service.
        """
        found: list[InstanceFinding] = []
        for service, by_user in self._seen.items():
            owners: dict[str, list[str]] = {}
            for user, identities in by_user.items():
                for identity in dict.fromkeys(identities):
                    owners.setdefault(identity, []).append(user)
                if within_user and len(set(identities)) > 1:
                    distinct = tuple(dict.fromkeys(identities))
                    found.append(InstanceFinding(service, "unstable", (user,), distinct))
            for identity, users in owners.items():
                if len(users) > 1:
                    found.append(InstanceFinding(service, "shared", tuple(users), (identity,)))
        return found

    def verify(self, *, within_user: bool = True) -> None:
        """Fail when a service was one object for two users (or several for one user).

        Args:
            within_user: Also fail when one user was served several objects for a
                service (turn off when a user's requests reach several processes).

        Raises:
            SharedInstanceError: Naming each service, its users and the shared object.
        """
        found = self.findings(within_user=within_user)
        if found:
            raise SharedInstanceError(found)


def _context_for(context: Context, user: str) -> Mapping[Any, Any] | None:
    if callable(context):
        return context(user)
    return context
