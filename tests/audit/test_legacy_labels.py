"""The audit against the hand-labelled legacy app: 100% recall, 0 false positives."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from rescope.audit import AuditConfig, AuditResult, run_audit
from rescope.audit.rules import RULES_BY_CODE

ROOT = Path(__file__).resolve().parents[2]
APP = ROOT / "examples" / "legacy_app"
LABELS = APP / "EXPECTED.yaml"


def _accessor_matches(found: str, expected: str) -> bool:
    return found == expected or found.rpartition(".")[2] == expected.rpartition(".")[2]


@pytest.fixture(name="labels", scope="module")
def fixture_labels() -> dict:
    """The hand-made labels of examples/legacy_app."""
    assert LABELS.is_file(), f"{LABELS} is missing: the labelled example app is required"
    return yaml.safe_load(LABELS.read_text(encoding="utf-8"))


@pytest.fixture(name="result", scope="module")
def fixture_result() -> AuditResult:
    """One uncached audit of examples/legacy_app."""
    return run_audit([APP], AuditConfig(use_cache=False))


def test_every_labelled_service_and_nothing_else(labels, result) -> None:
    """The inventory lists exactly the labelled services, each with its shape and accessor."""
    expected = {(s["name"], s["shape"], s["accessor"]) for s in labels["services"]}
    found = {(s.name, s.shape, s.accessor) for s in result.services}
    missing = {
        e
        for e in expected
        if not any(f[:2] == e[:2] and _accessor_matches(f[2], e[2]) for f in found)
    }
    extra = {
        f
        for f in found
        if not any(f[:2] == e[:2] and _accessor_matches(f[2], e[2]) for e in expected)
    }
    assert not missing, f"services not found: {sorted(missing)}"
    assert not extra, f"services not labelled: {sorted(extra)}"


def test_suggested_scopes_and_dependencies_match_the_labels(labels, result) -> None:
    """Each labelled service gets the labelled scope and exactly the labelled dependencies."""
    by_key = {(s.name, s.accessor.rpartition(".")[2]): s for s in result.services}
    wrong = []
    for label in labels["services"]:
        service = by_key.get((label["name"], label["accessor"].rpartition(".")[2]))
        if service is None:
            continue
        if service.scope.value != label["scope"]:
            wrong.append((label["name"], "scope", service.scope.value, label["scope"]))
        if sorted(service.depends_on) != sorted(label.get("depends_on", [])):
            wrong.append((label["name"], "deps", sorted(service.depends_on), label["depends_on"]))
    assert not wrong, wrong


def test_value_caches_are_listed_separately(labels, result) -> None:
    """Value caches are exactly the labelled ones, by getter name, path and line."""
    expected = {(c["name"], c["path"], c["line"]) for c in labels.get("value_caches", [])}
    found = {(c.name, c.path, c.line) for c in result.value_caches}
    assert found == expected


def test_findings_of_implemented_rules_match_the_labels(labels, result) -> None:
    """Every labelled finding of an implemented rule is reported, and nothing unlabelled."""
    implemented = set(RULES_BY_CODE) - {"RS303"}
    expected = {
        (f["rule"], f["path"], f["line"])
        for f in labels.get("findings", [])
        if f["rule"] in implemented
    }
    found = {(f.rule, f.path, f.line) for f in result.findings if f.rule in implemented}
    assert sorted(expected - found) == [], "labelled findings not reported"
    assert sorted(found - expected) == [], "findings not labelled"


def test_cycles_match_the_labels(labels, result) -> None:
    """The service graph has exactly the labelled cycles."""
    expected = sorted(sorted(c) for c in labels.get("cycles", []))
    assert sorted(sorted(c) for c in result.cycles) == expected
    assert len([f for f in result.findings if f.rule == "RS303"]) == len(expected)
