"""``--format markdown``: the service inventory as a document a team can commit."""

from __future__ import annotations

from collections import Counter

from rescope.audit._model import AuditResult
from rescope.audit.reporters._graph import render_mermaid

__all__ = ["render"]


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render(result: AuditResult) -> str:
    """Summary, services, value caches, graph (Mermaid) and findings, in Markdown."""
    out = [
        "# Service inventory",
        "",
        (
            f"{result.files} files, {result.lines} lines: {len(result.services)} services, "
            f"{len(result.value_caches)} value caches, {len(result.findings)} findings, "
            f"{len(result.cycles)} dependency cycles."
        ),
        "",
        "## Services",
        "",
        "| Service | File | Shape | Accessor | Depends on | Clients | Users | Scope |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for s in result.services:
        users = Counter(u.kind for u in s.users)
        used = ", ".join(f"{n} {k}" for k, n in sorted(users.items())) or "-"
        out.append(
            "| "
            + " | ".join(
                _cell(x)
                for x in (
                    f"`{s.name}`",
                    f"{s.path}:{s.line}",
                    s.shape,
                    f"`{s.accessor}`",
                    ", ".join(s.depends_on) or "-",
                    ", ".join(s.clients) or "-",
                    used,
                    f"{s.scope.value}: {s.scope_reason}",
                )
            )
            + " |"
        )
    out += ["", "## Value caches", ""]
    if result.value_caches:
        out += ["| Getter | File | Holds |", "|---|---|---|"]
        out += [
            f"| `{_cell(c.name)}` | {c.path}:{c.line} | {_cell(c.holds)} |"
            for c in result.value_caches
        ]
    else:
        out.append("None.")
    out += ["", "## Dependency graph", "", "```mermaid", render_mermaid(result).rstrip(), "```"]
    if result.cycles:
        out += ["", "Cycles:", ""]
        out += [f"- {' -> '.join([*c, c[0]])}" for c in result.cycles]
    out += ["", "## Findings", ""]
    if result.findings:
        out += ["| Rule | Severity | Where | Message | Fix |", "|---|---|---|---|---|"]
        out += [
            f"| {f.rule} | {f.severity.value} | {f.path}:{f.line} | {_cell(f.message)} | "
            f"{_cell(f.fix)} |"
            for f in result.findings
        ]
    else:
        out.append("None.")
    return "\n".join(out) + "\n"
