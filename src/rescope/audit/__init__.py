"""``rescope audit``: find singletons and hazards, build the service inventory and graph.

The code under audit is only read (with :mod:`ast`), never imported or run::

    from rescope.audit import run_audit

    result = run_audit([Path("backend")])
    for finding in result.findings:
        print(finding.path, finding.line, finding.rule, finding.message)
"""

from __future__ import annotations

from rescope.audit._baseline import apply_baseline, read_baseline, write_baseline
from rescope.audit._config import AuditConfig, find_pyproject, load_config
from rescope.audit._engine import known_rule_options, run_audit, select_rules
from rescope.audit._model import (
    AuditResult,
    Finding,
    Scope,
    Service,
    Severity,
    Usage,
    ValueCache,
)

__all__ = [
    "AuditConfig",
    "AuditResult",
    "Finding",
    "Scope",
    "Service",
    "Severity",
    "Usage",
    "ValueCache",
    "apply_baseline",
    "find_pyproject",
    "known_rule_options",
    "load_config",
    "read_baseline",
    "run_audit",
    "select_rules",
    "write_baseline",
]
