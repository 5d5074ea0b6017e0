"""Adding and removing imports without LibCST's three known import traps.

``AddImportsVisitor`` only looks at the leading import block (a ``conftest.py`` that sets
environment variables before importing the app gets the new import above them) and puts
a blank line before a decorated function that follows; ``RemoveImportsVisitor`` needs
scope metadata for the whole module and can drop a neighbouring comment (LibCST #390).
These helpers add to an existing ``from`` import or after the last top-level import, and
remove an alias while keeping every comment that is not its own.
"""

# LibCST's visitor protocol names methods after node classes and fixes their arguments.
# ruff: noqa: N802, ARG002

from __future__ import annotations

from collections.abc import Iterable, Sequence

import libcst as cst

__all__ = [
    "add_imports",
    "bound_names",
    "dotted",
    "is_docstring",
    "leading_lines",
    "referenced_names",
    "remove_imports",
]

_MAX_LINE = 99


def dotted(node: cst.BaseExpression | None) -> str:
    """The dotted text of a ``Name``/``Attribute`` chain (empty for anything else)."""
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        head = dotted(node.value)
        return f"{head}.{node.attr.value}" if head else ""
    return ""


def _import_of(stmt: cst.CSTNode) -> cst.Import | cst.ImportFrom | None:
    if isinstance(stmt, cst.SimpleStatementLine) and len(stmt.body) == 1:
        small = stmt.body[0]
        if isinstance(small, cst.Import | cst.ImportFrom):
            return small
    return None


def bound_names(module: cst.Module) -> dict[str, tuple[str, str]]:
    """Local name -> ``(module, name)`` for every top-level ``from`` import (absolute only)."""
    found: dict[str, tuple[str, str]] = {}
    for stmt in module.body:
        node = _import_of(stmt)
        if isinstance(node, cst.ImportFrom) and not node.relative and node.module is not None:
            if isinstance(node.names, cst.ImportStar):
                continue
            for alias in node.names:
                name = dotted(alias.name)
                local = dotted(alias.asname.name) if alias.asname else name
                found[local] = (dotted(node.module), name)
    return found


class _Names(cst.CSTVisitor):
    def __init__(self) -> None:
        self.names: list[str] = []

    def visit_Import(self, node: cst.Import) -> bool:
        return False

    def visit_ImportFrom(self, node: cst.ImportFrom) -> bool:
        return False

    def visit_Name(self, node: cst.Name) -> None:
        self.names.append(node.value)

    def visit_SimpleString(self, node: cst.SimpleString) -> None:
        value = node.evaluated_value
        if isinstance(value, str) and value.isidentifier():
            self.names.append(value)


def referenced_names(module: cst.Module) -> set[str]:
    """Every name the module uses outside its import statements (and identifier strings)."""
    visitor = _Names()
    module.visit(visitor)
    return set(visitor.names)


def _separator(node: cst.ImportFrom, names: Sequence[cst.ImportAlias]) -> cst.Comma:
    if len(names) > 1 and isinstance(names[-2].comma, cst.Comma):
        return names[-2].comma
    if node.lpar is not None and isinstance(
        node.lpar.whitespace_after, cst.ParenthesizedWhitespace
    ):
        return cst.Comma(whitespace_after=node.lpar.whitespace_after)
    return cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))


def _extend(node: cst.ImportFrom, new: Sequence[str]) -> cst.ImportFrom:
    if isinstance(node.names, cst.ImportStar):
        return node
    names = list(node.names)
    for name in new:
        alias = cst.ImportAlias(name=cst.Name(name))
        last = names[-1]
        sep = _separator(node, names)
        names[-1] = last.with_changes(comma=sep)
        names.append(alias.with_changes(comma=last.comma))
    return node.with_changes(names=names)


def _new_statement(from_module: str, names: Sequence[str]) -> cst.SimpleStatementLine:
    flat = f"from {from_module} import {', '.join(names)}"
    if len(flat) <= _MAX_LINE:
        return cst.parse_statement(flat + "\n")  # type: ignore[return-value]
    body = "".join(f"    {n},\n" for n in names)
    return cst.parse_statement(f"from {from_module} import (\n{body})\n")  # type: ignore[return-value]


def add_imports(module: cst.Module, wanted: Iterable[tuple[str, str]]) -> cst.Module:
    """Make ``from <module> import <name>`` available for every pair in ``wanted``.

    A name already imported from that module is left alone; a module already imported
    with ``from`` gets the new names appended; otherwise one new statement goes right
    after the last top-level import, without touching the lines around it.

    Args:
        module: The module to change.
        wanted: ``(module, name)`` pairs.
    """
    bound = bound_names(module)
    missing: dict[str, list[str]] = {}
    for from_module, name in wanted:
        if bound.get(name) == (from_module, name) or name in missing.get(from_module, []):
            continue
        missing.setdefault(from_module, []).append(name)
    if not missing:
        return module
    body = list(module.body)
    last_import = -1
    for index, stmt in enumerate(body):
        node = _import_of(stmt)
        if node is None:
            continue
        last_import = index
        if (
            isinstance(node, cst.ImportFrom)
            and not node.relative
            and node.module is not None
            and dotted(node.module) in missing
            and not isinstance(node.names, cst.ImportStar)
        ):
            names = missing.pop(dotted(node.module))
            body[index] = stmt.with_changes(body=[_extend(node, names)])
    if missing:
        statements = [_new_statement(m, sorted(names)) for m, names in sorted(missing.items())]
        if last_import >= 0:
            body[last_import + 1 : last_import + 1] = statements
        else:
            at = 1 if body and is_docstring(body[0]) else 0
            first = statements[0].with_changes(leading_lines=[cst.EmptyLine()] if at else [])
            statements[0] = first
            if at < len(body) and not body[at].leading_lines:
                body[at] = body[at].with_changes(leading_lines=[cst.EmptyLine()])
            body[at:at] = statements
    return module.with_changes(body=body)


