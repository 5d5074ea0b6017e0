"""End to end on examples/legacy_app: its suite stays green through every phase of the CLI."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.servers import SharedRedis

LEGACY = Path(__file__).resolve().parents[2] / "examples" / "legacy_app"
SUITE = f"{sys.executable} -m pytest -x -p no:cacheprovider"


def _env(shared_redis: SharedRedis, scratch: Path) -> dict[str, str]:
    env = {
        **os.environ,
        "REDIS_URL": shared_redis.url,
        "REDIS_KEY_PREFIX": shared_redis.prefix,
        "DATABASE_PATH": str(scratch / "legacy.db"),
        "STORAGE_DIR": str(scratch / "storage"),
        "TMPDIR": str(scratch / "tmp"),
    }
    env.pop("PYTEST_ADDOPTS", None)
    (scratch / "tmp").mkdir(parents=True, exist_ok=True)
    return env


def _run(argv: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=240, check=False
    )


def _suite(app: Path, env: dict[str, str]) -> int:
    done = _run(SUITE.split(), app, env)
    output = done.stdout + done.stderr
    assert done.returncode == 0, output[-4000:]
    return int(re.search(r"(\d+) passed", output).group(1))  # type: ignore[union-attr]


def _rescope(app: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return _run([sys.executable, "-m", "rescope", *args], app, env)


def _rules(app: Path, env: dict[str, str]) -> dict[str, int]:
    done = _rescope(app, env, "audit", "--no-cache", "--format", "json", ".")
    assert done.returncode in {0, 1}, done.stderr
    counts: dict[str, int] = {}
    for finding in json.loads(done.stdout)["findings"]:
        counts[finding["rule"]] = counts.get(finding["rule"], 0) + 1
    return counts


@pytest.mark.slow
def test_legacy_app_migrates_phase_by_phase_with_its_suite_green(
    shared_redis: SharedRedis, tmp_path: Path
) -> None:
    """deps, routes, tests and container each keep the 66-test suite green; reruns are no-ops."""
    app = tmp_path / "legacy_app"
    shutil.copytree(LEGACY, app)
    env = _env(shared_redis, tmp_path / "scratch")
    baseline = _suite(app, env)
    assert baseline >= 60
    before = _rules(app, env)
    assert before["RS201"] >= 30
    assert before["RS203"] >= 25

    done = _rescope(app, env, "migrate", "--phase", "deps", "--write", ".")
    assert done.returncode == 0, done.stderr
    assert "1 files changed" in done.stderr
    assert _suite(app, env) == baseline

    done = _rescope(app, env, "migrate", "--phase", "routes", "--write", ".")
    assert done.returncode == 0, done.stderr
    assert "[deferred]" in done.stderr
    assert _suite(app, env) == baseline

    done = _rescope(app, env, "migrate", "--phase", "tests", "--write", "--verify", SUITE, ".")
    assert done.returncode == 0, done.stderr
    assert f"before: {baseline} passed (exit 0); after: {baseline} passed" in done.stderr
    assert "[stale-reset]" in done.stderr

    after = _rules(app, env)
    assert "RS201" not in after
    assert "RS202" not in after
    assert "RS203" not in after
    assert after["RS204"] == 2  # getters patched inside services: reported, left to phase 4

    done = _rescope(app, env, "migrate", "--phase", "container", "--write", "--verify", SUITE, ".")
    assert done.returncode == 0, done.stderr
    assert f"before: {baseline} passed (exit 0); after: {baseline} passed" in done.stderr
    assert done.stderr.count("[shimmed]") >= 15
    assert "[setup]" in done.stderr
    assert (app / "backend" / "service_registry.py").is_file()
    assert "[inject]" in done.stderr
    assert done.stderr.count("[constructor]") >= 5
    conftest = (app / "tests" / "conftest.py").read_text(encoding="utf-8")
    assert "with Overrides(app_container()) as override:" in conftest
    assert "dependency_overrides" not in conftest
    after = _rules(app, env)
    assert "RS201" not in after
    assert "RS203" not in after
    # left in place, each with a note: built with arguments, async build, per-user scopes
    assert after["RS101"] <= before["RS101"] - 15

    for phase in ("deps", "routes", "tests", "container"):
        again = _rescope(app, env, "migrate", "--phase", phase, ".")
        assert again.returncode == 0, again.stderr
        assert again.stdout == ""
        assert "0 files would change" in again.stderr
    assert shared_redis.cleanup() == 0
