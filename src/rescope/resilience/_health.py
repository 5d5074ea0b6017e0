"""The health registry: named checks (sync or async) run concurrently, each with a timeout."""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

from rescope.exceptions import ConfigurationError
from rescope.resilience._redis import ResilientRedis
from rescope.resilience._redis_mode import RedisMode
from rescope.resilience._redis_sync import ResilientRedisSync
from rescope.resilience._registry import BreakerRegistry
from rescope.resilience._state import CircuitState

__all__ = ["CheckResult", "HealthCheck", "HealthRegistry", "HealthReport", "Status"]

Status = Literal["ok", "degraded", "down"]

#: A check returns ``None``/``True`` (ok), ``False`` (down) or a dict of details whose
#: optional ``"status"`` key says ok/degraded/down; raising means down.
HealthCheck = Callable[[], "Awaitable[Any] | Any"]

_RANK = {"ok": 0, "degraded": 1, "down": 2}


@dataclass(frozen=True, slots=True)
class CheckResult:
    """The outcome of one check.

    Attributes:
        name: The check's name.
        status: ``ok``, ``degraded`` or ``down``.
        latency_ms: How long the check took.
        critical: Whether ``down`` here makes the whole service ``down``.
        details: What the check reported.
        error: Why it is down, if it is.
    """

    name: str
    status: Status
    latency_ms: float
    critical: bool
    details: dict[str, Any] = field(default_factory=dict)
    error: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """Return the result as JSON-ready data."""
        return {
            "status": self.status,
            "latency_ms": round(self.latency_ms, 3),
            "critical": self.critical,
            "details": self.details,
            "error": self.error,
        }


@dataclass(frozen=True, slots=True)
class HealthReport:
    """The outcome of a run of checks.

    Attributes:
        status: ``down`` if a critical check is down (or any check, for a strict run),
            ``degraded`` if any check is not ok, else ``ok``.
        checks: Each check's result by name.
    """

    status: Status
    checks: dict[str, CheckResult]

    @property
    def http_status(self) -> int:
        """503 when down, else 200."""
        return 503 if self.status == "down" else 200

    def as_dict(self) -> dict[str, Any]:
        """Return the report as JSON-ready data."""
        return {
            "status": self.status,
            "checks": {name: result.as_dict() for name, result in self.checks.items()},
        }


@dataclass(slots=True)
class _Entry:
    check: HealthCheck
    timeout: float
    critical: bool
    tags: frozenset[str]


class HealthRegistry:
    """Named health checks of one application, run concurrently with timeouts."""

    def __init__(self) -> None:
        self._checks: dict[str, _Entry] = {}

    def add(
        self,
        name: str,
        check: HealthCheck,
        *,
        timeout: float = 2.0,
        critical: bool = True,
        tags: Iterable[str] = (),
    ) -> None:
        """Register a check.

        Args:
            name: The check's name in reports.
            check: A sync or async callable (sync ones run in a worker thread).
            timeout: Seconds after which the check counts as down.
            critical: Whether its being down makes the whole service down (503).
            tags: Labels to run a subset (``run(tags={"redis"})``).

        Raises:
            ConfigurationError: A check with that name exists.
        """
        if name in self._checks:
            raise ConfigurationError(
                f"a health check named {name!r} is already registered.",
                setting=name,
                hint="another name, or `remove(name)` first.",
            )
        self._checks[name] = _Entry(check, timeout, critical, frozenset(tags) | {name})

    def remove(self, name: str) -> None:
        """Forget the check ``name`` (nothing happens if there is none)."""
        self._checks.pop(name, None)

    def add_redis(
        self,
        client: ResilientRedis | ResilientRedisSync,
        *,
        name: str = "redis",
        critical: bool | None = None,
    ) -> None:
        """Check a resilient Redis client (ping outside its breaker, circuit state).

        Args:
            client: The client, async or sync (a sync ping runs in a worker thread).
            name: The check's name (also a tag).
            critical: Default: critical only when the client is STRICT (a PERMISSIVE
                service runs on without Redis).
        """
        if critical is None:
            critical = client.mode is RedisMode.STRICT
        self.add(name, client.health_check, critical=critical, tags={"redis"})

    def add_breakers(
        self,
        breakers: BreakerRegistry,
        *,
        name: str = "circuit-breakers",
        critical: bool = False,
    ) -> None:
        """Report every breaker of ``breakers``.

        The check is down when a breaker is open and degraded when one is half-open.

        Args:
            breakers: The breaker registry.
            name: The check's name (also a tag).
            critical: Whether an open breaker makes the whole service down.
        """

        def check() -> dict[str, Any]:
            metrics = breakers.metrics()
            states = {m.state for m in metrics}
            status = (
                "down"
                if CircuitState.OPEN in states
                else ("degraded" if CircuitState.HALF_OPEN in states else "ok")
            )
            return {"status": status, "breakers": {m.name: m.as_dict() for m in metrics}}

        self.add(name, check, critical=critical, tags={"circuit-breakers"})

    async def run(self, *, tags: Iterable[str] | None = None, strict: bool = False) -> HealthReport:
        """Run the checks (all, or those with one of ``tags``) concurrently.

        Args:
            tags: Run only the checks carrying one of these tags (names are tags too).
            strict: Any check down makes the report down, critical or not.
        """
        wanted = None if tags is None else set(tags)
        names = [n for n, e in self._checks.items() if wanted is None or e.tags & wanted]
        results = await asyncio.gather(*(self._run_one(n, self._checks[n]) for n in names))
        status: Status = "ok"
        for result in results:
            level: Status = result.status
            if level == "down" and not (strict or result.critical):
                level = "degraded"
            if _RANK[level] > _RANK[status]:
                status = level
        return HealthReport(status, {r.name: r for r in results})

    async def _run_one(self, name: str, entry: _Entry) -> CheckResult:
        start = time.perf_counter()
        try:
            async with asyncio.timeout(entry.timeout):
                if inspect.iscoroutinefunction(entry.check):
                    outcome = await entry.check()
                else:
                    outcome = await asyncio.to_thread(entry.check)
                    if inspect.isawaitable(outcome):
                        outcome = await outcome
        except TimeoutError:
            return self._result(
                name, entry, start, "down", {}, f"timed out after {entry.timeout:g}s"
            )
        except Exception as exc:  # noqa: BLE001 - a failing check is a result, not an error
            return self._result(name, entry, start, "down", {}, f"{type(exc).__name__}: {exc}")
        if outcome is None or outcome is True:
            return self._result(name, entry, start, "ok", {}, None)
        if outcome is False:
            return self._result(name, entry, start, "down", {}, "the check returned False")
        details = dict(outcome)
        status = details.get("status", "ok")
        if status not in _RANK:
            status = "down"
        error = details.get("error") if status == "down" else None
        return self._result(name, entry, start, status, details, error)

    @staticmethod
    def _result(  # noqa: PLR0913, PLR0917
        name: str,
        entry: _Entry,
        start: float,
        status: Status,
        details: dict[str, Any],
        error: str | None,
    ) -> CheckResult:
        return CheckResult(
            name=name,
            status=status,
            latency_ms=(time.perf_counter() - start) * 1000,
            critical=entry.critical,
            details=details,
            error=error,
        )

    def __len__(self) -> int:
        return len(self._checks)

    def __contains__(self, name: object) -> bool:
        return name in self._checks
