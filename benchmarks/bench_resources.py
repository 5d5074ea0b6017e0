"""Resource safety: what guaranteed release costs next to the plain standard-library calls.

Peers are the standard library (tempfile, subprocess, asyncio), anyio and SQLAlchemy used
directly, the way code does it before rescope. A second table measures what offloading buys:
the worst lateness of a 10 ms ticker while a CPU-bound hash runs.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import tempfile
from collections.abc import Awaitable, Callable
from pathlib import Path

from benchmarks._harness import Case, markdown_table, matrix_table, measure
from tests.resources._work import fill_tree, hash_rounds, max_loop_lag, rounds_for

PEERS: list[str] = []


def _temp_cases(where: str) -> dict[str, list[Case]]:
    from rescope.resources import managed_temp_dir, managed_temp_files

    ns = {
        "managed_temp_files": managed_temp_files,
        "managed_temp_dir": managed_temp_dir,
        "tempfile": tempfile,
        "os": os,
        "where": where,
    }
    return {
        "rescope": [
            Case("2 temp files", "with managed_temp_files('.a', '.b', directory=where): pass", ns),
            Case("temp dir", "with managed_temp_dir(directory=where): pass", ns),
            Case(
                "temp dir (async with)",
                "async with managed_temp_dir(directory=where): pass",
                ns,
                is_async=True,
            ),
        ],
        "tempfile": [
            Case(
                "2 temp files",
                "with tempfile.NamedTemporaryFile(suffix='.a', dir=where),"
                " tempfile.NamedTemporaryFile(suffix='.b', dir=where): pass",
                ns,
            ),
            Case("temp dir", "with tempfile.TemporaryDirectory(dir=where): pass", ns),
            Case(
                "temp dir (async with)",
                "with tempfile.TemporaryDirectory(dir=where): pass",
                ns,
                is_async=True,
            ),
        ],
    }


def _process_cases() -> dict[str, list[Case]]:
    from rescope.resources import arun_process, run_process

    argv = ["true"]
    ns = {
        "run_process": run_process,
        "arun_process": arun_process,
        "subprocess": subprocess,
        "asyncio": asyncio,
        "argv": argv,
    }
    return {
        "rescope": [
            Case("run `true` (sync)", "run_process(argv, timeout=10)", ns),
            Case("run `true` (async)", "await arun_process(argv, timeout=10)", ns, is_async=True),
        ],
        "stdlib": [
            Case(
                "run `true` (sync)",
                "subprocess.run(argv, capture_output=True, timeout=10, check=True)",
                ns,
            ),
            Case(
                "run `true` (async)",
                "p = await asyncio.create_subprocess_exec(*argv, stdout=-1, stderr=-1)\n"
                "await asyncio.wait_for(p.communicate(), 10)",
                ns,
                is_async=True,
            ),
        ],
    }


def _offload_cases() -> dict[str, list[Case]]:
    import anyio.to_thread

    from rescope.resources import run_blocking, run_cpu_bound

    ns = {
        "run_cpu_bound": run_cpu_bound,
        "run_blocking": run_blocking,
        "anyio": anyio,
        "asyncio": asyncio,
        "f": int,
    }
    return {
        "rescope": [
            Case("offload a no-op (CPU)", "await run_cpu_bound(f)", ns, is_async=True),
            Case("offload a no-op (I/O)", "await run_blocking(f)", ns, is_async=True),
        ],
        "anyio": [
            Case("offload a no-op (CPU)", "await anyio.to_thread.run_sync(f)", ns, is_async=True),
            Case("offload a no-op (I/O)", "await anyio.to_thread.run_sync(f)", ns, is_async=True),
        ],
        "asyncio": [
            Case("offload a no-op (CPU)", "await asyncio.to_thread(f)", ns, is_async=True),
            Case("offload a no-op (I/O)", "await asyncio.to_thread(f)", ns, is_async=True),
        ],
    }


def _session_cases(where: str) -> dict[str, list[Case]]:
    import sqlalchemy as sa
    from sqlalchemy.orm import Session

    from rescope.resources import create_engine, session

    url = f"sqlite:///{where}/bench.sqlite3"
    tuned = create_engine(url)
    plain = sa.create_engine(url)
    select = sa.text("SELECT 1")
    ns = {"session": session, "Session": Session, "tuned": tuned, "plain": plain, "q": select}
    return {
        "rescope": [
            Case(
                "session: SELECT 1, commit, close",
                "with session(tuned) as db: db.execute(q)",
                ns,
            ),
        ],
        "sqlalchemy": [
            Case(
                "session: SELECT 1, commit, close",
                "with Session(plain) as db, db.begin(): db.execute(q)",
                ns,
            ),
        ],
    }


async def _lag_table(seconds: float) -> str:
    from rescope.resources import run_cpu_bound

    rounds = rounds_for(seconds)

    async def inline() -> None:
        hash_rounds(rounds)

    async def offloaded() -> None:
        await run_cpu_bound(hash_rounds, rounds)

    async def to_thread() -> None:
        await asyncio.to_thread(hash_rounds, rounds)

    rows = []
    for name, work in [
        ("inline (blocking the loop)", inline),
        ("rescope run_cpu_bound", offloaded),
        ("asyncio.to_thread", to_thread),
    ]:
        lag = await max_loop_lag(work, warmup=0.05)
        rows.append([name, f"{lag * 1000:.1f} ms"])
    return markdown_table([f"{seconds:g} s sha256 run", "worst 10 ms ticker lag"], rows)


async def _tree_lag_table(where: str, entries: int) -> str:
    """The worst lateness of a 5 ms ticker while a temp tree of ``entries`` files is removed."""
    from rescope.resources import managed_temp_dir

    async def rescope_exit() -> Callable[[], Awaitable[object]]:
        holder = managed_temp_dir(directory=where)
        fill_tree(await holder.__aenter__(), entries)
        return lambda: holder.__aexit__(None, None, None)

    async def plain_exit() -> Callable[[], Awaitable[object]]:
        plain = tempfile.TemporaryDirectory(dir=where)
        fill_tree(Path(plain.name), entries)

        async def leave() -> None:
            plain.cleanup()

        return leave

    rows = []
    for name, setup in [
        ("rescope `async with managed_temp_dir()`", rescope_exit),
        ("tempfile.TemporaryDirectory", plain_exit),
    ]:
        lags = [await max_loop_lag(await setup(), tick=0.005, warmup=0.025) for _ in range(3)]
        rows.append([name, f"{sorted(lags)[1] * 1000:.1f} ms"])
    return markdown_table(
        [f"remove a {entries:,}-file tree on exit", "worst 5 ms ticker lag"], rows
    )


def main(quick: bool = False) -> None:
    """Print what guaranteed release costs and what offloading buys."""
    with tempfile.TemporaryDirectory() as where:
        for title, groups in [
            ("Temp files", _temp_cases(where)),
            ("Subprocess", _process_cases()),
            ("Offload (thread round trip)", _offload_cases()),
            ("SQLAlchemy session (SQLite file)", _session_cases(where)),
        ]:
            # One measure() over every implementation, so they are sampled interleaved.
            cases = []
            for impl, impl_cases in groups.items():
                for case in impl_cases:
                    case.name = f"{impl} | {case.name}"
                    case.namespace = dict(case.namespace)
                    cases.append(case)
            results: dict[str, dict[str, float]] = {impl: {} for impl in groups}
            for key, value in measure(cases, quick=quick).items():
                impl, scenario = key.split(" | ", 1)
                results[impl][scenario] = value
            print(f"### {title}\n")
            print(matrix_table(results, reference="rescope"))
            print()
        print("### Event-loop lag while CPU-bound work runs\n")
        print(asyncio.run(_lag_table(0.5 if quick else 2.0)))
        print()
        print("### Event-loop lag while a temp tree is removed\n")
        print(asyncio.run(_tree_lag_table(where, 1000 if quick else 3000)))
        print()
        if left := list(Path(where).glob("rescope-*")):
            raise RuntimeError(f"temp paths were left behind: {left}")


if __name__ == "__main__":
    main(quick="--quick" in sys.argv)
