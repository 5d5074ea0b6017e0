"""Module-level work functions for the offload tests (picklable for worker processes)."""

from __future__ import annotations

import asyncio
import hashlib
import os
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

BUFFER = os.urandom(8 << 20)


def hash_rounds(rounds: int) -> str:
    """Hash the buffer ``rounds`` times; hashlib releases the GIL while it hashes."""
    digest = hashlib.sha256()
    for _ in range(rounds):
        digest.update(BUFFER)
    return digest.hexdigest()


def rounds_for(seconds: float) -> int:
    """How many hash rounds take about ``seconds`` on this machine."""
    started = time.perf_counter()
    hash_rounds(4)
    per_round = (time.perf_counter() - started) / 4
    return max(1, round(seconds / per_round))


def pid_and_sum(n: int) -> tuple[int, int]:
    """Pure-Python work: the worker's pid and the sum of squares below ``n``."""
    return os.getpid(), sum(i * i for i in range(n))


async def max_loop_lag(
    work: Callable[[], Awaitable[object]], *, tick: float = 0.01, warmup: float = 0.05
) -> float:
    """Run ``work()`` while a ticker sleeps ``tick`` at a time; return its worst lateness (s)."""
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()

    async def ticker() -> float:
        worst = 0.0
        while not stop.is_set():
            before = loop.time()
            await asyncio.sleep(tick)
            worst = max(worst, loop.time() - before - tick)
        return worst

    ticking = asyncio.create_task(ticker())
    await asyncio.sleep(warmup)
    try:
        await work()
    finally:
        stop.set()
    return await ticking


def fill_tree(root: Path, entries: int) -> None:
    """Put ``entries`` directory entries in ``root`` (hard links: quick to make, slow to remove)."""
    source = root / "source.bin"
    source.write_bytes(b"x")
    for d in range(entries // 100):
        sub = root / f"d{d}"
        sub.mkdir()
        for f in range(100):
            (sub / f"f{f}.bin").hardlink_to(source)
