"""``MemoryGrowthDetector``: memory after N users came and went is bounded (tracemalloc)."""

from __future__ import annotations

import gc
import tracemalloc
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Self

from rescope.exceptions import ConfigurationError, MemoryGrowthError

__all__ = ["MemoryGrowthDetector", "MemoryReport"]

_IGNORED = (tracemalloc.__file__, "<frozen importlib._bootstrap>", "<unknown>")


@dataclass(frozen=True, slots=True)
class MemoryReport:
    """How much memory stayed allocated after users came and went, and where.

    It travels as a dict (:meth:`to_dict`, :meth:`from_dict`), so an app under test can
    measure in its own process and report over HTTP.

    Attributes:
        users: How many users came and went.
        growth: Net bytes allocated at the end compared with the start.
        limit: The bound in bytes.
        top: The allocation sites that grew most: ``"file.py:12: +40.0 KiB (+310 blocks)"``.
        extra: Whatever else the measuring side reports (live user scopes, finalizers run).
    """

    users: int
    growth: int
    limit: int
    top: tuple[str, ...] = ()
    extra: Mapping[str, Any] = field(default_factory=dict)

    @property
    def bounded(self) -> bool:
        """Whether the growth is within the limit."""
        return self.growth <= self.limit

    @property
    def per_user(self) -> float:
        """Growth in bytes per user that came and went."""
        return self.growth / self.users if self.users else float(self.growth)

    def check(self) -> None:
        """Fail when the growth is over the limit.

        Raises:
            MemoryGrowthError: With the growth, the bound and the top allocation sites.
        """
        if not self.bounded:
            raise MemoryGrowthError(self.growth, limit=self.limit, users=self.users, top=self.top)

    def to_dict(self) -> dict[str, Any]:
        """The report as a JSON-ready dict."""
        return {
            "users": self.users,
            "growth": self.growth,
            "limit": self.limit,
            "top": list(self.top),
            "extra": dict(self.extra),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> MemoryReport:
        """A report from :meth:`to_dict`'s output."""
        return cls(
            users=int(data["users"]),
            growth=int(data["growth"]),
            limit=int(data["limit"]),
            top=tuple(data.get("top", ())),
            extra=dict(data.get("extra", {})),
        )


class MemoryGrowthDetector:
    """Snapshots memory with tracemalloc before and after users come and go.

    ``start()`` collects garbage and takes a snapshot (starting tracemalloc when it is
    not running; call :meth:`trace` before warming up); ``stop(users=N)`` collects again,
    compares, and returns a :class:`MemoryReport` with the net growth and the sites that
    grew most. Warm the code paths up before ``start()`` so caches filled once (imports,
    compiled plans, connection pools) do not count as growth. Also a context manager.

    Args:
        limit: The bound on net growth, in bytes.
        frames: Stack frames kept per allocation (more: slower, better sites).
        top: How many allocation sites to report.
        ignore: Filename patterns whose allocations are not counted.

    Raises:
        ConfigurationError: ``limit`` is negative.
    """

    def __init__(
        self,
        *,
        limit: int = 512 * 1024,
        frames: int = 1,
        top: int = 10,
        ignore: Sequence[str] = (),
    ) -> None:
        if limit < 0:
            raise ConfigurationError(
                f"limit={limit!r} is negative; it is the number of bytes memory may grow by.",
                setting="limit",
                hint="a bound such as limit=512 * 1024.",
            )
        self.limit = limit
        self.frames = frames
        self.top = top
        self._filters = [
            tracemalloc.Filter(inclusive=False, filename_pattern=p) for p in (*_IGNORED, *ignore)
        ]
        self._before: tracemalloc.Snapshot | None = None
        self._owns_tracing = False
        self.report: MemoryReport | None = None
        self.users = 0

    def __repr__(self) -> str:
        return f"<MemoryGrowthDetector limit={self.limit} running={self._before is not None}>"

    def _snapshot(self) -> tracemalloc.Snapshot:
        gc.collect()
        return tracemalloc.take_snapshot().filter_traces(self._filters)

    def trace(self) -> None:
        """Start tracemalloc now, before warming up (``start()`` does it when not yet done).

        Only allocations made while tracing are seen. Trace before the warm-up, so what
        the warm-up users allocated is in the *before* snapshot, and freeing it when they
        are evicted later counts against what the measured users keep.
        """
        if not tracemalloc.is_tracing():
            tracemalloc.start(self.frames)
            self._owns_tracing = True

    def start(self) -> None:
        """Collect garbage and take the *before* snapshot."""
        self.trace()
        self._before = self._snapshot()

    def stop(
        self, *, users: int | None = None, extra: Mapping[str, Any] | None = None
    ) -> MemoryReport:
        """Collect garbage, compare with the *before* snapshot and return the report.

        Args:
            users: How many users came and went in between (default: :attr:`users`,
                which a test may count up as users leave).
            extra: Anything else to keep in the report.

        Raises:
            ConfigurationError: :meth:`start` was not called.
        """
        if self._before is None:
            raise ConfigurationError(
                "MemoryGrowthDetector.stop() was called before start().",
                hint="`detector.start()` before the users come, or `with detector:`.",
            )
        after = self._snapshot()
        stats = after.compare_to(self._before, "lineno")
        self._before = None
        if self._owns_tracing:
            tracemalloc.stop()
            self._owns_tracing = False
        growth = sum(stat.size_diff for stat in stats)
        grown = sorted((s for s in stats if s.size_diff > 0), key=lambda s: -s.size_diff)
        lines = tuple(
            f"{s.traceback[0].filename}:{s.traceback[0].lineno}: +{s.size_diff / 1024:.1f} KiB"
            f" ({s.count_diff:+d} blocks)"
            for s in grown[: self.top]
        )
        count = self.users if users is None else users
        self.report = MemoryReport(count, growth, self.limit, lines, dict(extra or {}))
        return self.report

    def assert_bounded(self) -> None:
        """Fail when the last report's growth is over the limit.

        Raises:
            ConfigurationError: Nothing was measured yet.
            MemoryGrowthError: The growth is over the limit.
        """
        if self.report is None:
            raise ConfigurationError(
                "nothing was measured: assert_bounded() needs start() and stop() first.",
                hint="`with detector:` around the users coming and going.",
            )
        self.report.check()

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self, et: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._before is not None:
            self.stop()
