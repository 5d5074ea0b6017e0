"""A registry of named circuit breakers, for health pages and shared state."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from rescope.exceptions import ConfigurationError
from rescope.resilience._breaker import CircuitBreaker
from rescope.resilience._state import BreakerMetrics, CircuitState

__all__ = ["BreakerRegistry"]


class BreakerRegistry:
    """Named circuit breakers of one application.

    Keep one per application (register it in the container); health routes and metrics
    read it.
    """

    def __init__(self) -> None:
        self._breakers: dict[str, CircuitBreaker] = {}

    def add(self, breaker: CircuitBreaker) -> CircuitBreaker:
        """Register ``breaker`` under its name and return it.

        Args:
            breaker: The breaker to register.

        Raises:
            ConfigurationError: Another breaker already has that name.
        """
        existing = self._breakers.get(breaker.name)
        if existing is not None and existing is not breaker:
            raise ConfigurationError(
                f"a circuit breaker named {breaker.name!r} is already registered: two"
                " breakers with one name would report as one.",
                setting=breaker.name,
                hint="another name, or `registry.get(name)` to reuse the registered one.",
            )
        self._breakers[breaker.name] = breaker
        return breaker

    def breaker(self, name: str, **config: Any) -> CircuitBreaker:
        """Return the breaker named ``name``, creating it with ``config`` if there is none.

        Args:
            name: The breaker's name.
            **config: Keyword arguments of :class:`CircuitBreaker`, used when it is created.

        Raises:
            ConfigurationError: It exists already and ``config`` was given (the existing
                breaker's rules would silently win).
        """
        existing = self._breakers.get(name)
        if existing is not None:
            if config:
                raise ConfigurationError(
                    f"circuit breaker {name!r} exists already, so the configuration"
                    f" {sorted(config)} would be ignored.",
                    setting=name,
                    hint="configuring the breaker once, where it is first created.",
                )
            return existing
        return self.add(CircuitBreaker(name, **config))

    def get(self, name: str) -> CircuitBreaker:
        """Return the breaker named ``name``.

        Raises:
            KeyError: No breaker has that name.
        """
        return self._breakers[name]

    def remove(self, name: str) -> None:
        """Forget the breaker named ``name`` (nothing happens if there is none)."""
        self._breakers.pop(name, None)

    def __iter__(self) -> Iterator[CircuitBreaker]:
        return iter(list(self._breakers.values()))

    def __len__(self) -> int:
        return len(self._breakers)

    def __contains__(self, name: object) -> bool:
        return name in self._breakers

    def metrics(self) -> list[BreakerMetrics]:
        """Return a snapshot of every breaker, sorted by name."""
        return [self._breakers[name].metrics() for name in sorted(self._breakers)]

    def healthy(self) -> bool:
        """Return whether no breaker is open."""
        return all(b.state is not CircuitState.OPEN for b in self._breakers.values())

    def reset_all(self) -> None:
        """Close every breaker (after a deploy, or between tests)."""
        for breaker in self:
            breaker.reset()