def is_docstring(stmt: cst.CSTNode) -> bool:
    """Whether ``stmt`` is a docstring line (a lone string expression)."""
    return (
        isinstance(stmt, cst.SimpleStatementLine)
        and len(stmt.body) == 1
        and isinstance(stmt.body[0], cst.Expr)
        and isinstance(stmt.body[0].value, cst.SimpleString | cst.ConcatenatedString)
    )


def _comment(comma: cst.Comma | cst.MaybeSentinel) -> bool:
    if not isinstance(comma, cst.Comma):
        return False
    ws = comma.whitespace_after
    return isinstance(ws, cst.ParenthesizedWhitespace) and ws.first_line.comment is not None


def _drop_aliases(
    node: cst.ImportFrom, names: Sequence[cst.ImportAlias], drop: set[str]
) -> cst.ImportFrom | None:
    kept = [a for a in names if (dotted(a.asname.name) if a.asname else dotted(a.name)) not in drop]
    if not kept:
        return None
    if len(kept) == len(names):
        return node
    last_original = names[-1]
    if kept[-1] is not last_original:
        tail = kept[-1]
        if node.lpar is None:
            kept[-1] = tail.with_changes(comma=cst.MaybeSentinel.DEFAULT)
        elif isinstance(last_original.comma, cst.Comma) or _comment(tail.comma):
            closing = last_original.comma
            if isinstance(closing, cst.Comma) and isinstance(tail.comma, cst.Comma):
                ws = tail.comma.whitespace_after
                end = closing.whitespace_after
                if isinstance(ws, cst.ParenthesizedWhitespace) and isinstance(
                    end, cst.ParenthesizedWhitespace
                ):
                    ws = ws.with_changes(last_line=end.last_line)
                else:
                    ws = end
                kept[-1] = tail.with_changes(comma=tail.comma.with_changes(whitespace_after=ws))
        else:
            kept[-1] = tail.with_changes(comma=cst.MaybeSentinel.DEFAULT)
    return node.with_changes(names=kept)


def _aliases(node: cst.Import | cst.ImportFrom | None) -> list[cst.ImportAlias]:
    if node is None or isinstance(node.names, cst.ImportStar):
        return []
    return list(node.names)


def _drop_import(node: cst.Import, drop: set[str]) -> cst.Import | None:
    kept = [a for a in node.names if not (a.asname and dotted(a.asname.name) in drop)]
    if not kept:
        return None
    if len(kept) != len(node.names):
        kept[-1] = kept[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT)
    return node.with_changes(names=kept)


def remove_imports(module: cst.Module, names: Iterable[str]) -> tuple[cst.Module, set[str]]:
    """Remove the top-level imports of ``names`` that the module no longer uses.

    Comments on the lines above a removed statement move to the statement that follows;
    a remaining alias keeps its own comment.

    Args:
        module: The module to change.
        names: Local names that may have become unused.

    Returns:
        The module, and the names whose import was removed.
    """
    used = referenced_names(module)
    drop = {n for n in names if n not in used}
    if not drop:
        return module, set()
    body: list[cst.BaseStatement] = []
    carried: list[cst.EmptyLine] = []
    removed: set[str] = set()
    for original in module.body:
        stmt = original
        node = _import_of(stmt)
        new_node: cst.Import | cst.ImportFrom | None
        aliases = _aliases(node)
        if isinstance(node, cst.ImportFrom):
            new_node = _drop_aliases(node, aliases, drop) if aliases else node
        elif isinstance(node, cst.Import):
            new_node = _drop_import(node, drop)
        else:
            new_node = node
        if carried:
            own = leading_lines(stmt)
            if any(line.comment is None for line in own):
                carried = [line for line in carried if line.comment is not None]
            stmt = stmt.with_changes(leading_lines=[*carried, *own])
            carried = []
        if node is not None and new_node is not node:
            removed.update(dotted(a.asname.name) if a.asname else dotted(a.name) for a in aliases)
            if new_node is None:
                carried = leading_lines(stmt)
                continue
            stmt = stmt.with_changes(body=[new_node])
        body.append(stmt)
    carried = [line for line in carried if line.comment is not None]
    footer = [*carried, *module.footer] if carried else module.footer
    return module.with_changes(body=body, footer=footer), removed & drop


def leading_lines(stmt: cst.BaseStatement) -> list[cst.EmptyLine]:
    """The blank and comment lines above a statement."""
    if isinstance(stmt, cst.SimpleStatementLine | cst.BaseCompoundStatement):
        return list(stmt.leading_lines)
    return []
