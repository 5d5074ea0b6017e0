"""Small ``ast`` helpers of the hazard scan: names of call chains, loop paths, markers."""

from __future__ import annotations

import ast

from rescope.audit._scan import dotted

__all__ = [
    "BUILTINS",
    "TEMP_NAMES",
    "TIME_CALLS",
    "calls_in",
    "dir_of",
    "handed_back",
    "has_timeout",
    "is_entry",
    "is_main_guard",
    "is_temp",
    "last_part",
    "makes_path",
    "names",
    "parent_of",
    "path_of",
    "removed_names",
    "straight",
]

# Calls that give the same path as their one argument: `Path(p)`, `str(p)`, `os.fspath(p)`.
PATH_WRAPPERS = frozenset({"Path", "PurePath", "str", "fspath", "abspath", "realpath"})
TEMP_DELETE = frozenset({"NamedTemporaryFile", "TemporaryDirectory"})
# What :func:`is_temp` can accept, to skip it on every other call.
TEMP_NAMES = frozenset({"mkstemp", "mkdtemp", *TEMP_DELETE})
# Calls that make a path from a path (see :func:`dir_of`, :func:`path_of`), or a temp path.
_PATH_CALLS = frozenset({"join", "joinpath", *PATH_WRAPPERS, *TEMP_NAMES})
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
        and last_part(name := dotted(node.func)) not in TIME_CALLS
        and name not in BUILTINS
    ]


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
    if isinstance(value, ast.Call) and last_part(dotted(value.func)) in {
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
    last = last_part(dotted(call.func))
    if last in {"mkstemp", "mkdtemp"}:
        return True
    if last in TEMP_DELETE:
        for kw in call.keywords:
            if kw.arg == "delete" and isinstance(kw.value, ast.Constant):
                return kw.value.value is False
    return False


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
        name = dotted(dec.func if isinstance(dec, ast.Call) else dec)
        if last_part(name) in {"command", "group", "callback"} or name.startswith(
            ("click.", "typer.")
        ):
            return True
    return False


def path_of(expr: ast.expr) -> ast.expr:
    """``expr`` without calls that keep its path as it is (``Path(p)``, ``str(p)``)."""
    while (
        isinstance(expr, ast.Call)
        and len(expr.args) == 1
        and not expr.keywords
        and last_part(dotted(expr.func)) in PATH_WRAPPERS
    ):
        expr = expr.args[0]
    return expr


def parent_of(expr: ast.expr) -> str:
    """The variable ``p`` when ``expr`` is the directory holding it, else ``""``.

    ``os.path.dirname(p)``, ``Path(p).parent`` and ``p.parent`` are that directory.
    """
    if isinstance(expr, ast.Attribute) and expr.attr == "parent":
        inner = path_of(expr.value)
    elif (
        isinstance(expr, ast.Call)
        and len(expr.args) == 1
        and last_part(dotted(expr.func)) == "dirname"
    ):
        inner = path_of(expr.args[0])
    else:
        return ""
    return inner.id if isinstance(inner, ast.Name) else ""


def dir_of(expr: ast.expr) -> ast.expr | None:
    """The directory a path is made directly inside, as written, or ``None``.

    ``os.path.join(d, "x")``, ``Path(d) / "x"``, ``Path(d, "x")`` and
    ``Path(d).joinpath("x")`` are made inside ``d`` (a name or, say, ``tempfile.mkdtemp()``);
    so is a temp file made with ``dir=d``. A name with a ``/`` in it is a level deeper.
    """
    expr = path_of(expr)
    if isinstance(expr, ast.Subscript):
        expr = expr.value  # mkstemp(dir=d)[1]
    if isinstance(expr, ast.BinOp) and isinstance(expr.op, ast.Div):
        parent, children = path_of(expr.left), [expr.right]
    elif isinstance(expr, ast.Call):
        last = last_part(dotted(expr.func))
        if last in {"join", "Path", "PurePath"} and len(expr.args) == 2:  # noqa: PLR2004
            parent, children = path_of(expr.args[0]), expr.args[1:]
        elif last == "joinpath" and len(expr.args) == 1 and isinstance(expr.func, ast.Attribute):
            parent, children = path_of(expr.func.value), expr.args
        else:
            where = [k.value for k in expr.keywords if k.arg == "dir"]
            return path_of(where[0]) if where and last in TEMP_NAMES else None
    else:
        return None
    nested = any(isinstance(c, ast.Constant) and "/" in str(c.value) for c in children)
    if nested or not isinstance(parent, ast.Name | ast.Call):
        return None
    return parent


def makes_path(value: ast.expr) -> bool:
    """Whether ``value`` may make a path from a path, or a temp path: a cheap first look."""
    node = value.value if isinstance(value, ast.Subscript) else value
    if isinstance(node, ast.Call):
        func = node.func
        if isinstance(func, ast.Attribute):
            return func.attr in _PATH_CALLS
        return isinstance(func, ast.Name) and func.id in _PATH_CALLS
    return isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div)


def removed_names(path: ast.expr) -> set[str]:
    """The names removing ``path`` cleans up, with ``p/..`` when it is ``dirname(p)``."""
    parent = parent_of(path)
    return names(path) | {f"{parent}/.."} if parent else names(path)
