"""What simulated users did and received: exchanges, websocket messages, results."""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from rescope.exceptions import SimulationError

__all__ = ["Exchange", "SimulationResult", "UserResult", "WebSocketMessage", "percentile"]


def percentile(values: list[float], q: float) -> float:
    """The ``q``-th percentile (0-100) of ``values`` by the nearest-rank method; NaN when empty.

    Args:
        values: The samples, in any order.
        q: The percentile, between 0 and 100.
    """
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]


@dataclass(frozen=True, slots=True)
class Exchange:
    """One HTTP request a simulated user made and the response it got.

    Attributes:
        method: The HTTP method.
        path: The request path with its query string.
        status: The response status code.
        body: The response body: parsed JSON when it is JSON, else the text.
        latency: Seconds from sending the request to reading the whole response.
    """

    method: str
    path: str
    status: int
    body: Any
    latency: float

    @property
    def where(self) -> str:
        """``"GET /path"``: where this payload came from, for reports."""
        return f"{self.method} {self.path}"


@dataclass(frozen=True, slots=True)
class WebSocketMessage:
    """One message a simulated user's websocket received.

    Attributes:
        path: The websocket's path.
        index: The message's position on its websocket, from 0.
        data: The message: parsed JSON when it is JSON, else the text (or bytes).
        received_at: Monotonic seconds when it arrived.
    """

    path: str
    index: int
    data: Any
    received_at: float

    @property
    def where(self) -> str:
        """``"websocket /ws message #3"``: where this payload came from, for reports."""
        return f"websocket {self.path} message #{self.index}"


@dataclass(slots=True)
class UserResult:
    """Everything one simulated user did and received.

    Attributes:
        user_id: The user's id.
        exchanges: The HTTP requests it made, in the order they completed.
        messages: The websocket messages it received, over all its websockets.
        errors: The errors its workflow raised (``"ExceptionType: message"``).
        value: What its workflow returned.
    """

    user_id: str
    exchanges: list[Exchange] = field(default_factory=list)
    messages: list[WebSocketMessage] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    value: Any = None

    @property
    def latencies(self) -> list[float]:
        """The latency of each of the user's requests, in seconds."""
        return [exchange.latency for exchange in self.exchanges]

    def payloads(self) -> Iterator[tuple[str, Any]]:
        """Yield ``(where, payload)`` for every response body and websocket message."""
        for exchange in self.exchanges:
            yield exchange.where, exchange.body
        for message in self.messages:
            yield message.where, message.data

    def events(self, kind: str | None = None, *, key: str = "type") -> list[Any]:
        """The JSON websocket messages received, optionally only those whose ``key`` is ``kind``.

        Args:
            kind: The event type to keep (all when None).
            key: The field that holds the event type.
        """
        return [
            m.data
            for m in self.messages
            if isinstance(m.data, dict) and (kind is None or m.data.get(key) == kind)
        ]


@dataclass(slots=True)
class SimulationResult:
    """The results of one simulation: per user, and over all users.

    Attributes:
        users: Each user's result, by user id, in the order the users were created.
        elapsed: Seconds from the first user starting to the last one finishing.
    """

    users: dict[str, UserResult]
    elapsed: float

    def __getitem__(self, user_id: str) -> UserResult:
        return self.users[user_id]

    def __iter__(self) -> Iterator[UserResult]:
        return iter(self.users.values())

    def __len__(self) -> int:
        return len(self.users)

    @property
    def requests(self) -> int:
        """How many HTTP requests all users made."""
        return sum(len(user.exchanges) for user in self.users.values())

    @property
    def failures(self) -> dict[str, list[str]]:
        """The errors of each user whose workflow failed."""
        return {uid: user.errors for uid, user in self.users.items() if user.errors}

    def latencies(self) -> list[float]:
        """Every request's latency, in seconds, over all users."""
        return [lat for user in self.users.values() for lat in user.latencies]

    def percentile(self, q: float) -> float:
        """The ``q``-th percentile (0-100) of request latency in seconds over all users."""
        return percentile(self.latencies(), q)

    @property
    def p50(self) -> float:
        """Median request latency in seconds."""
        return self.percentile(50)

    @property
    def p95(self) -> float:
        """95th percentile of request latency in seconds."""
        return self.percentile(95)

    def raise_errors(self) -> None:
        """Raise when any user's workflow failed.

        Raises:
            SimulationError: Naming each failed user and its first error.
        """
        failures = self.failures
        if failures:
            raise SimulationError(
                [f"user {uid!r}: {errors[0]}" for uid, errors in failures.items()],
                users=len(self.users),
            )
