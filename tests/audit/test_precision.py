"""Precision on library-shaped code: one finding per global, values and registries apart."""

from __future__ import annotations

from pathlib import Path

from rescope.audit import AuditConfig, run_audit
from tests.audit._helpers import write_tree

_RECORDER = (
    "class Collector:\n    def record(self, name, v): ...\n\n_collector = None\n\n"
    + "".join(
        f"def record_{name}(v):\n    global _collector\n    if _collector is None:\n"
        f"        _collector = Collector()\n    _collector.record({name!r}, v)\n\n"
        for name in ("latency", "errors", "timeouts", "retries", "bytes_in", "bytes_out", "drops")
    )
)


def test_one_rs101_finding_per_global_names_the_other_getters(tmp_path: Path) -> None:
    """Seven functions filling one global give one RS101 finding at the first, naming the rest."""
    write_tree(tmp_path, {"metrics/recorder.py": _RECORDER})
    result = run_audit([tmp_path], AuditConfig(use_cache=False, select=("RS101",)))
    (finding,) = result.findings
    assert finding.symbol == "record_latency"
    assert finding.line == 6
    assert "`record_errors()`" in finding.message
    assert "and 1 more" in finding.message


def test_cached_strategy_is_a_value_cache_not_a_service(tmp_path: Path) -> None:
    """A cached getter returning a non-service object is listed as a value cache."""
    write_tree(
        tmp_path,
        "from functools import lru_cache\n\nclass OneOfStrategy:\n    def do_draw(self, d): ...\n\n"
        "@lru_cache\ndef timezones():\n    return OneOfStrategy()\n",
    )
    result = run_audit([tmp_path], AuditConfig(use_cache=False))
    assert [c.name for c in result.value_caches] == ["timezones"]
    assert result.services == []


def test_registry_singleton_is_a_service_without_rs301(tmp_path: Path) -> None:
    """A process-wide registry stays in the inventory but is not reported as per-user state."""
    write_tree(
        tmp_path,
        "class CollectorRegistry:\n    def __init__(self):\n        self._by_name = {}\n\n"
        "    def register(self, collector):\n        self._by_name[collector.name] = collector\n\n"
        "_registry = None\n\ndef get_registry():\n    global _registry\n"
        "    if _registry is None:\n        _registry = CollectorRegistry()\n"
        "    return _registry\n",
    )
    result = run_audit([tmp_path], AuditConfig(use_cache=False))
    assert [s.name for s in result.services] == ["CollectorRegistry"]
    assert [f.rule for f in result.findings] == ["RS101"]
