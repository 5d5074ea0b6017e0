"""Build :class:`ModuleFacts` from a module's source with ``ast`` (the code is never run)."""

from __future__ import annotations

import ast
import re
from collections.abc import Callable, Iterable, Sequence

from rescope.audit._facts import (
    ClassFacts,
    FunctionFacts,
    ModuleAssign,
    ModuleFacts,
    Param,
    ParseProblem,
    Value,
)
from rescope.audit._scan import (
    FunctionScanner,
    Where,
    dotted,
    import_map,
    resolve_relative,
    value_of,
)

__all__ = ["Collector", "extract", "is_test_path"]

_SUPPRESS = re.compile(r"#\s*rescope:\s*ignore(?:\[([A-Za-z0-9_,\s]*)\])?")
_ROUTE_METHODS = frozenset(
    {
        "get",
        "post",
        "put",
        "delete",
        "patch",
        "options",
        "head",
        "trace",
        "websocket",
        "api_route",
        "route",
        "websocket_route",
        "api_websocket_route",
    }
)
_THREAD_MARKERS = ("import threading", "from threading", "threading.Thread")
# Records are built with tuple.__new__ (no Python-level NamedTuple __new__): hot paths.
_new = tuple.__new__


def is_test_path(path: str) -> bool:
    """Tell whether a relative path is test code (``tests/``, ``test_*.py``, ``conftest.py``)."""
    parts = path.replace("\\", "/").split("/")
    name = parts[-1]
    return (
        name == "conftest.py"
        or name.startswith("test_")
        or name.endswith("_test.py")
        or any(p in {"tests", "test", "testing"} for p in parts[:-1])
    )


class _Text:
    """The source text of a node: a slice of its line when it is one ASCII line (where
    ``col_offset``, a UTF-8 byte offset, is also a character offset), else ``ast.unparse``.
    """  # noqa: D205

    __slots__ = ("_lines", "_source")

    def __init__(self, source: str) -> None:
        self._source = source
        self._lines: list[str] | None = None

    def __call__(self, node: ast.expr) -> str:
        if node.lineno == node.end_lineno and node.end_col_offset is not None:
            if self._lines is None:
                source = self._source
                lone_cr = "\r" in source and source.count("\r") != source.count("\r\n")
                self._lines = [] if lone_cr else source.split("\n")
            if node.lineno <= len(self._lines):
                line = self._lines[node.lineno - 1]
                if line.isascii():
                    return line[node.col_offset : node.end_col_offset]
        return ast.unparse(node)


def _annotation(node: ast.expr | None, text: Callable[[ast.expr], str]) -> str:
    if node is None:
        return ""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return dotted(node) or text(node)


def _params(args: ast.arguments, text: Callable[[ast.expr], str]) -> tuple[tuple[Param, ...], int]:
    positional = [*args.posonlyargs, *args.args]
    defaults: list[ast.expr | None] = [None] * (len(positional) - len(args.defaults))
    defaults += list(args.defaults)
    pairs = [
        *zip(positional, defaults, strict=True),
        *zip(args.kwonlyargs, args.kw_defaults, strict=False),
    ]
    params: list[Param] = []
    required = 0
    for arg, default in pairs:
        depends = ""
        if isinstance(default, ast.Call) and dotted(default.func).endswith("Depends"):  # noqa: SIM102
            if default.args:
                depends = dotted(default.args[0])
        annotation = _annotation(arg.annotation, text)
        if arg.annotation is not None and "Depends(" in annotation:
            match = re.search(r"Depends\(\s*([\w.]+)", annotation)
            depends = depends or (match.group(1) if match else "")
        params.append(_new(Param, (arg.arg, annotation, depends)))
        if default is None and arg.arg not in {"self", "cls"}:
            required += 1
    return tuple(params), required


def _route(decorators: list[ast.expr]) -> str:
    for dec in decorators:
        if not isinstance(dec, ast.Call) or not isinstance(dec.func, ast.Attribute):
            continue
        if dec.func.attr not in _ROUTE_METHODS or not dotted(dec.func.value):
            continue
        path = dec.args[0] if dec.args else None
        for kw in dec.keywords:
            if kw.arg == "path":
                path = kw.value
        if isinstance(path, ast.Constant) and isinstance(path.value, str):
            return f"{dec.func.attr.upper()} {path.value}"
    return ""


