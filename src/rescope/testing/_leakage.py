"""``assert_no_cross_user_leakage``: every payload that names an owner reached that owner only."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from rescope.exceptions import CrossUserLeakError
from rescope.testing._records import SimulationResult, UserResult

__all__ = ["Leak", "assert_no_cross_user_leakage", "find_leaks", "owners_in"]

DEFAULT_KEYS = ("user_id", "owner")
_SHOWN = 200  # characters of a leaked payload shown in a report


@dataclass(frozen=True, slots=True)
class Leak:
    """One payload that reached a user it does not belong to.

    Attributes:
        receiver: The user who received it.
        owner: The user it belongs to (the value of its marker).
        where: Where it was received (``"GET /runs/7"``, ``"websocket /ws message #3"``).
        payload: The payload, as received.
    """

    receiver: str
    owner: str
    where: str
    payload: Any

    def __str__(self) -> str:
        text = json.dumps(self.payload, default=repr)
        if len(text) > _SHOWN:
            text = text[: _SHOWN - 3] + "..."
        return f"user {self.receiver!r} received data of user {self.owner!r} ({self.where}): {text}"


def owners_in(payload: Any, keys: Sequence[str] = DEFAULT_KEYS) -> Iterator[str]:
    """Yield the value of every marker field (``user_id``, ``owner``) anywhere in ``payload``.

    Args:
        payload: A decoded JSON value.
        keys: The field names that name the user a piece of data belongs to.
    """
    stack = [payload]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            for key, value in item.items():
                if key in keys and isinstance(value, str | int):
                    yield str(value)
                elif isinstance(value, dict | list):
                    stack.append(value)
        elif isinstance(item, list):
            stack.extend(item)


def find_leaks(
    results: SimulationResult | Iterable[UserResult],
    *,
    keys: Sequence[str] = DEFAULT_KEYS,
    owner_of: Callable[[Any], Iterable[str]] | None = None,
) -> list[Leak]:
    """Every payload whose marker names a user other than the one who received it.

    Args:
        results: A simulation's results, or users' results.
        keys: The marker fields searched for in each payload (at any depth).
        owner_of: Instead of ``keys``, a function returning the owners a payload names.
    """
    users = list(results)
    find = owner_of if owner_of is not None else (lambda payload: owners_in(payload, keys))
    leaks: list[Leak] = []
    for user in users:
        for where, payload in user.payloads():
            for owner in find(payload):
                if owner != user.user_id:
                    leaks.append(Leak(user.user_id, owner, where, payload))
                    break
    return leaks


def assert_no_cross_user_leakage(
    results: SimulationResult | Iterable[UserResult],
    *,
    keys: Sequence[str] = DEFAULT_KEYS,
    owner_of: Callable[[Any], Iterable[str]] | None = None,
) -> None:
    """Fail when any user received a response or websocket message that names another user.

    Every HTTP response body and websocket message each user received is searched, at any
    depth, for marker fields (``user_id`` and ``owner`` by default); a marker whose value
    is not the receiving user's id is a leak. So the app under test should tag per-user
    data with its owner, as real data usually is.

    Args:
        results: A simulation's results, or users' results.
        keys: The marker fields searched for in each payload.
        owner_of: Instead of ``keys``, a function returning the owners a payload names.

    Raises:
        CrossUserLeakError: Listing each leak: receiver, owner, where and the payload.
    """
    users = list(results)
    leaks = find_leaks(users, keys=keys, owner_of=owner_of)
    if leaks:
        raise CrossUserLeakError(leaks, users=len(users))
