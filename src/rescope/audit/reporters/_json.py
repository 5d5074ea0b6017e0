"""``--format json``: the whole result in a stable, documented schema (``audit.schema.json``)."""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

from rescope._version import __version__
from rescope.audit._model import AuditResult

__all__ = ["SCHEMA_VERSION", "render", "schema", "to_dict"]

#: Bumped on any incompatible change of the JSON output.
SCHEMA_VERSION = 1


def schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) the JSON output follows, shipped in the package."""
    text = resources.files(__package__).joinpath("audit.schema.json").read_text(encoding="utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


def to_dict(result: AuditResult) -> dict[str, Any]:
    """The result as plain JSON-compatible data."""
    return {
        "schema_version": SCHEMA_VERSION,
        "tool": {"name": "rescope", "version": __version__},
        "root": result.root,
        "summary": {
            "files": result.files,
            "lines": result.lines,
            "findings": len(result.findings),
            "services": len(result.services),
            "value_caches": len(result.value_caches),
            "cycles": len(result.cycles),
            "suppressed": result.suppressed,
            "baselined": result.baselined,
            "cached_files": result.cached_files,
            "rules": result.rules,
        },
        "findings": [
            {
                "rule": f.rule,
                "severity": f.severity.value,
                "path": f.path,
                "line": f.line,
                "column": f.column,
                "symbol": f.symbol,
                "message": f.message,
                "fix": f.fix,
                "fingerprint": f.fingerprint,
            }
            for f in result.findings
        ],
        "services": [
            {
                "name": s.name,
                "module": s.module,
                "path": s.path,
                "line": s.line,
                "shape": s.shape,
                "accessor": s.accessor,
                "scope": s.scope.value,
                "scope_reason": s.scope_reason,
                "depends_on": s.depends_on,
                "clients": s.clients,
                "users": [
                    {"kind": u.kind, "where": u.where, "path": u.path, "line": u.line, "how": u.how}
                    for u in s.users
                ],
            }
            for s in result.services
        ],
        "value_caches": [
            {
                "name": c.name,
                "module": c.module,
                "path": c.path,
                "line": c.line,
                "shape": c.shape,
                "holds": c.holds,
                "severity": "low",
            }
            for c in result.value_caches
        ],
        "graph": {
            "edges": [{"from": a, "to": b} for a, b in result.edges],
            "cycles": result.cycles,
        },
        "skipped": [{"path": p, "reason": r} for p, r in result.skipped],
    }


def render(result: AuditResult) -> str:
    """The result as indented JSON."""
    return json.dumps(to_dict(result), indent=2) + "\n"
