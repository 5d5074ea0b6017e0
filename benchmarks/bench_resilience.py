"""Circuit breakers, the resilient Redis client, the rate limiter and retries.

Breakers: bare call, closed-state call and open-state rejection, sync and async, for
rescope and each peer, and rescope's rejection in each calling style; memory kept per
rejection; concurrent callers let through in half-open; whether an async failure counts;
Redis commands per closed-state call with state shared through Redis (counted with
``INFO commandstats`` on a private redis-server). Redis (the shared server on
127.0.0.1:6379): resilient GET vs raw redis-py GET, and the Lua sliding-window limiter vs
the 4-command MULTI version. Retries: the success path of rescope.retry, stamina and
tenacity.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import tracemalloc
import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from benchmarks._harness import Case, _loop, fmt_ns, markdown_table, matrix_table, measure

PEERS = ["pybreaker", "aiobreaker", "purgatory", "circuitbreaker"]

REDIS_URL = os.environ.get("RESCOPE_BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")
THRESHOLD = 5
LONG = 3600  # recovery timeout: never reached while measuring


class DownError(Exception):
    pass


def work() -> int:
    return 1


async def awork() -> int:
    return 1


def fail() -> None:
    raise DownError


async def afail() -> None:
    raise DownError


def run(coro: Any) -> Any:
    return _loop().run_until_complete(coro)


# --- one adapter per library: (sync guard, async guard) of a function -----------------


def make_rescope(recovery: float = LONG) -> tuple[Callable[..., Any], Callable[..., Any]]:
    from rescope.resilience import CircuitBreaker

    sync_b = CircuitBreaker(failure_threshold=THRESHOLD, recovery_timeout=recovery)
    async_b = CircuitBreaker(failure_threshold=THRESHOLD, recovery_timeout=recovery)
    return sync_b, async_b


def make_pybreaker(recovery: float = LONG) -> tuple[Callable[..., Any], Callable[..., Any]]:
    import pybreaker

    return (
        pybreaker.CircuitBreaker(fail_max=THRESHOLD, reset_timeout=recovery),
        pybreaker.CircuitBreaker(fail_max=THRESHOLD, reset_timeout=recovery),
    )


def make_aiobreaker(recovery: float = LONG) -> tuple[Callable[..., Any], Callable[..., Any]]:
    import aiobreaker

    return (
        aiobreaker.CircuitBreaker(fail_max=THRESHOLD, timeout_duration=timedelta(seconds=recovery)),
        aiobreaker.CircuitBreaker(fail_max=THRESHOLD, timeout_duration=timedelta(seconds=recovery)),
    )


def make_circuitbreaker(recovery: float = LONG) -> tuple[Callable[..., Any], Callable[..., Any]]:
    import circuitbreaker

    return (
        circuitbreaker.CircuitBreaker(failure_threshold=THRESHOLD, recovery_timeout=recovery),
        circuitbreaker.CircuitBreaker(failure_threshold=THRESHOLD, recovery_timeout=recovery),
    )


def make_purgatory(recovery: float = LONG) -> tuple[Callable[..., Any], Callable[..., Any]]:
    import purgatory

    sync_f = purgatory.SyncCircuitBreakerFactory(default_threshold=THRESHOLD, default_ttl=recovery)
    async_f = purgatory.AsyncCircuitBreakerFactory(
        default_threshold=THRESHOLD, default_ttl=recovery
    )
    name = f"c{uuid.uuid4().hex[:6]}"
    return sync_f(name), async_f(name)


LIBS: dict[str, Callable[..., tuple[Callable[..., Any], Callable[..., Any]]]] = {
    "rescope": make_rescope,
    "pybreaker": make_pybreaker,
    "aiobreaker": make_aiobreaker,
    "purgatory": make_purgatory,
    "circuitbreaker": make_circuitbreaker,
}


def guarded(lib: str, recovery: float = LONG) -> dict[str, Callable[..., Any]]:
    """Closed and open guarded functions of ``lib``, sync and async."""
    out: dict[str, Callable[..., Any]] = {}
    for state in ("closed", "open"):
        sync_dec, async_dec = LIBS[lib](recovery)
        out[f"sync_{state}"] = sync_dec(work)
        out[f"async_{state}"] = async_dec(awork)
        if state == "open":
            sync_fail, async_fail = sync_dec(fail), async_dec(afail)
            for _ in range(THRESHOLD + 1):
                with contextlib.suppress(Exception):
                    sync_fail()
                with contextlib.suppress(Exception):
                    run(async_fail())
    return out


def breaker_tables(quick: bool) -> None:
    cases = [
        Case("bare|sync closed", "f()", {"f": work}),
        Case("bare|async closed", "await f()", {"f": awork}, is_async=True),
    ]
    for lib in LIBS:
        fns = guarded(lib)
        cases += [
            Case(f"{lib}|sync closed", "f()", {"f": fns["sync_closed"]}),
            Case(f"{lib}|async closed", "await f()", {"f": fns["async_closed"]}, is_async=True),
            Case(
                f"{lib}|sync open rejection",
                "try:\n    f()\nexcept Exception:\n    pass",
                {"f": fns["sync_open"]},
            ),
            Case(
                f"{lib}|async open rejection",
                "try:\n    await f()\nexcept Exception:\n    pass",
                {"f": fns["async_open"]},
                is_async=True,
            ),
        ]
    raw = measure(cases, quick=quick)
    results: dict[str, dict[str, float]] = {}
    for key, ns in raw.items():
        impl, scenario = key.split("|")
        results.setdefault(impl, {})[scenario] = ns
    scenarios = ["sync closed", "async closed", "sync open rejection", "async open rejection"]
    print("### Circuit breaker: time per call (median)\n")
    print(matrix_table(results, reference="rescope", scenarios=scenarios))
    print()
    bare_s, bare_a = results["bare"]["sync closed"], results["bare"]["async closed"]
    rows = [
        [
            lib,
            fmt_ns(results[lib]["sync closed"] - bare_s),
            fmt_ns(results[lib]["async closed"] - bare_a),
        ]
        for lib in LIBS
    ]
    print("### Circuit breaker: closed-state overhead over the bare call\n")
    print(markdown_table(["implementation", "sync overhead", "async overhead"], rows))
    print()
    print(
        "_pybreaker's async row decorates a coroutine function with its sync wrapper: it"
        " returns the coroutine unguarded (see the async-failure row below)._\n"
    )


def rejection_memory() -> None:
    rows = []
    n = 10_000
    for lib in LIBS:
        fns = guarded(lib)
        is_async = lib == "purgatory"
        fn = fns["async_open" if is_async else "sync_open"]

        async def areject(count: int, fn: Callable[..., Any] = fn) -> None:
            for _ in range(count):
                with contextlib.suppress(Exception):
                    await fn()

        def reject(count: int, fn: Callable[..., Any] = fn, is_async: bool = is_async) -> None:
            if is_async:
                run(areject(count))
                return
            for _ in range(count):
                with contextlib.suppress(Exception):
                    fn()

        reject(100)
        gc.collect()
        tracemalloc.start()
        before = tracemalloc.get_traced_memory()[0]
        reject(n)
        gc.collect()
        after = tracemalloc.get_traced_memory()[0]
        tracemalloc.stop()
        rows.append([lib, "async" if is_async else "sync", f"{(after - before) / n:.1f} B"])
    print(f"### Memory kept per open-state rejection ({n:,} rejections, tracemalloc)\n")
    print(markdown_table(["implementation", "path", "growth per rejection"], rows))
    print()


def half_open_admission() -> None:
    rows = []
    recovery = 0.05
    for lib, make in LIBS.items():
        if lib == "pybreaker":
            gate = threading.Event()
            ran: list[int] = []

            def probe_sync(gate: threading.Event = gate, ran: list[int] = ran) -> int:
                ran.append(1)
                gate.wait(2)
                return 1

            sync_dec, _ = make_pybreaker(recovery)
            for _ in range(THRESHOLD + 1):
                with contextlib.suppress(Exception):
                    sync_dec.call(fail)
            time.sleep(recovery * 2)

            def trial(breaker: Any = sync_dec, probe: Any = probe_sync) -> None:
                with contextlib.suppress(Exception):
                    breaker.call(probe)

            threads = [threading.Thread(target=trial) for _ in range(20)]
            for t in threads:
                t.start()
            time.sleep(0.2)
            gate.set()
            for t in threads:
                t.join()
            rows.append([lib, "20 threads", f"{len(ran)} of 20"])
            continue
        _, async_dec = make(recovery)
        async_fail = async_dec(afail)
        for _ in range(THRESHOLD + 1):
            with contextlib.suppress(Exception):
                run(async_fail())
        time.sleep(recovery * 2)
        ran_a: list[int] = []

        async def scenario(async_dec: Any = async_dec, ran_a: list[int] = ran_a) -> None:
            gate = asyncio.Event()

            async def probe() -> int:
                ran_a.append(1)
                await gate.wait()
                return 1

            guarded_probe = async_dec(probe)
            tasks = [asyncio.ensure_future(guarded_probe()) for _ in range(20)]
            await asyncio.sleep(0.05)
            gate.set()
            await asyncio.gather(*tasks, return_exceptions=True)

        run(scenario())
        rows.append([lib, "20 asyncio tasks", f"{len(ran_a)} of 20"])
    print("### Half-open: concurrent callers let through after the recovery timeout\n")
    print(markdown_table(["implementation", "callers", "ran"], rows))
    print("\n_rescope's default `half_open_max_calls=1`; the others are rejected at once._\n")


def async_failures_counted() -> None:
    rows = []
    for lib, make in LIBS.items():
        _, async_dec = make()
        guarded_fail = async_dec(afail)
        for _ in range(THRESHOLD):
            with contextlib.suppress(Exception):
                run(guarded_fail())
        ran: list[int] = []

        async def probe(ran: list[int] = ran) -> None:
            ran.append(1)

        with contextlib.suppress(Exception):
            run(async_dec(probe)())
        rows.append([lib, "yes" if not ran else "no: still closed"])
    print(f"### Does an async failure count? ({THRESHOLD} failing awaits, then one more call)\n")
    print(markdown_table(["implementation", "circuit opened"], rows))
    print()


def rejection_styles(quick: bool) -> None:
    from rescope.resilience import CircuitBreaker

    breaker = CircuitBreaker(failure_threshold=THRESHOLD, recovery_timeout=LONG)
    breaker.trip()
    ns = {"b": breaker, "f": breaker(work), "af": breaker(awork), "w": work, "aw": awork}
    swallow = "try:\n    {}\nexcept Exception:\n    pass"
    cases = [
        Case("sync|decorator", swallow.format("f()"), dict(ns)),
        Case("sync|call()", swallow.format("b.call(w)"), dict(ns)),
        Case("sync|with", swallow.format("with b:\n        pass"), dict(ns)),
        Case("async|decorator", swallow.format("await af()"), dict(ns), is_async=True),
        Case("async|call_async()", swallow.format("await b.call_async(aw)"), dict(ns), True),
        Case("async|async with", swallow.format("async with b:\n        pass"), dict(ns), True),
    ]
    raw = measure(cases, quick=quick)
    rows = [[*key.split("|"), fmt_ns(ns_)] for key, ns_ in raw.items()]
    print("### rescope: open-state rejection by calling style (median)\n")
    print(markdown_table(["side", "style", "time per rejection"], rows))
    print()


class PrivateRedisServer:
    """A redis-server of the benchmark's own, so that its command counters start at zero."""

    def __init__(self) -> None:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = sock.getsockname()[1]
        self.dir = tempfile.mkdtemp(prefix="rescope-bench-redis-")
        binary = shutil.which("redis-server") or "redis-server"
        args = [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", ""]
        args += ["--appendonly", "no", "--dir", self.dir]
        self.process = subprocess.Popen(args, stdout=subprocess.DEVNULL)
        self.url = f"redis://127.0.0.1:{self.port}/0"
        import redis

        self.client = redis.Redis(port=self.port)
        for _ in range(500):
            with contextlib.suppress(redis.ConnectionError):
                if self.client.ping():
                    return
            time.sleep(0.01)
        raise RuntimeError("private redis-server did not start")

    def commands(self) -> int:
        """Commands the server ran so far, the INFO calls that count them excluded."""
        stats = self.client.info("commandstats")
        return sum(v["calls"] for k, v in stats.items() if k != "cmdstat_info")

    def stop(self) -> None:
        self.client.close()
        self.process.kill()
        self.process.wait()
        shutil.rmtree(self.dir, ignore_errors=True)


def redis_round_trips(quick: bool) -> None:
    import purgatory
    import pybreaker
    import redis

    from rescope.resilience import CircuitBreaker, SharedBreakerState

    n = 200 if quick else 2000
    server = PrivateRedisServer()
    rows = []
    try:
        storage = pybreaker.CircuitRedisStorage(
            pybreaker.STATE_CLOSED, redis.Redis(port=server.port), namespace="bench"
        )
        py = pybreaker.CircuitBreaker(fail_max=THRESHOLD, state_storage=storage)
        before = server.commands()
        for _ in range(n):
            py.call(work)
        rows.append(["pybreaker (CircuitRedisStorage)", f"{(server.commands() - before) / n:.2f}"])

        async def purgatory_run() -> float:
            factory = purgatory.AsyncCircuitBreakerFactory(
                default_threshold=THRESHOLD, uow=purgatory.AsyncRedisUnitOfWork(server.url)
            )
            await factory.initialize()
            guarded = factory("bench")(awork)
            await guarded()
            start = server.commands()
            for _ in range(n):
                await guarded()
            return (server.commands() - start) / n

        rows.append(["purgatory (AsyncRedisUnitOfWork)", f"{run(purgatory_run()):.2f}"])

        async def rescope_run() -> tuple[float, int]:
            breaker = CircuitBreaker("bench", failure_threshold=THRESHOLD)
            guarded = breaker(awork)
            async with SharedBreakerState(server.url, [breaker], prefix="bench:"):
                start = server.commands()
                for _ in range(n):
                    await guarded()
                per_call = (server.commands() - start) / n
                start = server.commands()
                breaker.trip()
                await asyncio.sleep(0.2)  # the transition is published in the background
                per_transition = server.commands() - start
            return per_call, per_transition

        per_call, per_transition = run(rescope_run())
        rows.append(["rescope (SharedBreakerState)", f"{per_call:.2f}"])
    finally:
        server.stop()
    print(f"### Redis commands per closed-state call, breaker state in Redis ({n:,} calls)\n")
    print(markdown_table(["implementation", "Redis commands per call"], rows))
    print(
        f"\n_Counted with `INFO commandstats` on a private redis-server. rescope talks to"
        f" Redis only on transitions: {per_transition} commands (TIME, then"
        f" MULTI/SET/INCR/PUBLISH/EXEC) to share one._\n"
    )


# --- Redis ----------------------------------------------------------------------------


MULTI_HIT = """
async def multi_hit(pipe_factory, key, limit, window_ms, member):
    now = int(time.time() * 1000)
    pipe = pipe_factory(transaction=True)
    pipe.zremrangebyscore(key, 0, now - window_ms)
    pipe.zadd(key, {member: now})
    pipe.zcard(key)
    pipe.pexpire(key, window_ms)
    _, _, count, _ = await pipe.execute()
    return count <= limit
"""


def redis_tables(quick: bool) -> None:
    import redis.asyncio as aioredis

    from rescope.resilience import RedisRateLimiter, ResilientRedis
    from rescope.resilience._ratelimit import SLIDING_WINDOW_LUA

    prefix = f"rescope-bench:{uuid.uuid4().hex[:8]}:"
    raw = aioredis.Redis.from_url(REDIS_URL)
    resilient = ResilientRedis(REDIS_URL)
    key = prefix + "get"
    run(raw.set(key, b"x" * 64))
    # The raw baseline is the resilient client's own redis-py client: same pool, same socket.
    ns: dict[str, Any] = {"raw": resilient.raw, "res": resilient, "K": key}
    results = measure(
        [
            Case("redis-py GET", "await raw.get(K)", dict(ns), is_async=True),
            Case("rescope ResilientRedis.get", "await res.get(K)", dict(ns), is_async=True),
        ],
        quick=quick,
        rounds=15,
        sample_ms=150,
    )
    print("### Redis GET on loopback (shared Redis, 64-byte value, one connection)\n")
    print(
        matrix_table(
            {name: {"GET": value} for name, value in results.items()}, reference="redis-py GET"
        )
    )
    print()

    # The client's own cost, without the network's noise: an in-memory stand-in for the socket.
    stand_in = ResilientRedis(REDIS_URL)

    async def fake_get(name: str) -> bytes:
        return b"x" * 64

    stand_in._client.get = fake_get  # type: ignore[method-assign]
    cpu = measure(
        [
            Case("stand-in GET", "await g(K)", {"g": fake_get, "K": key}, is_async=True),
            Case(
                "ResilientRedis.get over it",
                "await r.get(K)",
                {"r": stand_in, "K": key},
                is_async=True,
            ),
        ],
        quick=quick,
    )
    overhead = cpu["ResilientRedis.get over it"] - cpu["stand-in GET"]
    print(
        f"_The client's own cost per GET (breaker, fallback cache, two coroutines), measured"
        f" over an in-memory stand-in for the socket: {fmt_ns(overhead)}, that is"
        f" {overhead / results['redis-py GET'] * 100:.1f}% of the loopback GET above._\n"
    )

    limiter = RedisRateLimiter(resilient, 10**9, 1.0, prefix=prefix + "lua:")
    raw_script = raw.register_script(SLIDING_WINDOW_LUA)
    multi_ns: dict[str, Any] = {"time": time}
    exec(MULTI_HIT, multi_ns)  # noqa: S102 - our own text
    counter = iter(range(10**12))
    ns2: dict[str, Any] = {
        "limiter": limiter,
        "script": raw_script,
        "multi_hit": multi_ns["multi_hit"],
        "pipe": raw.pipeline,
        "P": prefix,
        "counter": counter,
        "next": next,
    }
    results = measure(
        [
            Case(
                "Lua, rescope RedisRateLimiter", "await limiter.hit('u')", dict(ns2), is_async=True
            ),
            Case(
                "Lua, raw redis-py",
                "await script(keys=[P + 'rawlua:u'], args=[10**9, 1000, next(counter)])",
                dict(ns2),
                is_async=True,
            ),
            Case(
                "MULTI (4 commands), raw redis-py",
                "await multi_hit(pipe, P + 'multi:u', 10**9, 1000, next(counter))",
                dict(ns2),
                is_async=True,
            ),
        ],
        quick=quick,
        rounds=15,
        sample_ms=150,
    )
    ref = results["MULTI (4 commands), raw redis-py"]
    rows = [
        [name, fmt_ns(value), f"{1e9 / value:,.0f}", f"{ref / value:.2f}×"]
        for name, value in results.items()
    ]
    print("### Sliding-window rate limiter on Redis (one check)\n")
    print(markdown_table(["implementation", "time per check", "checks/s", "vs MULTI"], rows))
    print()

    async def cleanup() -> None:
        keys = [k async for k in raw.scan_iter(match=prefix + "*")]
        if keys:
            await raw.delete(*keys)
        await raw.aclose()
        await resilient.aclose()

    run(cleanup())


# --- retries --------------------------------------------------------------------------


def retry_table(quick: bool) -> None:
    import stamina
    import tenacity

    from rescope.resilience import retry

    rescope_fn = retry(on=DownError, attempts=3, timeout=10)(work)
    stamina_fn = stamina.retry(on=DownError, attempts=3, timeout=10)(work)
    tenacity_fn = tenacity.retry(
        retry=tenacity.retry_if_exception_type(DownError),
        stop=tenacity.stop_after_attempt(3) | tenacity.stop_after_delay(10),
        wait=tenacity.wait_exponential_jitter(multiplier=0.1, max=2, jitter=0.5),
    )(work)
    results = measure(
        [
            Case("bare", "f()", {"f": work}),
            Case("rescope.retry (stamina)", "f()", {"f": rescope_fn}),
            Case("stamina.retry", "f()", {"f": stamina_fn}),
            Case("tenacity.retry", "f()", {"f": tenacity_fn}),
        ],
        quick=quick,
    )
    print("### Retries: a call that succeeds at once\n")
    print(
        matrix_table(
            {name: {"call": value} for name, value in results.items()},
            reference="rescope.retry (stamina)",
        )
    )
    print(
        "\n_rescope.retry runs the first attempt itself and hands over to stamina's retry"
        " loop only after a retryable failure, so a call that succeeds pays no retry"
        " machinery._\n"
    )


def main(quick: bool = False) -> None:
    """Print every resilience table."""
    from rescope.resilience import set_hooks

    set_hooks([])  # no transition logging in the middle of the tables
    breaker_tables(quick)
    rejection_styles(quick)
    rejection_memory()
    half_open_admission()
    async_failures_counted()
    redis_round_trips(quick)
    redis_tables(quick)
    retry_table(quick)


if __name__ == "__main__":
    main(quick="--quick" in sys.argv)
