"""A Hypothesis state machine checks the breaker against a plain reference model."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from rescope.exceptions import CircuitOpenError
from rescope.resilience import CircuitBreaker, CircuitState, ManualClock

THRESHOLD = 3
RECOVERY = 10.0
SUCCESSES = 2


class BoomError(Exception):
    pass


class BreakerModel(RuleBasedStateMachine):
    """Sequential calls, failures, excluded errors and clock moves, mirrored in a model."""

    def __init__(self) -> None:
        super().__init__()
        self.clock = ManualClock()
        self.breaker = CircuitBreaker(
            "model",
            failure_threshold=THRESHOLD,
            recovery_timeout=RECOVERY,
            success_threshold=SUCCESSES,
            excluded_exceptions=[KeyError],
            clock=self.clock,
        )
        self.state = "closed"
        self.consecutive = 0
        self.retry_at = 0.0
        self.trial_successes = 0
        self.rejections = 0

    def _admit(self) -> bool:
        if self.state == "open":
            if self.clock.now < self.retry_at:
                self.rejections += 1
                return False
            self.state = "half_open"
            self.trial_successes = 0
        return True

    def _call(self, outcome: str) -> None:
        admitted = self._admit()

        def body() -> None:
            if outcome == "fail":
                raise BoomError
            if outcome == "excluded":
                raise KeyError

        try:
            self.breaker.call(body)
        except CircuitOpenError:
            assert not admitted
            return
        except (BoomError, KeyError):
            assert admitted
        else:
            assert admitted
        failed = outcome == "fail"
        if self.state == "closed":
            self.consecutive = self.consecutive + 1 if failed else 0
            if self.consecutive >= THRESHOLD:
                self.state, self.retry_at, self.consecutive = "open", self.clock.now + RECOVERY, 0
        elif failed:
            self.state, self.retry_at = "open", self.clock.now + RECOVERY
        else:
            self.trial_successes += 1
            if self.trial_successes >= SUCCESSES:
                self.state, self.consecutive = "closed", 0

    @rule(outcome=st.sampled_from(["ok", "fail", "excluded"]))
    def call(self, outcome: str) -> None:
        self._call(outcome)

    @rule(seconds=st.floats(min_value=0, max_value=2 * RECOVERY))
    def wait(self, seconds: float) -> None:
        self.clock.advance(seconds)

    @precondition(lambda self: self.state != "open")
    @rule()
    def trip(self) -> None:
        self.breaker.trip()
        self.state, self.retry_at, self.consecutive = "open", self.clock.now + RECOVERY, 0

    @rule()
    def reset(self) -> None:
        self.breaker.reset()
        self.state, self.consecutive = "closed", 0

    @invariant()
    def matches_the_model(self) -> None:
        assert self.breaker.state is CircuitState(self.state)
        metrics = self.breaker.metrics()
        assert metrics.rejections == self.rejections
        if self.state == "closed":
            assert metrics.consecutive_failures == self.consecutive


TestBreakerModel = BreakerModel.TestCase
TestBreakerModel.settings = settings(max_examples=150, stateful_step_count=40, deadline=None)
TestBreakerModel.__doc__ = "The breaker agrees with the reference model on every step."


SLOW_AFTER = 1.0
WINDOW = 4
MINIMUM = 3
RATE = 0.5


class RatesModel(RuleBasedStateMachine):
    """Every trip rule at once (consecutive, failure rate, slow-call rate), mirrored in a model."""

    def __init__(self) -> None:
        super().__init__()
        self.clock = ManualClock()
        self.breaker = CircuitBreaker(
            "rates",
            failure_threshold=THRESHOLD + 1,
            failure_rate_threshold=RATE,
            slow_call_threshold=SLOW_AFTER,
            slow_call_rate_threshold=RATE,
            window_size=WINDOW,
            minimum_calls=MINIMUM,
            recovery_timeout=RECOVERY,
            success_threshold=SUCCESSES,
            excluded_exceptions=[KeyError],
            clock=self.clock,
        )
        self.state = "closed"
        self.consecutive = 0
        self.window: list[tuple[bool, bool]] = []
        self.retry_at = 0.0
        self.trial_successes = 0
        self.rejections = self.failures = self.slow_calls = 0

    def _open(self) -> None:
        self.state, self.retry_at = "open", self.clock.now + RECOVERY
        self.consecutive, self.window = 0, []

    def _close(self) -> None:
        self.state, self.consecutive, self.window = "closed", 0, []

    def _should_open(self) -> bool:
        if self.consecutive >= THRESHOLD + 1:
            return True
        total = len(self.window)
        fails = sum(f for f, _ in self.window)
        slows = sum(s for _, s in self.window)
        return total >= MINIMUM and (fails >= RATE * total or slows >= RATE * total)

    @rule(outcome=st.sampled_from(["ok", "fail", "excluded", "slow_ok", "slow_fail"]))
    def call(self, outcome: str) -> None:
        if self.state == "open":
            if self.clock.now < self.retry_at:
                with pytest.raises(CircuitOpenError):
                    self.breaker.call(lambda: None)
                self.rejections += 1
                return
            self.state, self.trial_successes, self.window = "half_open", 0, []
        slow = outcome.startswith("slow")
        failed = outcome.endswith("fail")

        def body() -> None:
            if slow:
                self.clock.advance(2 * SLOW_AFTER)
            if failed:
                raise BoomError
            if outcome == "excluded":
                raise KeyError

        with contextlib.suppress(BoomError, KeyError):
            self.breaker.call(body)
        self.failures += failed
        self.slow_calls += slow
        if self.state == "closed":
            self.consecutive = self.consecutive + 1 if failed else 0
            self.window = [*self.window, (failed, slow)][-WINDOW:]
            if self._should_open():
                self._open()
        elif failed or slow:
            self._open()
        else:
            self.trial_successes += 1
            if self.trial_successes >= SUCCESSES:
                self._close()

    @rule(seconds=st.floats(min_value=0, max_value=2 * RECOVERY))
    def wait(self, seconds: float) -> None:
        self.clock.advance(seconds)

    @rule()
    def reset(self) -> None:
        self.breaker.reset()
        self._close()

    @invariant()
    def matches_the_model(self) -> None:
        assert self.breaker.state is CircuitState(self.state)
        metrics = self.breaker.metrics()
        assert (metrics.rejections, metrics.failures, metrics.slow_calls) == (
            self.rejections,
            self.failures,
            self.slow_calls,
        )
        if self.state == "closed":
            assert metrics.consecutive_failures == self.consecutive


TestRatesModel = RatesModel.TestCase
TestRatesModel.settings = settings(max_examples=150, stateful_step_count=40, deadline=None)
TestRatesModel.__doc__ = "With every rate rule on, the breaker agrees with the model on every step."
