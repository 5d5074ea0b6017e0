"""Per-user isolation under load: request latency for 20 -> 100 concurrent users.

Two uvicorn processes of the isolation app (tests/testing/isolation_app) share the local
Redis; every simulated user connects a websocket to one instance, starts an agent run on
the other, writes and reads notes, and waits for its run's completion event. Measured for
the app with per-user services in the SESSION scope (rescope) and for the same app with
global singletons (the negative control, whose events go to every socket).
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from benchmarks._harness import markdown_table, matrix_table

PEERS = ["uvicorn", "websockets", "httpx"]
URL = "redis://127.0.0.1:6379/0"
ROOT = Path(__file__).resolve().parent.parent
APP = "tests.testing.isolation_app.main:from_env"


def start(mode: str):
    from rescope.testing import UvicornProcess

    env = {
        "ISOLATION_MODE": mode,
        "REDIS_URL": URL,
        "ISOLATION_NAMESPACE": f"bench-{uuid.uuid4().hex[:8]}",
    }
    servers = [UvicornProcess(APP, factory=True, env=env, cwd=ROOT) for _ in range(2)]
    with ThreadPoolExecutor(2) as pool:
        list(pool.map(lambda s: s.start(), servers))
    return servers


async def run_load(urls, users: int):
    from rescope.testing import ConcurrentUserSimulator, find_leaks
    from tests.testing.isolation_suite import load_workflow

    ids = [f"bench{users}-{uuid.uuid4().hex[:6]}-{i}" for i in range(users)]
    result = await ConcurrentUserSimulator(urls[0]).run(
        lambda user: load_workflow(user, urls), users=ids
    )
    return result, len(find_leaks(result)), len(result.failures)


def main(quick: bool = False) -> None:
    sizes = [20, 50, 100]
    rounds = 1 if quick else 3
    p95: dict[str, dict[str, float]] = {}
    detail = []
    for mode, label in (("scoped", "rescope (SESSION scope)"), ("singleton", "global singletons")):
        servers = start(mode)
        try:
            urls = (servers[0].url, servers[1].url)
            asyncio.run(run_load(urls, 10))  # warm-up: imports, pools, compiled plans
            p95[label] = {}
            for users in sizes:
                samples, p50s, leaks, failures = [], [], 0, 0
                for _ in range(rounds):
                    result, leaked, failed = asyncio.run(run_load(urls, users))
                    samples.append(result.p95 * 1e9)
                    p50s.append(result.p50 * 1e9)
                    leaks += leaked
                    failures += failed
                p95[label][f"{users} users"] = statistics.median(samples)
                detail.append(
                    [
                        label,
                        users,
                        f"{statistics.median(p50s) / 1e6:.1f} ms",
                        f"{statistics.median(samples) / 1e6:.1f} ms",
                        leaks,
                        failures,
                    ]
                )
        finally:
            for server in servers:
                server.close()
    print("### Isolation suite load: p95 request latency (median of rounds)\n")
    print(matrix_table(p95, reference="rescope (SESSION scope)"))
    print()
    print(markdown_table(["app", "users", "p50", "p95", "leaked payloads", "failed users"], detail))
    scoped = p95["rescope (SESSION scope)"]
    growth = scoped["100 users"] / scoped["20 users"]
    print(
        f"\np95 at 100 users is {growth:.2f}x p95 at 20 users (5x the users; linear growth"
        " would be at most 5x)."
    )


if __name__ == "__main__":
    main(quick="--quick" in sys.argv)
