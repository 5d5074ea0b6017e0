"""Isolation errors of the pytest kit (``rescope.testing``), reported as test failures."""

from __future__ import annotations

from collections.abc import Sequence

from rescope.exceptions._base import RescopeError

__all__ = [
    "CrossUserLeakError",
    "IsolationError",
    "MemoryGrowthError",
    "SharedInstanceError",
    "SimulationError",
]


def _listed(findings: Sequence[object], limit: int = 10) -> str:
    lines = [f"  - {finding}" for finding in findings[:limit]]
    if len(findings) > limit:
        lines.append(f"  ... and {len(findings) - limit} more")
    return "\n".join(lines)


class IsolationError(RescopeError, AssertionError):
    """Base class for the pytest kit's isolation checks.

    It is also an :class:`AssertionError`, so pytest reports a failed check as a test
    failure with the message below, not as an error.
    """


class CrossUserLeakError(IsolationError):
    """Raised by ``assert_no_cross_user_leakage`` when a user received another user's data.

    Args:
        leaks: What leaked; each renders as one line naming the receiving user, the owner
            and the payload.
        users: How many users were checked.
    """

    def __init__(self, leaks: Sequence[object], *, users: int) -> None:
        super().__init__(
            f"{len(leaks)} payload(s) reached a user they do not belong to"
            f" ({users} users checked):\n{_listed(leaks)}\nPer-user state is shared: a"
            " connection list, run registry or cache that holds several users' data hands"
            " it to the wrong one.",
            hint="keeping per-user state in the SESSION scope (one instance per user) instead"
            " of a module global or an APP-scoped service, and sending events with"
            " `send_to_user(owner, event)` rather than to every connection.",
        )
        self.leaks = tuple(leaks)
        self.users = users


class SharedInstanceError(IsolationError):
    """Raised by ``SingletonDetector.verify()`` when per-user services are not per user.

    Args:
        findings: Each renders as one line naming the service, the users and the object
            they share (or the several objects one user got).
    """

    def __init__(self, findings: Sequence[object]) -> None:
        super().__init__(
            f"{len(findings)} service(s) that should be one per user are not:\n"
            f"{_listed(findings)}\nOne object serving several users carries one user's"
            " state to the next (a singleton); several objects for one user lose state"
            " between that user's requests.",
            hint="registering the service with scope=Scope.SESSION (one per user), not as an"
            " APP singleton or a module global; a user's requests then share one instance.",
        )
        self.findings = tuple(findings)


class MemoryGrowthError(IsolationError):
    """Raised by ``MemoryGrowthDetector`` when memory grew past its bound.

    Args:
        growth: Bytes still allocated after the users left, compared with before.
        limit: The bound in bytes.
        users: How many users came and went.
        top: The allocation sites that grew most, one line each.
    """

    def __init__(self, growth: int, *, limit: int, users: int, top: Sequence[str]) -> None:
        super().__init__(
            f"memory grew by {growth / 1024:.1f} KiB after {users} users came and went,"
            f" over the bound of {limit / 1024:.1f} KiB. Per-user state outlives its users."
            f" Largest growth by allocation site:\n{_listed(top)}",
            hint="keeping per-user state in the SESSION scope so it is released when the user"
            " scope is evicted, and check that the finalizers of per-user services run.",
        )
        self.growth = growth
        self.limit = limit
        self.users = users
        self.top = tuple(top)


class SimulationError(IsolationError):
    """Raised by ``SimulationResult.raise_errors()`` when simulated users' workflows failed.

    Args:
        failures: One line per failed user: the user and the error its workflow raised.
        users: How many users were simulated.
    """

    def __init__(self, failures: Sequence[object], *, users: int) -> None:
        super().__init__(
            f"{len(failures)} of {users} simulated users failed:\n{_listed(failures)}",
            hint="reading the first error: a status the workflow did not expect, a websocket"
            " closed early or a timeout usually names the service that broke under load.",
        )
        self.failures = tuple(failures)
        self.users = users
