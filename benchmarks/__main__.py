"""Run benchmark topics in a dedicated venv that has rescope and its peers installed.

    python -m benchmarks [TOPIC ...] [--quick]

Each topic is a module ``benchmarks/bench_<topic>.py`` with ``PEERS`` (pip requirement
strings) and ``main(quick: bool) -> None`` that prints Markdown tables. The runner installs
rescope (editable, every extra) plus the union of the chosen topics' peers into
``.bench/venv`` on first use, then runs each topic in its own process there.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib
import json
import os
import pkgutil
import subprocess
import sys
import venv
from pathlib import Path

from benchmarks._harness import CLOCK_ENV, machine_line

ROOT = Path(__file__).resolve().parent.parent
BENCH_VENV = ROOT / ".bench" / "venv"
BENCH_PYTHON = BENCH_VENV / "bin" / "python"


def topics() -> list[str]:
    """Every topic name found under benchmarks/."""
    here = Path(__file__).parent
    return sorted(
        m.name.removeprefix("bench_")
        for m in pkgutil.iter_modules([str(here)])
        if m.name.startswith("bench_")
    )


def peers_of(topic: str) -> list[str]:
    """The pip requirements a topic compares against."""
    return list(getattr(importlib.import_module(f"benchmarks.bench_{topic}"), "PEERS", []))


def ensure_bench_venv(requirements: list[str]) -> None:
    """Create ``.bench/venv`` with rescope and ``requirements``, installing only what is missing.

    The stamp records the pyproject.toml digest and every requirement installed so far, so
    running one topic after another never reinstalls what an earlier topic brought in.
    """
    stamp = BENCH_VENV / ".stamp.json"
    digest = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    state = {"pyproject": "", "requirements": []}
    if stamp.exists():
        state = json.loads(stamp.read_text())
    installed = set(state["requirements"]) if state["pyproject"] == digest else set()
    missing = sorted(set(requirements) - installed)
    if state["pyproject"] == digest and not missing and BENCH_PYTHON.exists():
        return
    if not BENCH_PYTHON.exists():
        venv.EnvBuilder(with_pip=True, clear=True).create(BENCH_VENV)
    pip = [str(BENCH_PYTHON), "-m", "pip", "--disable-pip-version-check", "install", "--quiet"]
    print(f"installing into .bench/venv: rescope, {', '.join(missing) or '-'}", file=sys.stderr)
    subprocess.run([*pip, "-e", f"{ROOT}[all]", "pathspec", *missing], check=True)
    state = {"pyproject": digest, "requirements": sorted(installed | set(missing))}
    stamp.write_text(json.dumps(state))


def main(argv: list[str] | None = None) -> int:
    """Install what the chosen topics need and run each in its own process."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks")
    parser.add_argument(
        "topics", nargs="*", help=f"topics to run (default: all of {', '.join(topics())})"
    )
    parser.add_argument(
        "--quick", action="store_true", help="few short rounds: a smoke run, not a measurement"
    )
    parser.add_argument(
        "--cpu",
        action="store_true",
        help="time with this thread's CPU time (for a busy machine; not for I/O-bound topics)",
    )
    args = parser.parse_args(argv)
    if args.cpu:
        os.environ[CLOCK_ENV] = "cpu"
    chosen = args.topics or topics()
    unknown = sorted(set(chosen) - set(topics()))
    if unknown:
        parser.error(f"unknown topic(s): {', '.join(unknown)}; known: {', '.join(topics())}")
    requirements = sorted({req for topic in chosen for req in peers_of(topic)})
    ensure_bench_venv(requirements)
    print(f"_{machine_line()}_\n")
    status = 0
    for topic in chosen:
        cmd = [str(BENCH_PYTHON), "-m", f"benchmarks.bench_{topic}"] + (
            ["--quick"] if args.quick else []
        )
        status |= subprocess.run(cmd, cwd=ROOT, check=False).returncode
    return status


if __name__ == "__main__":
    sys.exit(main())
