"""The bundled legacy backend passes its own test suite, and its hand-made labels are sound."""

from __future__ import annotations

import ast
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.servers import SharedRedis

LEGACY = Path(__file__).resolve().parents[2] / "examples" / "legacy_app"
RULES = {
    "RS001",
    *(f"RS10{n}" for n in range(1, 6)),
    *(f"RS20{n}" for n in range(1, 5)),
    *(f"RS30{n}" for n in range(1, 3)),
    *(f"RS40{n}" for n in range(1, 5)),
    *(f"RS50{n}" for n in range(1, 4)),
    "RS601",
    "RS602",
}
SHAPES = {
    "lazy_getter",
    "new_singleton",
    "metaclass_singleton",
    "decorator_singleton",
    "class_cached_client",
    "cached_getter",
    "module_instance",
}
SCOPES = {"APP", "SESSION", "REQUEST"}


@pytest.fixture(name="labels", scope="module")
def fixture_labels() -> dict:
    """EXPECTED.yaml, parsed."""
    return yaml.safe_load((LEGACY / "EXPECTED.yaml").read_text(encoding="utf-8"))


def _lines(path: str) -> list[str]:
    target = LEGACY / path
    assert target.is_file(), f"{path} is labelled but does not exist"
    return target.read_text(encoding="utf-8").splitlines()


def _module_path(module: str) -> str:
    return module.replace(".", "/") + ".py"


@pytest.mark.slow
def test_legacy_suite_passes_against_real_redis_and_sqlite(
    shared_redis: SharedRedis, tmp_path: Path
) -> None:
    """The legacy app's own suite passes 40+ tests on real Redis and SQLite and cleans up."""
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    env = {
        **os.environ,
        "REDIS_URL": shared_redis.url,
        "REDIS_KEY_PREFIX": shared_redis.prefix,
        "DATABASE_PATH": str(tmp_path / "legacy.db"),
        "STORAGE_DIR": str(tmp_path / "storage"),
        "TMPDIR": str(scratch),
    }
    env.pop("PYTEST_ADDOPTS", None)
    result = subprocess.run(
        [sys.executable, "-m", "pytest", f"--basetemp={tmp_path / 'basetemp'}"],
        cwd=LEGACY,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-4000:]
    summary = re.search(r"(\d+) passed", output)
    assert summary is not None, output[-2000:]
    assert int(summary.group(1)) >= 40
    assert not re.search(r"\d+ (failed|error)", output), output[-2000:]
    assert shared_redis.cleanup() == 0, "the legacy suite left keys under its prefix"
    assert list(scratch.iterdir()) == [], "the legacy suite left temporary files behind"


def test_every_legacy_module_is_valid_python() -> None:
    """Every .py file of the legacy app parses as Python 3.11 source."""
    files = sorted(LEGACY.rglob("*.py"))
    assert len(files) > 40
    for path in files:
        ast.parse(path.read_text(encoding="utf-8"), filename=str(path), feature_version=(3, 11))


def test_expected_services_follow_the_contract(labels: dict) -> None:
    """Every service names a class of its module, a known shape and scope, and listed deps."""
    assert set(labels) == {"services", "value_caches", "findings", "cycles"}
    services = labels["services"]
    names = [service["name"] for service in services]
    assert len(names) == len(set(names)) >= 25
    for service in services:
        assert set(service) == {"name", "module", "shape", "accessor", "scope", "depends_on"}
        assert service["shape"] in SHAPES, service
        assert service["scope"] in SCOPES, service
        tree = ast.parse("\n".join(_lines(_module_path(service["module"]))))
        classes = {node.name for node in ast.walk(tree) if isinstance(node, ast.ClassDef)}
        assert service["name"] in classes, f"{service['name']} not in {service['module']}"
        assert set(service["depends_on"]) <= set(names), service
        assert service["name"] not in service["depends_on"], service


def test_expected_findings_point_at_their_symbol(labels: dict) -> None:
    """Every finding and value cache names a known rule, a file, and a line holding its symbol."""
    seen: set[tuple[str, str, int]] = set()
    for finding in labels["findings"]:
        assert set(finding) == {"rule", "path", "line", "symbol"}, finding
        assert finding["rule"] in RULES, finding
        key = (finding["rule"], finding["path"], finding["line"])
        assert key not in seen, f"duplicate label {key}"
        seen.add(key)
        lines = _lines(finding["path"])
        assert 1 <= finding["line"] <= len(lines), finding
        symbol = str(finding["symbol"])
        if finding["rule"] == "RS602" and finding["line"] == 1 and "." in symbol:
            assert _module_path(symbol) == finding["path"], finding
        else:
            assert symbol.rsplit(".", 1)[-1] in lines[finding["line"] - 1], finding
    for cache in labels["value_caches"]:
        assert set(cache) == {"name", "path", "line"}, cache
        lines = _lines(cache["path"])
        assert cache["name"] in lines[cache["line"] - 1], cache


def test_expected_cycles_are_cycles_of_the_labelled_graph(labels: dict) -> None:
    """Each labelled cycle is a set of services that reach each other through depends_on."""
    graph = {service["name"]: set(service["depends_on"]) for service in labels["services"]}

    def reachable(start: str) -> set[str]:
        seen, todo = set(), [start]
        while todo:
            for nxt in graph[todo.pop()]:
                if nxt not in seen:
                    seen.add(nxt)
                    todo.append(nxt)
        return seen

    assert labels["cycles"], "the legacy app has at least one dependency cycle"
    for cycle in labels["cycles"]:
        assert len(cycle) >= 2
        for name in cycle:
            assert set(cycle) <= reachable(name), cycle
