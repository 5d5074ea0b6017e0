"""Instrumentation hooks and the Prometheus exporter."""

from __future__ import annotations

import logging

import pytest

from rescope.exceptions import CircuitOpenError
from rescope.resilience import (
    BreakerRegistry,
    CircuitBreaker,
    ManualClock,
    PrometheusHook,
    RedisMode,
    ResilienceHook,
    ResilientRedis,
    add_hook,
    get_hooks,
    set_hooks,
)


@pytest.fixture(name="hooks")
def fixture_hooks():
    previous = set_hooks([])
    yield
    set_hooks(previous)


class Recorder(ResilienceHook):
    def __init__(self) -> None:
        self.events = []

    def on_transition(self, name, old, new) -> None:
        self.events.append(("transition", name, old.value, new.value))

    def on_rejection(self, name) -> None:
        self.events.append(("rejection", name))


def test_hooks_receive_transitions_and_rejections(hooks) -> None:
    """A hook sees each transition and rejection; get_hooks lists it."""
    recorder = Recorder()
    add_hook(recorder)
    assert get_hooks() == [recorder]
    breaker = CircuitBreaker("db", clock=ManualClock(), failure_threshold=1)
    breaker.trip()
    with pytest.raises(CircuitOpenError):
        breaker.call(lambda: None)
    assert recorder.events == [("transition", "db", "closed", "open"), ("rejection", "db")]


def test_logging_is_the_default_hook(caplog) -> None:
    """Out of the box an opening circuit is logged as a warning."""
    breaker = CircuitBreaker("mail", clock=ManualClock())
    with caplog.at_level(logging.WARNING, logger="rescope.resilience"):
        breaker.trip()
    assert "circuit 'mail': closed -> open" in caplog.text


def test_a_failing_hook_is_logged_not_raised(hooks, caplog) -> None:
    """A hook that raises does not break the breaker."""

    class Bad(ResilienceHook):
        def on_transition(self, name, old, new) -> None:
            raise RuntimeError("hook bug")

    add_hook(Bad())
    CircuitBreaker(clock=ManualClock()).trip()
    assert "hook bug" in caplog.text


@pytest.mark.anyio
async def test_prometheus_exports_states_rejections_fallbacks_latency(hooks, private_redis) -> None:
    """The Prometheus hook exports breaker state, transitions, rejections, fallbacks, latency."""
    from prometheus_client import CollectorRegistry, generate_latest

    registry = CollectorRegistry()
    hook = PrometheusHook(registry)
    add_hook(hook)
    breakers = BreakerRegistry()
    clock = ManualClock()
    client = ResilientRedis(
        private_redis.url,
        mode=RedisMode.PERMISSIVE,
        registry=breakers,
        failure_threshold=1,
        connect_timeout=0.2,
        clock=clock,
    )
    hook.track(breakers)
    await client.set("k", "v")
    private_redis.kill()
    await client.get("k")  # fails: opens the breaker, serves the fallback
    await client.get("k")  # rejected, served by the fallback
    text = generate_latest(registry).decode()
    assert 'rescope_circuit_breaker_state{breaker="redis"} 2.0' in text
    assert (
        'rescope_circuit_breaker_transitions_total{breaker="redis",from_state="closed",'
        'to_state="open"} 1.0'
    ) in text
    assert 'rescope_circuit_breaker_rejections_total{breaker="redis"} 1.0' in text
    assert 'rescope_fallback_hits_total{breaker="redis",command="GET"} 2.0' in text
    assert (
        'rescope_redis_command_duration_seconds_count{client="redis",command="SET",outcome="ok"}'
        " 1.0"
    ) in text
    await client.aclose()
