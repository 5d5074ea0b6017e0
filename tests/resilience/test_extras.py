"""The breaker needs no extra; Redis, metrics and retries name their extra when missing."""

from __future__ import annotations

import subprocess
import sys
import textwrap

SCRIPT = textwrap.dedent(
    """
    import sys
    for name in ("redis", "prometheus_client", "stamina"):
        sys.modules[name] = None  # as if not installed
    import rescope.resilience as r
    from rescope.exceptions import MissingExtraError

    breaker = r.CircuitBreaker("x")
    assert breaker.call(lambda: 41) + 1 == 42
    for build in (r.ResilientRedis, r.PrometheusHook, lambda: r.retry(attempts=2)):
        try:
            build()
        except MissingExtraError as exc:
            print(exc.extra)
    assert "redis" not in sys.modules or sys.modules["redis"] is None
    """
)


def test_breaker_imports_without_extras_and_integrations_name_theirs() -> None:
    """Without redis, prometheus_client and stamina the breaker works; the rest name extras."""
    out = subprocess.run(
        [sys.executable, "-c", SCRIPT], capture_output=True, text=True, check=True
    ).stdout.split()
    assert out == ["redis", "metrics", "retry"]
