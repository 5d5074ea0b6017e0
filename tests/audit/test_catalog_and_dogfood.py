"""The generated rule catalog is current, and rescope's own code audits clean."""

from __future__ import annotations

from pathlib import Path

from rescope.audit import AuditConfig, run_audit
from rescope.audit.catalog import check_catalog, render_catalog

ROOT = Path(__file__).resolve().parents[2]


def test_rule_catalog_is_up_to_date() -> None:
    """docs/rules matches what the rule classes render; regenerate it when this fails."""
    stale = check_catalog(ROOT / "docs" / "rules")
    assert stale == [], f"stale rule docs {stale}: run `python -m rescope.audit.catalog docs/rules`"
    assert "index.md" in render_catalog()


def test_rescope_audits_itself_with_zero_findings() -> None:
    """`rescope audit src/` on rescope's own source reports nothing."""
    result = run_audit([ROOT / "src"], AuditConfig(use_cache=False))
    assert result.files > 50
    assert [(f.rule, f.path, f.line) for f in result.findings] == []
