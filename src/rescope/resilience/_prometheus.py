"""Prometheus metrics for breakers and the resilient Redis client, as an instrumentation hook.

Needs ``rescope[metrics]`` (``prometheus_client``), imported when the hook is built.
"""

from __future__ import annotations

from typing import Any

from rescope._extras import import_extra
from rescope.resilience._hooks import ResilienceHook
from rescope.resilience._registry import BreakerRegistry
from rescope.resilience._state import CircuitState

__all__ = ["PrometheusHook"]

STATE_VALUE = {CircuitState.CLOSED: 0, CircuitState.HALF_OPEN: 1, CircuitState.OPEN: 2}


class PrometheusHook(ResilienceHook):
    """Export breaker states, transitions, rejections, fallback hits and Redis latency.

    Add it once per process with :func:`rescope.resilience.add_hook`.

    Args:
        registry: The ``prometheus_client`` registry (default: its global ``REGISTRY``).
        namespace: Prefix of every metric name.

    Raises:
        MissingExtraError: ``prometheus_client`` is not installed (``rescope[metrics]``).
    """

    def __init__(self, registry: Any = None, *, namespace: str = "rescope") -> None:
        prom = import_extra("prometheus_client", extra="metrics", module=__name__)
        kw: dict[str, Any] = {} if registry is None else {"registry": registry}
        self.state = prom.Gauge(
            f"{namespace}_circuit_breaker_state",
            "Circuit breaker state: 0 closed, 1 half-open, 2 open.",
            ["breaker"],
            **kw,
        )
        self.transitions = prom.Counter(
            f"{namespace}_circuit_breaker_transitions",
            "Circuit breaker state changes.",
            ["breaker", "from_state", "to_state"],
            **kw,
        )
        self.rejections = prom.Counter(
            f"{namespace}_circuit_breaker_rejections",
            "Calls rejected without running because the circuit was open.",
            ["breaker"],
            **kw,
        )
        self.fallbacks = prom.Counter(
            f"{namespace}_fallback_hits",
            "Fallback values served instead of calling the dependency.",
            ["breaker", "command"],
            **kw,
        )
        self.redis_latency = prom.Histogram(
            f"{namespace}_redis_command_duration_seconds",
            "Latency of Redis commands run by the resilient client.",
            ["client", "command", "outcome"],
            buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5),
            **kw,
        )

    def track(self, breakers: BreakerRegistry) -> None:
        """Publish the current state of every breaker of ``breakers`` now.

        Args:
            breakers: The registry whose breakers to show before their first transition.
        """
        for breaker in breakers:
            self.state.labels(breaker.name).set(STATE_VALUE[breaker.state])

    def on_transition(self, name: str, old: CircuitState, new: CircuitState) -> None:
        """Set the state gauge and count the transition."""
        self.state.labels(name).set(STATE_VALUE[new])
        self.transitions.labels(name, old.value, new.value).inc()

    def on_rejection(self, name: str) -> None:
        """Count a rejection."""
        self.rejections.labels(name).inc()

    def on_fallback(self, name: str, command: str) -> None:
        """Count a fallback hit."""
        self.fallbacks.labels(name, command).inc()

    def on_redis_call(self, name: str, command: str, seconds: float, *, ok: bool) -> None:
        """Observe a Redis command's latency."""
        self.redis_latency.labels(name, command, "ok" if ok else "error").observe(seconds)
