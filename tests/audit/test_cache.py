"""The facts cache: packed per root, skipped reads for unchanged files, safe when damaged."""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass
from pathlib import Path

from rescope.audit import AuditConfig, AuditResult, run_audit, select_rules
from rescope.audit._cache import FactsCache
from rescope.audit._extract import extract
from rescope.audit._facts import pack, unpack
from rescope.audit.reporters import render
from tests.audit._helpers import write_tree

LEGACY_APP = Path(__file__).resolve().parents[2] / "examples" / "legacy_app"
SERVICE = (
    "class AuthService:\n    def login(self): ...\n\n_auth = None\n\n"
    "def get_auth_service():\n    global _auth\n    if _auth is None:\n"
    "        _auth = AuthService()\n    return _auth\n"
)
AN_HOUR_AGO_NS = time.time_ns() - 3_600 * 10**9


def _report(result: AuditResult) -> str:
    data = json.loads(render(result, "json"))
    data.pop("summary", None)
    return json.dumps(data)


def _cache(root: Path) -> FactsCache:
    codes = ",".join(r.code for r in select_rules(AuditConfig()) if r.collect is not None)
    cache = FactsCache(root / ".rescope_cache", root.resolve(), codes)
    cache.load()
    return cache


def _packs(root: Path) -> list[Path]:
    return sorted((root / ".rescope_cache").rglob("*.pack"))


@dataclass(frozen=True)
class _Hazard:
    name: str
    line: int


def test_packed_facts_round_trip_for_every_module() -> None:
    """pack/unpack gives back equal facts for every module of the legacy app."""
    for path in sorted(LEGACY_APP.rglob("*.py")):
        rel = path.relative_to(LEGACY_APP).as_posix()
        facts = extract(path.read_bytes(), path=rel, module=rel[:-3], is_package=False)
        assert unpack(pack(facts)) == facts, rel


def test_collect_results_that_marshal_cannot_hold_are_kept() -> None:
    """A rule's `collect` result made of its own classes survives the cache unchanged."""
    facts = extract(SERVICE.encode(), path="app/auth.py", module="app.auth", is_package=False)
    facts.extra = {"RS900": (_Hazard("open", 3),), "RS901": {"plain": [1, 2]}}
    assert unpack(pack(facts)).extra == facts.extra


def test_one_pack_per_root_and_an_unchanged_tree_reuses_the_whole_result(tmp_path: Path) -> None:
    """A second run of an unchanged tree reads the one pack and returns the same report."""
    write_tree(tmp_path, {f"app/m{n}.py": SERVICE for n in range(5)})
    first = run_audit([tmp_path])
    second = run_audit([tmp_path])
    assert (first.cached_files, second.cached_files) == (0, 5)
    assert _report(first) == _report(second)
    assert len(_packs(tmp_path)) == 1


def test_changed_rule_options_are_a_new_analysis_over_cached_facts(tmp_path: Path) -> None:
    """Different rule options reuse the parsed facts but not the previous findings."""
    source = "class Notifier:\n    def send(self): ...\n\nnotifier = Notifier()\n"
    write_tree(tmp_path, {"app/notify.py": source})
    assert [f.rule for f in run_audit([tmp_path]).findings] == ["RS105"]
    quiet = AuditConfig(rule_options={"RS105": {"ignore-names": ["notifier"]}})
    again = run_audit([tmp_path], quiet)
    assert again.cached_files == 1
    assert again.findings == []


def test_a_fresh_file_is_rehashed_even_when_size_and_mtime_match(tmp_path: Path) -> None:
    """An edit in the same clock tick as the last run (same size and mtime) is still seen."""
    path = write_tree(tmp_path, {"app/auth.py": SERVICE}) / "app" / "auth.py"
    stamp = path.stat().st_mtime_ns
    assert [f.rule for f in run_audit([tmp_path]).findings] == ["RS101"]
    path.write_text(SERVICE.replace("AuthService()", "AuthService  "), encoding="utf-8")
    os.utime(path, ns=(stamp, stamp))
    result = run_audit([tmp_path])
    assert result.findings == []
    assert result.cached_files == 0


def test_an_old_unchanged_file_is_not_read_again(tmp_path: Path) -> None:
    """A file whose size and old mtime match the manifest is taken from the pack unread."""
    path = write_tree(tmp_path, {"app/auth.py": SERVICE}) / "app" / "auth.py"
    os.utime(path, ns=(AN_HOUR_AGO_NS, AN_HOUR_AGO_NS))
    run_audit([tmp_path])
    (pack_path,) = _packs(tmp_path)
    assert _cache(tmp_path).known_key("app/auth.py", path.stat().st_size, AN_HOUR_AGO_NS)
    # Same size, same (old) mtime: the manifest vouches for it, as it does for git and mypy.
    path.write_text(SERVICE.replace("AuthService()", "AuthService  "), encoding="utf-8")
    os.utime(path, ns=(AN_HOUR_AGO_NS, AN_HOUR_AGO_NS))
    assert [f.rule for f in run_audit([tmp_path]).findings] == ["RS101"]
    assert pack_path.exists()


def test_a_damaged_pack_is_a_miss_not_an_error(tmp_path: Path) -> None:
    """A truncated or overwritten pack counts as empty: the run parses again and succeeds."""
    write_tree(tmp_path, {"app/auth.py": SERVICE, "app/other.py": "x = 1\n"})
    expected = _report(run_audit([tmp_path]))
    for damage in (b"", b"RSCP5" + b"\0" * 64, os.urandom(4096)):
        for path in (tmp_path / ".rescope_cache").rglob("*.*"):
            if path.suffix in {".pack", ".result"}:
                path.write_bytes(damage)
        result = run_audit([tmp_path])
        assert result.cached_files == 0
        assert _report(result) == expected


def test_deleted_files_leave_the_pack(tmp_path: Path) -> None:
    """The pack holds the files of the last run only, so it never grows with old content."""
    write_tree(tmp_path, {f"app/m{n}.py": SERVICE for n in range(4)})
    run_audit([tmp_path])
    for n in range(3):
        (tmp_path / "app" / f"m{n}.py").unlink()
    run_audit([tmp_path])
    cache = _cache(tmp_path)
    assert sorted(cache.manifest) == ["app/m3.py"]
    assert len(cache.blobs) == 1