def _decorator_names(
    decorators: list[ast.expr], text: Callable[[ast.expr], str]
) -> tuple[tuple[str, ...], tuple[tuple[str, ...], ...]]:
    names: list[str] = []
    all_args: list[tuple[str, ...]] = []
    for dec in decorators:
        node = dec.func if isinstance(dec, ast.Call) else dec
        names.append(dotted(node))
        args: tuple[str, ...] = ()
        if isinstance(dec, ast.Call):
            args = tuple(
                f"{kw.arg}={text(kw.value)}" if kw.arg else text(kw.value) for kw in dec.keywords
            ) + tuple(text(a) for a in dec.args)
        all_args.append(args)
    return tuple(names), tuple(all_args)


def _function(
    fn: ast.FunctionDef | ast.AsyncFunctionDef, qualname: str, kind: str, where: Where
) -> FunctionFacts:
    decorators, decorator_args = _decorator_names(fn.decorator_list, where.text)
    if kind == "method":
        if "classmethod" in decorators:
            kind = "classmethod"
        elif "staticmethod" in decorators:
            kind = "staticmethod"
    scanner = FunctionScanner(
        fn,
        guarded_prefix="cls" if kind == "classmethod" or fn.name == "__new__" else "",
        where=where,
    )
    scanner.scan()
    for local, target in scanner.imports.items():
        where.imports.setdefault(local, target)
    params, required = _params(fn.args, where.text)
    if kind in {"method", "classmethod"} and params:
        required = max(0, required - (params[0].name not in {"self", "cls"}))
    return _new(  # the fields in order, without running the NamedTuple's Python __new__
        FunctionFacts,
        (
            fn.name,
            qualname,
            fn.lineno,
            isinstance(fn, ast.AsyncFunctionDef),
            kind,
            decorators,
            decorator_args,
            params,
            required,
            frozenset(scanner.globals),
            frozenset(scanner.checked),
            tuple(scanner.check_lines),
            tuple(scanner.writes),
            tuple(scanner.awaits),
            tuple(scanner.calls),
            tuple(scanner.returns),
            tuple(scanner.self_inits),
            frozenset(scanner.mutations),
            frozenset(scanner.appends),
            tuple(scanner.refs),
            tuple(scanner.resets),
            tuple(scanner.patches),
            _route(fn.decorator_list),
            fn.end_lineno or fn.lineno,
        ),
    )


def _class(node: ast.ClassDef, where: Where) -> ClassFacts:
    decorators, _ = _decorator_names(node.decorator_list, where.text)
    metaclass = ""
    for kw in node.keywords:
        if kw.arg == "metaclass":
            metaclass = dotted(kw.value)
    attrs: list[tuple[str, int, Value]] = []
    methods: list[FunctionFacts] = []
    for stmt in _flatten(node.body):
        if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef):
            methods.append(_function(stmt, f"{node.name}.{stmt.name}", "method", where))
        elif isinstance(stmt, ast.Assign | ast.AnnAssign):
            targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
            for target in targets:
                if isinstance(target, ast.Name):
                    attrs.append((target.id, stmt.lineno, value_of(stmt.value)))  # noqa: PERF401
    return ClassFacts(
        name=node.name,
        line=node.lineno,
        bases=tuple(dotted(b) or where.text(b) for b in node.bases),
        decorators=decorators,
        metaclass=metaclass,
        attrs=tuple(attrs),
        methods=tuple(methods),
    )


def _flatten(body: list[ast.stmt]) -> Iterable[ast.stmt]:
    """Statements of a block, descending into if/try/with (still the same scope)."""
    for stmt in body:
        if isinstance(stmt, ast.If):
            if not _is_main_guard(stmt.test):  # a script's body defines nothing to import
                yield from _flatten(stmt.body)
            yield from _flatten(stmt.orelse)
        elif isinstance(stmt, ast.Try | ast.TryStar):
            yield from _flatten(stmt.body)
            for handler in stmt.handlers:
                yield from _flatten(handler.body)
            yield from _flatten(stmt.orelse)
            yield from _flatten(stmt.finalbody)
        elif isinstance(stmt, ast.With):
            yield from _flatten(stmt.body)
        else:
            yield stmt


def _is_main_guard(test: ast.expr) -> bool:
    """``__name__ == "__main__"`` (either way round, possibly ``and``-ed with more)."""
    if isinstance(test, ast.BoolOp) and isinstance(test.op, ast.And):
        return any(_is_main_guard(value) for value in test.values)
    if not isinstance(test, ast.Compare) or len(test.ops) != 1:
        return False
    if not isinstance(test.ops[0], ast.Eq):
        return False
    sides: set[object] = set()
    for side in (test.left, test.comparators[0]):
        if isinstance(side, ast.Name):
            sides.add("name" if side.id == "__name__" else "")
        elif isinstance(side, ast.Constant):
            sides.add(side.value)
    return sides == {"name", "__main__"}


