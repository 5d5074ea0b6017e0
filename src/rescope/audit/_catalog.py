"""Render the rule catalog (docs/rules/) from the rule classes: docstrings and examples."""

from __future__ import annotations

import inspect
import sys
from collections.abc import Sequence
from pathlib import Path

from rescope.audit.rules import ALL_RULES, Example, Rule

__all__ = ["check_catalog", "main", "render_catalog"]

_SECTIONS = ("What it does:", "Why is this bad?", "Example:", "Use instead:")


def _sections(rule: type[Rule]) -> tuple[str, dict[str, str]]:
    doc = inspect.cleandoc(rule.__doc__ or "")
    summary, _, rest = doc.partition("\n\n")
    sections: dict[str, str] = {}
    current = ""
    for line in rest.splitlines():
        if line.strip() in _SECTIONS:
            current = line.strip().rstrip(":?")
            sections[current] = ""
        elif current:
            sections[current] += line[4:] + "\n" if line.startswith("    ") else line + "\n"
    return " ".join(summary.split()), {k: v.strip("\n") for k, v in sections.items()}


def _example(example: Example) -> str:
    files = example if isinstance(example, dict) else {"app/module.py": example}
    parts = []
    for path, source in files.items():
        parts.append(f"```py-example\n# {path}\n{source.rstrip()}\n```")
    return "\n\n".join(parts)


def _fix(title: str) -> str:
    """The fix line: a template that is all placeholder is written per finding."""
    if title.strip() == "{fix}":
        return "given with each finding, for the case it flags (see the examples below)"
    return title


def _page(rule: type[Rule]) -> str:
    summary, sections = _sections(rule)
    out = [
        f"# {rule.code} {rule.name}",
        "",
        f"{summary}",
        "",
        f"- Severity: **{rule.severity.value}**",
        f"- Since: {rule.since}",
        f"- Message: {rule.message}",
        f"- Fix: {_fix(rule.fix_title)}",
    ]
    if rule.OPTIONS:
        options = ", ".join(f"`{k}` (default `{v!r}`)" for k, v in rule.OPTIONS.items())
        out.append(f"- Options (`[tool.rescope.rules.{rule.code}]`): {options}")
    for title in ("What it does", "Why is this bad"):
        if title in sections:
            out += ["", f"## {title}{'?' if title.startswith('Why') else ''}", "", sections[title]]
    for title in ("Example", "Use instead"):
        if title in sections:
            out += ["", f"## {title}", "", "```py-example", sections[title], "```"]
    out += ["", "## Flagged (INVALID cases, run by the tests)", ""]
    out += [_example(e) + "\n" for e in rule.INVALID]
    out += ["## Not flagged (VALID cases, run by the tests)", ""]
    out += [_example(e) + "\n" for e in rule.VALID]
    return "\n".join(out).rstrip() + "\n"


def render_catalog() -> dict[str, str]:
    """Return ``{file name: Markdown}`` for ``index.md`` and one page per rule."""
    pages = {f"{rule.code}.md": _page(rule) for rule in ALL_RULES}
    index = [
        "# Rule catalog",
        "",
        "Generated from the rule classes by `python -m rescope.audit.catalog docs/rules`;",
        "a test fails when this directory is stale.",
        "",
        "| Code | Name | Severity | Since | What it finds |",
        "|---|---|---|---|---|",
    ]
    for rule in ALL_RULES:
        summary, _ = _sections(rule)
        summary = summary.replace("|", "\\|")
        index.append(
            f"| [{rule.code}]({rule.code}.md) | {rule.name} | {rule.severity.value} | "
            f"{rule.since} | {summary} |"
        )
    pages["index.md"] = "\n".join(index) + "\n"
    return pages


def check_catalog(directory: Path) -> list[str]:
    """Names of the catalog pages in ``directory`` that are missing, stale or extra."""
    pages = render_catalog()
    wrong = [
        name
        for name, text in pages.items()
        if not (directory / name).is_file()
        or (directory / name).read_text(encoding="utf-8") != text
    ]
    if directory.is_dir():
        wrong += sorted(p.name for p in directory.glob("*.md") if p.name not in pages)
    return sorted(wrong)


def main(argv: Sequence[str] | None = None) -> int:
    """Write the catalog into the directory given as the only argument (``--check`` to verify)."""
    args = list(sys.argv[1:] if argv is None else argv)
    check = "--check" in args
    args = [a for a in args if a != "--check"]
    directory = Path(args[0] if args else "docs/rules")
    if check:
        wrong = check_catalog(directory)
        for name in wrong:
            sys.stderr.write(f"{directory / name} is stale\n")
        return 1 if wrong else 0
    directory.mkdir(parents=True, exist_ok=True)
    for stale in directory.glob("*.md"):
        if stale.name not in render_catalog():
            stale.unlink()
    for name, text in render_catalog().items():
        (directory / name).write_text(text, encoding="utf-8")
    return 0
