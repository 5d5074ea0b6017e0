"""``--format html``: one self-contained page with the service graph, filters and tables.

Everything is inlined (styles, script, and the vendored Cytoscape.js with its dagre layout
from ``assets/``), so the file works offline and can be mailed or attached to a ticket. The
audit's data is embedded as JSON in a ``<script type="application/json">`` block with
``<``, ``>`` and ``&`` escaped, and the page renders it with ``textContent`` only: a class
or file named ``<script>`` stays text.
"""

from __future__ import annotations

import json
import re
from functools import cache
from importlib import resources
from pathlib import PurePosixPath
from typing import Any

from rescope._version import __version__
from rescope.audit._model import AuditResult, Finding, Service
from rescope.audit.rules import RULES_BY_CODE

__all__ = ["VENDORED", "embed_json", "render", "report_data"]

#: The third-party scripts inlined into the page, in load order, with their licence files.
VENDORED = (
    ("cytoscape.min.js", "cytoscape.LICENSE"),
    ("cytoscape-dagre.min.js", "cytoscape-dagre.LICENSE"),
)
_MARKER = re.compile(r"@(STYLE|VENDORED|SCRIPT|DATA|LICENCES)@")
_ESCAPES = {
    "<": "\\u003c",
    ">": "\\u003e",
    "&": "\\u0026",
    "\u2028": "\\u2028",
    "\u2029": "\\u2029",
}


@cache
def _asset(name: str) -> str:
    return resources.files(__package__).joinpath("assets", name).read_text(encoding="utf-8")


def embed_json(data: object) -> str:
    """JSON that is safe inside ``<script type="application/json">`` (no ``</script>``)."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    for char, escaped in _ESCAPES.items():
        text = text.replace(char, escaped)
    return text


def _script(name: str) -> str:
    lines = _asset(name).splitlines()
    body = "\n".join(line for line in lines if not line.startswith("//# sourceMappingURL"))
    return body.replace("</script", "<\\/script")


def _related(service: Service, findings: list[Finding]) -> list[int]:
    """Indexes of the findings about ``service``: in its file, or naming its class/accessor."""
    names = {service.name, service.accessor.rpartition(".")[2]}
    out = []
    for number, finding in enumerate(findings):
        if finding.path == service.path:
            out.append(number)
            continue
        tail = finding.symbol.rpartition(":")[2].rpartition(".")[2]
        if tail in names:
            out.append(number)
    return out


def report_data(result: AuditResult) -> dict[str, Any]:
    """Everything the page shows, as plain JSON-compatible data."""
    findings = result.findings
    seen: set[str] = set()
    services = []
    for service in result.services:
        if service.name in seen:
            continue  # the graph is keyed by class name, as in the Mermaid/DOT reports
        seen.add(service.name)
        services.append(
            {
                "name": service.name,
                "module": service.module,
                "path": service.path,
                "line": service.anchor_line or service.line,
                "shape": service.shape,
                "scope": service.scope.value,
                "scope_reason": service.scope_reason,
                "accessor": service.accessor,
                "depends_on": service.depends_on,
                "clients": service.clients,
                "external": service.external,
                "users": [
                    {"kind": u.kind, "where": u.where, "path": u.path, "line": u.line, "how": u.how}
                    for u in service.users
                ],
                "findings": _related(service, findings),
            }
        )
    rules = {}
    for code in sorted({f.rule for f in findings} | set(result.rules)):
        rule = RULES_BY_CODE.get(code)
        if rule is not None:
            rules[code] = {"name": rule.name, "severity": rule.severity.value}
    return {
        "tool": {"name": "rescope", "version": __version__},
        "root": PurePosixPath(result.root).name or result.root,
        "summary": {
            "files": result.files,
            "lines": result.lines,
            "services": len(services),
            "findings": len(findings),
            "cycles": len(result.cycles),
            "value_caches": len(result.value_caches),
            "suppressed": result.suppressed,
            "baselined": result.baselined,
        },
        "rules": rules,
        "services": services,
        "edges": [[a, b] for a, b in result.edges if a in seen and b in seen],
        "cycles": result.cycles,
        "findings": [
            {
                "rule": f.rule,
                "severity": f.severity.value,
                "path": f.path,
                "line": f.line,
                "symbol": f.symbol,
                "message": f.message,
                "fix": f.fix,
            }
            for f in findings
        ],
        "value_caches": [
            {"name": c.name, "module": c.module, "path": c.path, "line": c.line, "holds": c.holds}
            for c in result.value_caches
        ],
    }


def render(result: AuditResult) -> str:
    """The report as one HTML document with every asset inlined."""
    vendored = "\n".join(f"<script>{_script(js)}</script>" for js, _ in VENDORED)
    licences = "\n".join(_asset(lic).strip() for _, lic in VENDORED)
    values = {
        "STYLE": _asset("report.css"),
        "VENDORED": vendored,
        "SCRIPT": _asset("report.js").replace("</script", "<\\/script"),
        "DATA": embed_json(report_data(result)),
        "LICENCES": licences.replace("--", "- -"),
    }
    # One pass over the template: text inserted for one marker is never searched again.
    return _MARKER.sub(lambda m: values[m.group(1)], _asset("report.html"))
