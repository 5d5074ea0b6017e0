"""The default report: inventory table, findings grouped by file, summary (with rich)."""

from __future__ import annotations

from collections import Counter, defaultdict

from rich.console import Console
from rich.table import Table
from rich.text import Text

from rescope.audit._model import AuditResult, Severity

__all__ = ["print_report", "render"]

_STYLE = {
    Severity.HIGH: "bold red",
    Severity.MEDIUM: "yellow",
    Severity.LOW: "cyan",
    Severity.INFO: "dim",
}


def print_report(result: AuditResult, console: Console) -> None:  # noqa: C901, PLR0912
    """Print the inventory, the findings and a summary on ``console``."""
    if result.services:
        table = Table(title="Services", title_justify="left", expand=False)
        for column in ("Service", "Where", "Shape", "Accessor", "Depends on", "Users", "Scope"):
            table.add_column(column, overflow="fold")
        for s in result.services:
            users = Counter(u.kind for u in s.users)
            table.add_row(
                s.name,
                f"{s.path}:{s.line}",
                s.shape,
                s.accessor,
                ", ".join(s.depends_on) or "-",
                ", ".join(f"{n} {k}" for k, n in sorted(users.items())) or "-",
                s.scope.value,
            )
        console.print(table)
    if result.value_caches:
        caches = Table(title="Value caches (low)", title_justify="left")
        for column in ("Getter", "Where", "Holds"):
            caches.add_column(column, overflow="fold")
        for c in result.value_caches:
            caches.add_row(c.name, f"{c.path}:{c.line}", c.holds)
        console.print(caches)
    for cycle in result.cycles:
        console.print(Text(f"cycle: {' -> '.join([*cycle, cycle[0]])}", style="bold red"))
    by_path = defaultdict(list)
    for finding in result.findings:
        by_path[finding.path].append(finding)
    for path, findings in by_path.items():
        console.print(Text(path, style="bold underline"))
        for f in findings:
            line = Text(f"  {f.line}:{f.column + 1} ")
            line.append(f.rule, style=_STYLE[f.severity])
            line.append(f" {f.message}")
            console.print(line)
            console.print(Text(f"      fix: {f.fix}", style="dim"))
    counts = Counter(f.rule for f in result.findings)
    summary = ", ".join(f"{code} x{n}" for code, n in sorted(counts.items())) or "no findings"
    extras = []
    if result.suppressed:
        extras.append(f"{result.suppressed} suppressed")
    if result.baselined:
        extras.append(f"{result.baselined} in baseline")
    if result.skipped:
        extras.append(f"{len(result.skipped)} files skipped")
    console.print(
        f"\n{result.files} files, {result.lines} lines in {result.seconds:.2f}s "
        f"({result.cached_files} cached): {len(result.services)} services, "
        f"{len(result.value_caches)} value caches, {len(result.findings)} findings ({summary})"
        + (f"; {', '.join(extras)}" if extras else "")
    )


def render(result: AuditResult) -> str:
    """The terminal report as plain text (no colours), for ``-o FILE``."""
    console = Console(record=True, width=160, color_system=None, force_terminal=False)
    with console.capture():
        print_report(result, console)
    return console.export_text()
