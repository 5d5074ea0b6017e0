"""Small ``ast`` helpers of the hazard scan: names of call chains, loop paths, markers."""

from __future__ import annotations

import ast

__all__ = [
    "BUILTINS",
    "TIME_CALLS",
    "calls_in",
    "calls_something",
    "handed_back",
    "has_timeout",
    "is_entry",
    "is_main_guard",
    "is_temp",
    "last_part",
    "names",
    "dotted_name",
    "straight",
]

TEMP_DELETE = frozenset({"NamedTemporaryFile", "TemporaryDirectory"})
TIME_CALLS = frozenset({"monotonic", "time", "perf_counter", "now", "utcnow", "sleep"})
BUILTINS = frozenset(
    {
        "len", "isinstance", "issubclass", "str", "int", "float", "bool", "bytes", "list",
        "dict", "set", "tuple", "frozenset", "range", "enumerate", "zip", "map", "filter",
        "sorted", "reversed", "min", "max", "sum", "any", "all", "abs", "round", "repr",
        "hash", "id", "type", "getattr", "setattr", "hasattr", "delattr", "iter", "next",
        "super", "print", "format", "vars", "callable", "object", "divmod", "ord", "chr",
        "hex", "bin", "oct", "slice", "property", "staticmethod", "classmethod", "ascii",
        "bytearray", "memoryview", "complex", "pow", "aiter", "anext", "locals", "globals",
    }
)  # fmt: skip


def last_part(name: str) -> str:
    return name.rpartition(".")[2]


def straight(body: list[ast.stmt]) -> list[ast.stmt]:
    """The statements of a loop body on its normal path: into if/with/try, not handlers."""
    out: list[ast.stmt] = []
    for stmt in body:
        out.append(stmt)
        if isinstance(stmt, ast.If):
            out.extend(straight(stmt.body))
            out.extend(straight(stmt.orelse))
        elif isinstance(stmt, ast.With | ast.AsyncWith):
            out.extend(straight(stmt.body))
        elif isinstance(stmt, ast.Try | ast.TryStar):
            out.extend(straight(stmt.body))
            out.extend(straight(stmt.orelse))
    return out


def calls_in(expr: ast.expr) -> list[str]:
    """The names of the calls in ``expr``, clocks left out."""
    return [
        name
        for node in ast.walk(expr)
        if isinstance(node, ast.Call)
        and last_part(name := dotted_name(node.func)) not in TIME_CALLS
        and name not in BUILTINS
    ]


def calls_something(expr: ast.expr) -> bool:
    for node in ast.walk(expr):
        if isinstance(node, ast.Call) and last_part(dotted_name(node.func)) not in TIME_CALLS:
            return True
    return False


def names(expr: ast.AST) -> set[str]:
    return {n.id for n in ast.walk(expr) if isinstance(n, ast.Name)}


def handed_back(value: ast.expr) -> set[str]:
    """Names a ``return`` hands to the caller as they are (``path``, ``f.name``, ``Path(p)``)."""
    if isinstance(value, ast.Name):
        return {value.id}
    if isinstance(value, ast.Tuple | ast.List):
        out: set[str] = set()
        for elt in value.elts:
            out |= handed_back(elt)
        return out
    if isinstance(value, ast.Attribute) and isinstance(value.value, ast.Name):
        return {value.value.id}
    if isinstance(value, ast.Call) and last_part(dotted_name(value.func)) in {
        "Path",
        "str",
        "PurePath",
    }:
        return handed_back(value.args[0]) if value.args else set()
    return set()


def has_timeout(call: ast.Call) -> bool:
    for kw in call.keywords:
        if kw.arg is None:
            return True  # **kwargs may carry one
        if kw.arg == "timeout":
            return not (isinstance(kw.value, ast.Constant) and kw.value.value is None)
    return False


def is_temp(call: ast.Call) -> bool:
    last = last_part(dotted_name(call.func))
    if last in {"mkstemp", "mkdtemp"}:
        return True
    if last in TEMP_DELETE:
        for kw in call.keywords:
            if kw.arg == "delete" and isinstance(kw.value, ast.Constant):
                return kw.value.value is False
    return False


def dotted_name(node: ast.AST) -> str:
    """``a.b.c`` for a Name/Attribute chain; a call inside the chain becomes ``f()``."""
    parts: list[str] = []
    while True:
        if isinstance(node, ast.Attribute):
            parts.append(node.attr)
            node = node.value
        elif isinstance(node, ast.Call):
            inner = dotted_name(node.func)
            if not inner:
                return ""
            parts.append(inner + "()")
            break
        elif isinstance(node, ast.Name):
            parts.append(node.id)
            break
        else:
            return ""
    return ".".join(reversed(parts))


def is_main_guard(stmt: ast.stmt) -> bool:
    if not isinstance(stmt, ast.If) or not isinstance(stmt.test, ast.Compare):
        return False
    test = stmt.test
    names = [test.left, *test.comparators]
    return any(isinstance(n, ast.Name) and n.id == "__name__" for n in names) and any(
        isinstance(n, ast.Constant) and n.value == "__main__" for n in names
    )


def is_entry(node: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    if node.name in {"main", "_main", "cli", "run_cli"}:
        return True
    for dec in node.decorator_list:
        name = dotted_name(dec.func if isinstance(dec, ast.Call) else dec)
        if last_part(name) in {"command", "group", "callback"} or name.startswith(
            ("click.", "typer.")
        ):
            return True
    return False
