"""Breaker state shared by two real processes through the shared Redis."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import textwrap

import pytest

from rescope.resilience import CircuitBreaker, CircuitState, SharedBreakerState

WORKER = textwrap.dedent(
    """
    import asyncio, sys
    from rescope.resilience import CircuitBreaker, CircuitState, SharedBreakerState

    async def main(url, prefix):
        breaker = CircuitBreaker("payments")
        async with SharedBreakerState(url, [breaker], prefix=prefix):
            print("ready", flush=True)
            for _ in range(1000):
                if breaker.state is CircuitState.OPEN:
                    break
                await asyncio.sleep(0.01)
            print("saw", breaker.state.value, round(breaker.metrics().retry_after), flush=True)
            breaker.reset()  # this worker found the dependency healthy again
            await asyncio.sleep(0.1)
        print("done", flush=True)

    asyncio.run(main(sys.argv[1], sys.argv[2]))
    """
)


async def read_line(proc: subprocess.Popen) -> str:
    return (await asyncio.to_thread(proc.stdout.readline)).strip()


@pytest.mark.anyio
async def test_two_processes_see_each_others_transitions(shared_redis) -> None:
    """One process's breaker opening opens the other's; the other's reset closes the first."""
    prefix = shared_redis.key("breakers:")
    breaker = CircuitBreaker("payments", failure_threshold=2, recovery_timeout=60)
    async with SharedBreakerState(shared_redis.url, [breaker], prefix=prefix):
        proc = subprocess.Popen(
            [sys.executable, "-c", WORKER, shared_redis.url, prefix],
            stdout=subprocess.PIPE,
            text=True,
        )
        try:
            assert await read_line(proc) == "ready"
            assert breaker._fast  # sharing adds nothing to the closed path
            for _ in range(2):
                with pytest.raises(ZeroDivisionError):
                    breaker.call(lambda: 1 / 0)
            assert breaker.state is CircuitState.OPEN
            assert await read_line(proc) == "saw open 60"
            for _ in range(500):
                if breaker.state is CircuitState.CLOSED:
                    break
                await asyncio.sleep(0.01)
            assert breaker.state is CircuitState.CLOSED
            assert await read_line(proc) == "done"
        finally:
            if proc.poll() is None:
                proc.kill()
            proc.wait()
            proc.stdout.close()


@pytest.mark.anyio
async def test_a_late_worker_learns_the_last_transition(shared_redis) -> None:
    """A worker that starts after a breaker opened elsewhere starts open."""
    prefix = shared_redis.key("breakers:")
    first = CircuitBreaker("search", recovery_timeout=60)
    async with SharedBreakerState(shared_redis.url, [first], prefix=prefix) as shared:
        first.trip()
        await asyncio.gather(*shared._publishes)
        late = CircuitBreaker("search")
        async with SharedBreakerState(shared_redis.url, [late], prefix=prefix):
            assert late.state is CircuitState.OPEN
            assert 55 < late.metrics().retry_after <= 60
