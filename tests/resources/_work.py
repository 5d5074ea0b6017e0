"""Module-level work functions for the offload tests (picklable for worker processes)."""

from __future__ import annotations

import hashlib
import os
import time

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
