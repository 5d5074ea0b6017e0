"""The benchmark scripts keep working: each topic's smoke run prints its tables.

The tables in BENCHMARKS.md are only worth what the scripts that make them are worth, so
every topic runs here with ``--quick`` (few short rounds, nothing measured) in the venv
the runner builds with rescope and its peers. A topic that stops importing a peer, whose
endpoint stops answering 200, or whose table loses a row fails here.
"""

from __future__ import annotations

import os
import subprocess

import pytest

from benchmarks.__main__ import BENCH_PYTHON, ROOT, ensure_bench_venv, peers_of, topics

pytestmark = pytest.mark.timeout(900)

TOPICS = topics()


@pytest.fixture(scope="module")
def bench_python() -> str:
    """The benchmark venv's interpreter, with every topic's peers installed."""
    ensure_bench_venv(sorted({req for topic in TOPICS for req in peers_of(topic)}))
    return str(BENCH_PYTHON)


def test_every_topic_is_found() -> None:
    assert {"di", "fastapi", "resilience", "events", "resources", "migrate"} <= set(TOPICS)


@pytest.mark.parametrize("topic", TOPICS)
def test_topic_smoke_run_prints_its_tables(topic: str, bench_python: str) -> None:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    result = subprocess.run(
        [bench_python, "-m", f"benchmarks.bench_{topic}", "--quick"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-4000:]
    lines = result.stdout.splitlines()
    headings = [line for line in lines if line.startswith("#")]
    rows = [line for line in lines if line.startswith("|") and not line.startswith("|---")]
    assert headings, result.stdout[-2000:]
    assert len(rows) >= 2, result.stdout[-2000:]  # a header and at least one row
    assert "Traceback" not in result.stderr, result.stderr[-4000:]