def _suppressions(source: str) -> dict[int, frozenset[str]]:
    out: dict[int, frozenset[str]] = {}
    if "rescope:" not in source:
        return out
    for number, line in enumerate(source.splitlines(), start=1):
        match = _SUPPRESS.search(line)
        if match:
            codes = match.group(1)
            out[number] = frozenset(
                c.strip().upper() for c in (codes or "").split(",") if c.strip()
            )
    return out


Collector = Callable[[ast.Module, str], object]


def _fill(facts: ModuleFacts, tree: ast.Module, source: str) -> None:  # noqa: C901
    """Set the module-level facts: imports, names, assignments, functions and classes."""
    module, is_package = facts.module, facts.is_package
    facts.suppressions = _suppressions(source)
    facts.uses_threads = any(marker in source for marker in _THREAD_MARKERS)
    imports: dict[str, str] = {}
    where = Where(module, is_package, imports, _Text(source))
    stars: list[str] = []
    names: set[str] = set()
    assigns: list[ModuleAssign] = []
    functions: list[FunctionFacts] = []
    classes: list[ClassFacts] = []
    for stmt in _flatten(tree.body):
        if isinstance(stmt, ast.Import | ast.ImportFrom):
            imports.update(import_map(stmt, module=module, is_package=is_package))
            if isinstance(stmt, ast.ImportFrom) and any(a.name == "*" for a in stmt.names):
                stars.append(resolve_relative(module, is_package, stmt.level, stmt.module))
        elif isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef):
            names.add(stmt.name)
            functions.append(_function(stmt, stmt.name, "function", where))
        elif isinstance(stmt, ast.ClassDef):
            names.add(stmt.name)
            classes.append(_class(stmt, where))
        elif isinstance(stmt, ast.Assign | ast.AnnAssign):
            targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
            annotation = (
                _annotation(stmt.annotation, where.text) if isinstance(stmt, ast.AnnAssign) else ""
            )
            for target in targets:
                for node in ast.walk(target):
                    if isinstance(node, ast.Name):
                        names.add(node.id)
                if isinstance(target, ast.Name):
                    assigns.append(
                        ModuleAssign(target.id, stmt.lineno, value_of(stmt.value), annotation)
                    )
    names.update(imports)
    facts.imports = imports
    facts.star_imports = tuple(stars)
    facts.names = frozenset(names)
    facts.assigns = tuple(assigns)
    facts.functions = tuple(functions)
    facts.classes = tuple(classes)


def extract(
    data: bytes,
    *,
    path: str,
    module: str,
    is_package: bool,
    collectors: Sequence[tuple[str, Collector]] = (),
) -> ModuleFacts:
    """Extract the facts of one module from its raw bytes.

    Args:
        data: The file's content.
        path: Its path relative to the audit root, with ``/`` separators.
        module: Its dotted module name.
        is_package: Whether it is a package's ``__init__.py``.
        collectors: ``(code, collect)`` pairs of rules that gather their own facts from the
            tree; each result is stored in ``ModuleFacts.extra[code]``.
    """
    facts = ModuleFacts(
        path=path,
        module=module,
        is_package=is_package,
        lines=data.count(b"\n") + (not data.endswith(b"\n") and bool(data)),
        is_test=is_test_path(path),
    )
    try:
        source = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        facts.problem = ParseProblem(line, 0, f"not UTF-8 ({exc.reason} at byte {exc.start})")
        return facts
    try:
        tree = ast.parse(source, filename=path)
    except (SyntaxError, ValueError) as exc:
        line = getattr(exc, "lineno", None) or 1
        col = getattr(exc, "offset", None) or 0
        facts.problem = ParseProblem(line, col, getattr(exc, "msg", str(exc)))
        return facts
    except (RecursionError, MemoryError):
        facts.problem = ParseProblem(1, 0, "nested too deeply to parse (generated code?)")
        return facts
    try:
        _fill(facts, tree, source)
    except RecursionError:
        # Extraction follows nesting (call chains, blocks): absurd depth is generated code.
        facts.problem = ParseProblem(1, 0, "nested too deeply to analyse (generated code?)")
        return facts
    done: dict[int, object] = {}  # several rules may share one collector: run it once
    for code, collect in collectors:
        key = id(collect)
        if key not in done:
            done[key] = collect(tree, source)
        facts.extra[code] = done[key]
    return facts
