"""A Hypothesis state machine checks the breaker against a plain reference model."""

from __future__ import annotations

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
