"""Interleaved micro-benchmarks and Markdown tables.

A :class:`Case` is one statement (sync or ``await``-able) compiled into a tight loop, so
what is timed is the statement itself and not a wrapper call around it. :func:`measure`
calibrates each case to a sample length, then runs rounds in which every case takes one
sample in shuffled order (so drift of the machine hits all cases alike), and reports the
median time per operation.
"""

from __future__ import annotations

import asyncio
import gc
import os
import platform
import random
import statistics
import sys
import textwrap
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "CLOCK_ENV",
    "Case",
    "clock_ns",
    "fmt_ns",
    "machine_line",
    "markdown_table",
    "matrix_table",
    "measure",
]


@dataclass
class Case:
    """One thing to time: ``stmt`` runs in a loop with ``namespace`` as its globals.

    ``setup`` (optional) runs once before timing and may fill the namespace. ``is_async``
    cases are awaited inside a coroutine on one event loop.
    """

    name: str
    stmt: str
    namespace: dict[str, Any] = field(default_factory=dict)
    is_async: bool = False
    setup: Callable[[dict[str, Any]], None] | None = None

    def compile(self) -> Callable[[int], int]:
        """Return ``run(n) -> elapsed_ns`` executing the statement ``n`` times."""
        body = textwrap.indent(textwrap.dedent(self.stmt).strip(), " " * 8)
        if self.is_async:
            src = (
                "async def __bench_loop(__n):\n"
                "    __t0 = __perf()\n"
                "    for __i in __range(__n):\n"
                f"{body}\n"
                "    return __perf() - __t0\n"
            )
        else:
            src = (
                "def __bench_loop(__n):\n"
                "    __t0 = __perf()\n"
                "    for __i in __range(__n):\n"
                f"{body}\n"
                "    return __perf() - __t0\n"
            )
        ns = self.namespace
        ns.update(__perf=clock_ns(), __range=range)
        if self.setup is not None:
            self.setup(ns)
        exec(compile(src, f"<bench {self.name}>", "exec"), ns)  # noqa: S102 - our own statements
        loop_fn = ns["__bench_loop"]
        if not self.is_async:
            return loop_fn  # type: ignore[no-any-return]
        runner = _loop()
        return lambda n: runner.run_until_complete(loop_fn(n))


_LOOP: asyncio.AbstractEventLoop | None = None

CLOCK_ENV = "RESCOPE_BENCH_CLOCK"


def clock_ns() -> Callable[[], int]:
    """The clock samples are taken with: wall time, or this thread's CPU time.

    ``RESCOPE_BENCH_CLOCK=cpu`` (``python -m benchmarks --cpu``) measures CPU time, which
    other processes on a busy machine do not inflate; only use it for code that does not
    wait on I/O, whose waiting it would leave out.
    """
    return time.thread_time_ns if os.environ.get(CLOCK_ENV) == "cpu" else time.perf_counter_ns


def _loop() -> asyncio.AbstractEventLoop:
    global _LOOP  # noqa: PLW0603 - one event loop for every async case of the process
    if _LOOP is None:
        _LOOP = asyncio.new_event_loop()
        asyncio.set_event_loop(_LOOP)
    return _LOOP


def measure(
    cases: Sequence[Case],
    *,
    rounds: int = 15,
    sample_ms: float = 20.0,
    quick: bool = False,
) -> dict[str, float]:
    """Return the median nanoseconds per operation of each case, measured interleaved."""
    if quick:
        rounds, sample_ms = 3, 5.0
    runs = {case.name: case.compile() for case in cases}
    counts: dict[str, int] = {}
    for name, run in runs.items():
        n = 1
        while (elapsed := run(n)) < sample_ms * 1e6 / 4:
            n *= 4 if elapsed < sample_ms * 1e6 / 40 else 2
        counts[name] = max(1, int(n * sample_ms * 1e6 / max(elapsed, 1)))
    samples: dict[str, list[float]] = {name: [] for name in runs}
    order = list(runs)
    gc_was_enabled = gc.isenabled()
    for _ in range(rounds):
        random.shuffle(order)
        for name in order:
            gc.collect()
            gc.disable()
            try:
                samples[name].append(runs[name](counts[name]) / counts[name])
            finally:
                if gc_was_enabled:
                    gc.enable()
    return {name: statistics.median(values) for name, values in samples.items()}


def fmt_ns(ns: float) -> str:
    """Format a duration in ns with a readable unit."""
    if ns < 1_000:
        return f"{ns:.0f} ns"
    if ns < 1_000_000:
        return f"{ns / 1_000:.2f} µs"
    if ns < 1_000_000_000:
        return f"{ns / 1_000_000:.2f} ms"
    return f"{ns / 1e9:.2f} s"


def markdown_table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """Render a Markdown table."""
    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def matrix_table(
    results: Mapping[str, Mapping[str, float]],
    *,
    reference: str,
    scenarios: Sequence[str] | None = None,
) -> str:
    """Render ``results[implementation][scenario] = ns`` with each cell's ratio to ``reference``.

    A ratio above 1.00× means slower than the reference implementation.
    """
    cols = list(scenarios or next(iter(results.values())).keys())
    rows = []
    for impl, by_scenario in results.items():
        cells: list[object] = [f"**{impl}**" if impl == reference else impl]
        for col in cols:
            value = by_scenario.get(col)
            ref = results.get(reference, {}).get(col)
            if value is None:
                cells.append("—")
            elif ref and impl != reference:
                cells.append(f"{fmt_ns(value)} ({value / ref:.2f}×)")
            else:
                cells.append(fmt_ns(value))
        rows.append(cells)
    return markdown_table(["implementation", *cols], rows)


def machine_line() -> str:
    """One line naming the date, CPU, cores and Python of this run."""
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:  # noqa: PTH123
            for line in fh:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    clock = "CPU time" if os.environ.get(CLOCK_ENV) == "cpu" else "wall time"
    try:
        load = f" · load {os.getloadavg()[0]:.1f}"
    except OSError:
        load = ""
    return (
        f"{time.strftime('%Y-%m-%d')} · {cpu} · {os.cpu_count()} cores · "
        f"Python {sys.version.split()[0]} · {platform.system()} {platform.release()}"
        f" · {clock}{load}"
    )
