"""``--format sarif``: SARIF 2.1.0 for GitHub code scanning, with rule metadata."""

from __future__ import annotations

import json
from typing import Any

from rescope._version import __version__
from rescope.audit._model import AuditResult, Severity
from rescope.audit.rules import RULES_BY_CODE

__all__ = ["render", "to_dict"]

_LEVEL = {
    Severity.HIGH: "error",
    Severity.MEDIUM: "warning",
    Severity.LOW: "note",
    Severity.INFO: "note",
}
# GitHub sorts alerts by this 0.0-10.0 number.
_SCORE = {Severity.HIGH: "8.0", Severity.MEDIUM: "5.0", Severity.LOW: "3.0", Severity.INFO: "1.0"}
_DOCS = "https://github.com/rescope/rescope/blob/main/docs/rules/{code}.md"


def _rule(code: str) -> dict[str, Any]:
    rule = RULES_BY_CODE[code]
    doc = (rule.__doc__ or "").strip()
    return {
        "id": code,
        "name": "".join(part.capitalize() for part in rule.name.split("-")),
        "shortDescription": {"text": doc.splitlines()[0] if doc else rule.name},
        "fullDescription": {"text": doc},
        "help": {"text": doc, "markdown": doc},
        "helpUri": _DOCS.format(code=code),
        "defaultConfiguration": {"level": _LEVEL[rule.severity]},
        "properties": {
            "tags": ["rescope", "maintainability"],
            "precision": "high",
            "security-severity": _SCORE[rule.severity],
        },
    }


def to_dict(result: AuditResult) -> dict[str, Any]:
    """The result as a SARIF 2.1.0 log with one run."""
    codes = sorted(set(result.rules) | {f.rule for f in result.findings})
    index = {code: i for i, code in enumerate(codes)}
    return {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "rescope",
                        "version": __version__,
                        "semanticVersion": __version__.split(".dev")[0],
                        "informationUri": "https://github.com/rescope/rescope",
                        "rules": [_rule(code) for code in codes],
                    }
                },
                "originalUriBaseIds": {"SRCROOT": {"uri": _root_uri(result.root)}},
                "results": [
                    {
                        "ruleId": f.rule,
                        "ruleIndex": index[f.rule],
                        "level": _LEVEL[f.severity],
                        "message": {"text": f"{f.message}. {f.fix}."},
                        "locations": [
                            {
                                "physicalLocation": {
                                    "artifactLocation": {"uri": f.path, "uriBaseId": "SRCROOT"},
                                    "region": {"startLine": f.line, "startColumn": f.column + 1},
                                }
                            }
                        ],
                        "partialFingerprints": {"rescope/v1": f.fingerprint},
                    }
                    for f in result.findings
                ],
            }
        ],
    }


def _root_uri(root: str) -> str:
    from pathlib import Path

    return Path(root).resolve().as_uri() + "/"


def render(result: AuditResult) -> str:
    """The SARIF log as indented JSON."""
    return json.dumps(to_dict(result), indent=2) + "\n"
