"""Phase ``container``, in a service module: the getter pair becomes a deprecated shim.

``_x = None`` and the ``global`` getter that fills it go; a getter of the same name and
signature stays, warns that it is deprecated (naming the type to inject instead) and
resolves the service from the application's container, so scripts and workers that
still call it keep working and share the app's instance.
"""

from __future__ import annotations

import ast

import libcst as cst

from rescope.migrate._imports import (
    is_docstring,
    leading_lines,
    referenced_names,
    remove_imports,
)

__all__ = ["can_shim", "shim_module"]


def _holder_names(holders: tuple[str, ...], module: str) -> set[str]:
    return {h.removeprefix(f"{module}.") for h in holders if h.startswith(f"{module}.")}


def _builds_only(fn: ast.AST, holder: str, cls: str, others: set[str]) -> bool:
    """Whether ``fn`` assigns ``holder`` only ``cls()`` and the other holders only constants."""
    seen = False
    for node in ast.walk(fn):
        if not isinstance(node, ast.Assign | ast.AnnAssign):
            continue
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        for target in targets:
            if not isinstance(target, ast.Name):
                continue
            value = node.value
            if target.id == holder:
                if not (
                    isinstance(value, ast.Call)
                    and isinstance(value.func, ast.Name)
                    and value.func.id == cls
                    and not value.args
                    and not value.keywords
                ):
                    return False
                seen = True
            elif target.id in others and not isinstance(value, ast.Constant):
                return False
    return seen


def can_shim(tree: ast.Module, getter: str, cls: str, holders: set[str], holder: str) -> str:
    """Why the getter pair cannot become a shim (``""`` when it can).

    Args:
        tree: The service module.
        getter: The getter's name.
        cls: The class it builds.
        holders: The module globals it keeps state in.
        holder: The global that holds the instance.
    """
    fn = next(
        (
            n
            for n in tree.body
            if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef) and n.name == getter
        ),
        None,
    )
    if fn is None:
        return f"`{getter}` is not a module-level function"
    if fn.args.args or fn.args.kwonlyargs or fn.args.vararg or fn.args.kwarg:
        return f"`{getter}` takes arguments"
    if not _builds_only(fn, holder, cls, holders - {holder}):
        return f"`{getter}` does more than `{holder} = {cls}()`: register a factory by hand"
    for node in tree.body:
        if node is fn or _assigns_only(node, holders):
            continue
        if any(isinstance(n, ast.Name) and n.id in holders for n in ast.walk(node)):
            return f"code other than `{getter}` uses `{min(holders)}`"
    return ""


def _assigns_only(node: ast.stmt, names: set[str]) -> bool:
    if isinstance(node, ast.Assign):
        targets = node.targets
    elif isinstance(node, ast.AnnAssign):
        targets = [node.target]
    else:
        return False
    return all(isinstance(t, ast.Name) and t.id in names for t in targets)


def _shim_body(getter: str, cls: str, registry_module: str) -> list[cst.BaseStatement]:
    text = (
        f'"""Deprecated: inject `{cls}` instead; this resolves it from the app container."""\n'
        "warnings.warn(\n"
        f'    "{getter}() is deprecated: inject {cls} (rescope) instead",\n'
        "    DeprecationWarning,\n"
        "    stacklevel=2,\n"
        ")\n"
        f"from {registry_module} import app_container\n"
        "\n"
        f"return app_container().get({cls})\n"
    )
    body: list[cst.BaseStatement] = list(cst.parse_module(text).body)
    body[-1] = body[-1].with_changes(leading_lines=[cst.EmptyLine(indent=False)])
    return body


def _is_holder_line(stmt: cst.BaseStatement, holders: set[str]) -> bool:
    if not isinstance(stmt, cst.SimpleStatementLine):
        return False
    for small in stmt.body:
        if isinstance(small, cst.Assign):
            targets = [t.target for t in small.targets]
        elif isinstance(small, cst.AnnAssign):
            targets = [small.target]
        else:
            return False
        if not all(isinstance(t, cst.Name) and t.value in holders for t in targets):
            return False
    return True


def _with_warnings_import(body: list[cst.BaseStatement]) -> list[cst.BaseStatement]:
    for stmt in body:
        if isinstance(stmt, cst.SimpleStatementLine):
            for small in stmt.body:
                if isinstance(small, cst.Import) and any(
                    isinstance(a.name, cst.Name) and a.name.value == "warnings" for a in small.names
                ):
                    return body
    new = cst.parse_statement("import warnings\n")
    plain = [
        (index, cst.Module([]).code_for_node(stmt.body[0]))
        for index, stmt in enumerate(body)
        if isinstance(stmt, cst.SimpleStatementLine) and isinstance(stmt.body[0], cst.Import)
    ]
    after = [index for index, code in plain if code > "import warnings"]
    if after or plain:
        index = after[0] if after else plain[-1][0] + 1
        if after:
            stmt = body[index]
            new = new.with_changes(leading_lines=leading_lines(stmt))
            body[index] = stmt.with_changes(leading_lines=[])
        body.insert(index, new)
        return body
    for index, stmt in enumerate(body):
        if isinstance(stmt, cst.SimpleStatementLine) and isinstance(stmt.body[0], cst.ImportFrom):
            moved = new.with_changes(leading_lines=leading_lines(stmt))
            body[index] = stmt.with_changes(leading_lines=[])
            body.insert(index, moved)
            return body
    at = 1 if body and is_docstring(body[0]) else 0
    body.insert(at, new.with_changes(leading_lines=[cst.EmptyLine()] if at else []))
    return body


def shim_module(
    module: cst.Module, shims: dict[str, tuple[str, set[str]]], registry_module: str
) -> cst.Module:
    """Turn each getter pair in ``module`` into a deprecated shim.

    Args:
        module: The service module.
        shims: Getter name -> (class name, module globals that go with it).
        registry_module: Dotted name of the generated registry module.
    """
    holders = set().union(*(names for _, names in shims.values()))
    body: list[cst.BaseStatement] = []
    carried: list[cst.EmptyLine] = []
    dropped: set[str] = set()
    for stmt in module.body:
        if _is_holder_line(stmt, holders):
            carried = [*carried, *leading_lines(stmt)]
            dropped.update(referenced_names(cst.Module([stmt])))
            continue
        new = stmt
        if isinstance(stmt, cst.FunctionDef) and stmt.name.value in shims:
            cls, _ = shims[stmt.name.value]
            returns = stmt.returns or cst.Annotation(cst.Name(cls))
            block = stmt.body.with_changes(body=_shim_body(stmt.name.value, cls, registry_module))
            new = stmt.with_changes(body=block, returns=returns)
        if carried:
            own = [line for line in leading_lines(new) if line.comment is not None]
            new = new.with_changes(leading_lines=[*carried, *own])
            carried = []
        body.append(new)
    module = module.with_changes(body=_with_warnings_import(body))
    return remove_imports(module, dropped - holders)[0]
