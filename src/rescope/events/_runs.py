"""A user's (or a request's) registry of running jobs: run id -> thread and data."""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from rescope.exceptions import DuplicateRunError, EventsClosedError, UnknownRunError

__all__ = ["RunRecord", "RunRegistry"]


@dataclass(frozen=True, slots=True)
class RunRecord:
    """One registered run.

    Attributes:
        run_id: The run's id.
        user_id: The user who owns it.
        thread_id: The conversation or thread it belongs to, if any.
        data: Whatever the application keeps with it.
        started_at: Wall-clock seconds when it was registered.
    """

    run_id: str
    user_id: str
    thread_id: str | None = None
    data: Mapping[str, Any] = field(default_factory=dict)
    started_at: float = field(default_factory=time.time)


class RunRegistry:
    """The runs of one user (SESSION scope) or of one request (REQUEST scope).

    Lookups only ever see this registry's runs, so one user's run ids can never resolve to
    another user's thread. Methods are synchronous: on one event loop, concurrent requests
    of the same user cannot interleave inside them.

    Args:
        user_id: The user whose runs these are (named in errors and records).
    """

    def __init__(self, user_id: str) -> None:
        self.user_id = user_id
        self._runs: dict[str, RunRecord] = {}
        self._closed = False

    def __len__(self) -> int:
        return len(self._runs)

    def __contains__(self, run_id: object) -> bool:
        return run_id in self._runs

    def __iter__(self) -> Iterator[RunRecord]:
        return iter(tuple(self._runs.values()))

    def __repr__(self) -> str:
        return f"RunRegistry(user_id={self.user_id!r}, runs={len(self)})"

    def register(
        self, run_id: str, *, thread_id: str | None = None, data: Mapping[str, Any] | None = None
    ) -> RunRecord:
        """Register a run of this user and return its record.

        Args:
            run_id: The run's id, unique within this registry.
            thread_id: The thread the run belongs to.
            data: Anything to keep with the run.

        Raises:
            DuplicateRunError: ``run_id`` is registered already.
            EventsClosedError: The registry was closed with its scope.
        """
        if self._closed:
            raise EventsClosedError(
                f"RunRegistry for user {self.user_id!r}", action=f"register run {run_id!r}"
            )
        if run_id in self._runs:
            raise DuplicateRunError(run_id, user_id=self.user_id)
        record = RunRecord(run_id, self.user_id, thread_id, dict(data or {}))
        self._runs[run_id] = record
        return record

    def unregister(self, run_id: str) -> RunRecord | None:
        """Remove a run (it finished); return its record, or ``None`` if it was not here."""
        return self._runs.pop(run_id, None)

    def get(self, run_id: str) -> RunRecord:
        """Return the record of ``run_id``.

        Raises:
            UnknownRunError: This registry does not hold ``run_id``.
        """
        record = self._runs.get(run_id)
        if record is None:
            raise UnknownRunError(run_id, user_id=self.user_id)
        return record

    def find(self, run_id: str) -> RunRecord | None:
        """Return the record of ``run_id``, or ``None`` when this registry does not hold it."""
        return self._runs.get(run_id)

    def thread_of(self, run_id: str) -> str | None:
        """Return the thread of ``run_id``.

        Raises:
            UnknownRunError: This registry does not hold ``run_id``.
        """
        return self.get(run_id).thread_id

    def runs_in_thread(self, thread_id: str) -> list[RunRecord]:
        """Return this user's runs in ``thread_id``, oldest first."""
        return [record for record in self._runs.values() if record.thread_id == thread_id]

    def clear(self) -> None:
        """Forget every run."""
        self._runs.clear()

    def close(self) -> None:
        """Forget every run and refuse new ones (the user's or request's scope ended)."""
        self._closed = True
        self._runs.clear()

    async def aclose(self) -> None:
        """Same as :meth:`close`, for ``async with`` and async finalizers."""
        self.close()
