"""Build :class:`ModuleFacts` from a module's source with ``ast`` (the code is never run)."""

from __future__ import annotations

import ast
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from rescope.audit._facts import (
    Call,
    ClassFacts,
    FunctionFacts,
    GlobalWrite,
    ModuleAssign,
    ModuleFacts,
    Param,
    ParseProblem,
    Patch,
    Reset,
    Value,
)

__all__ = ["Collector", "dotted", "extract", "import_map", "is_test_path", "resolve_relative"]

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
_MUTATORS = frozenset(
    {"append", "add", "update", "setdefault", "extend", "insert", "__setitem__", "appendleft"}
)
_KEYED_MUTATORS = frozenset({"update", "setdefault", "__setitem__", "pop", "popitem"})
_EMPTY_CONTAINERS = frozenset(
    {
        "dict",
        "list",
        "set",
        "defaultdict",
        "collections.defaultdict",
        "OrderedDict",
        "collections.OrderedDict",
        "deque",
        "collections.deque",
        "WeakValueDictionary",
        "weakref.WeakValueDictionary",
        "WeakKeyDictionary",
    }
)
_THREAD_MARKERS = ("import threading", "from threading", "threading.Thread")


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


def dotted(node: ast.AST) -> str:
    """Return ``a.b.c`` for a Name/Attribute chain, ``""`` for anything else."""
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
        return ".".join(reversed(parts))
    if isinstance(node, ast.Call):
        inner = dotted(node.func)
        if inner:
            parts.append(inner + "()")
            return ".".join(reversed(parts))
    return ""


def value_of(node: ast.AST | None) -> Value:  # noqa: C901, PLR0911
    """Classify an expression for the rules (None, literal, container, call, ...)."""
    awaited = False
    if isinstance(node, ast.Await):
        awaited, node = True, node.value
    if node is None:
        return Value("none")
    if isinstance(node, ast.Constant):
        if node.value is None:
            return Value("none")
        if isinstance(node.value, bool):
            return Value("bool")
        return Value("literal")
    if isinstance(node, ast.Dict | ast.List | ast.Set | ast.Tuple | ast.DictComp | ast.ListComp):
        return Value("container")
    if isinstance(node, ast.Call):
        callee = dotted(node.func)
        if callee in _EMPTY_CONTAINERS:
            return Value("container", callee)
        args = [*node.args, *(k.value for k in node.keywords)]
        arg_calls = tuple(
            name for a in args if isinstance(a, ast.Call) and (name := dotted(a.func))
        )
        literal = all(isinstance(a, ast.Constant) for a in args)
        return Value("call", callee, arg_calls, awaited, len(args), literal)
    if isinstance(node, ast.Name):
        return Value("name", node.id, awaited=awaited)
    if isinstance(node, ast.BoolOp | ast.IfExp):
        # `x or X()`: the call is what ends up stored.
        for part in node.values if isinstance(node, ast.BoolOp) else (node.body, node.orelse):
            v = value_of(part)
            if v.kind == "call":
                return v
    return Value("other", awaited=awaited)


def _annotation(node: ast.AST | None) -> str:
    if node is None:
        return ""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return dotted(node) or ast.unparse(node)


def _params(args: ast.arguments) -> tuple[tuple[Param, ...], int]:
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
        annotation = _annotation(arg.annotation)
        if arg.annotation is not None and "Depends(" in annotation:
            match = re.search(r"Depends\(\s*([\w.]+)", annotation)
            depends = depends or (match.group(1) if match else "")
        params.append(Param(arg.arg, annotation, depends))
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
    decorators: list[ast.expr],
) -> tuple[tuple[str, ...], tuple[tuple[str, ...], ...]]:
    names: list[str] = []
    all_args: list[tuple[str, ...]] = []
    for dec in decorators:
        node = dec.func if isinstance(dec, ast.Call) else dec
        names.append(dotted(node))
        args: tuple[str, ...] = ()
        if isinstance(dec, ast.Call):
            args = tuple(
                f"{kw.arg}={ast.unparse(kw.value)}" if kw.arg else ast.unparse(kw.value)
                for kw in dec.keywords
            ) + tuple(ast.unparse(a) for a in dec.args)
        all_args.append(args)
    return tuple(names), tuple(all_args)


@dataclass(slots=True)
class _Where:
    module: str
    is_package: bool
    imports: dict[str, str]


class _FunctionScanner:
    """One pass over a function body collecting calls, checks, writes, resets and patches."""

    def __init__(
        self, fn: ast.FunctionDef | ast.AsyncFunctionDef, *, guarded_prefix: str, where: _Where
    ) -> None:
        self.fn = fn
        self.where = where
        self.guarded_prefix = guarded_prefix  # "cls" in classmethods: `cls._x` counts as global
        self.globals: set[str] = set()
        self.checked: set[str] = set()
        self.check_lines: list[int] = []
        self.writes: list[GlobalWrite] = []
        self.awaits: list[int] = []
        self.calls: list[Call] = []
        self.returns: list[Value] = []
        self.self_inits: list[tuple[str, str]] = []
        self.mutations: set[str] = set()
        self.appends: set[str] = set()
        self.refs: list[str] = []
        self.resets: list[Reset] = []
        self.patches: list[Patch] = []
        self.imports: dict[str, str] = {}
        self.locals: dict[str, Value] = {}

    def scan(self) -> None:
        for node in ast.walk(self.fn):
            if isinstance(node, ast.Global):
                self.globals.update(node.names)
        for dec in self.fn.decorator_list:
            self._expr(dec)
        self._stmts(self.fn.body, locked=False)

    def _guard_name(self, node: ast.AST) -> str:
        if isinstance(node, ast.Name):
            return node.id
        name = dotted(node)
        if self.guarded_prefix and name.startswith(self.guarded_prefix + "."):
            return name
        return ""

    def _stmts(self, body: Iterable[ast.stmt], *, locked: bool) -> None:
        for stmt in body:
            self._stmt(stmt, locked=locked)

    def _stmt(self, stmt: ast.stmt, *, locked: bool) -> None:  # noqa: C901, PLR0911, PLR0912
        if isinstance(stmt, ast.Assign | ast.AnnAssign | ast.AugAssign):
            targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
            value = value_of(stmt.value)
            if isinstance(stmt, ast.AugAssign):
                value = Value("other")
            for target in targets:
                self._target(target, value, stmt.lineno, locked=locked)
            if stmt.value is not None:
                self._expr(stmt.value)
            return
        if isinstance(stmt, ast.If | ast.While):
            self._test(stmt.test)
            self._expr(stmt.test)
            self._stmts(stmt.body, locked=locked)
            self._stmts(stmt.orelse, locked=locked)
            return
        if isinstance(stmt, ast.With | ast.AsyncWith):
            is_lock = False
            for item in stmt.items:
                name = dotted(item.context_expr).lower()
                is_lock = is_lock or "lock" in name or "semaphore" in name
                self._expr(item.context_expr)
            if isinstance(stmt, ast.AsyncWith):
                self.awaits.append(stmt.lineno)
            self._stmts(stmt.body, locked=locked or is_lock)
            return
        if isinstance(stmt, ast.Delete):
            for target in stmt.targets:
                if isinstance(target, ast.Subscript):
                    owner = dotted(target.value)
                    if owner.startswith("self.") and owner.count(".") == 1:
                        self.mutations.add(owner[5:])
            return
        if isinstance(stmt, ast.Return):
            if stmt.value is not None:
                self.returns.append(value_of(stmt.value))
                self._expr(stmt.value)
            return
        if isinstance(stmt, ast.Import | ast.ImportFrom):
            self.imports.update(
                import_map(stmt, module=self.where.module, is_package=self.where.is_package)
            )
            return
        if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            for dec in stmt.decorator_list:
                self._expr(dec)
            self._stmts(stmt.body, locked=locked)
            return
        for child in ast.iter_child_nodes(stmt):
            if isinstance(child, ast.stmt):
                self._stmt(child, locked=locked)
            elif isinstance(child, ast.expr):
                self._expr(child)
            elif isinstance(child, ast.ExceptHandler | ast.match_case):
                self._stmts(child.body, locked=locked)

    def _test(self, test: ast.expr) -> None:
        if not self.globals and not self.guarded_prefix:
            return
        for node in ast.walk(test):
            name = self._guard_name(node) if isinstance(node, ast.Name | ast.Attribute) else ""
            if name and (name in self.globals or "." in name):
                self.checked.add(name)
                self.check_lines.append(test.lineno)

    def _target(self, target: ast.expr, value: Value, line: int, *, locked: bool) -> None:  # noqa: C901, PLR0912
        if isinstance(target, ast.Tuple | ast.List):
            for elt in target.elts:
                self._target(elt, Value("other"), line, locked=locked)
            return
        if isinstance(target, ast.Name):
            if value.kind == "name" and value.callee in self.locals:
                value = self.locals[value.callee]
            if target.id in self.globals:
                self.writes.append(GlobalWrite(target.id, line, value, locked))
            elif value.kind == "call":
                self.locals[target.id] = value
            return
        if isinstance(target, ast.Subscript):
            owner = dotted(target.value)
            if owner.startswith("self.") and owner.count(".") == 1:
                self.mutations.add(owner[5:])
            return
        if isinstance(target, ast.Attribute):
            owner = dotted(target.value)
            if owner == "self":
                self.self_inits.append((target.attr, value.kind))
                if value.kind == "name":
                    self.refs.append(value.callee)
            elif self.guarded_prefix and owner == self.guarded_prefix:
                self.writes.append(GlobalWrite(f"{owner}.{target.attr}", line, value, locked))
            elif owner:
                self.resets.append(Reset(owner, target.attr, line, value))

    def _expr(self, expr: ast.expr) -> None:
        for node in ast.walk(expr):
            if isinstance(node, ast.Call):
                self._call(node)
            elif isinstance(node, ast.Await):
                self.awaits.append(node.lineno)

    def _call(self, node: ast.Call) -> None:
        func = node.func
        if (
            isinstance(func, ast.Attribute)
            and func.attr in _MUTATORS
            and isinstance(func.value, ast.Subscript)
        ):
            owner = dotted(func.value.value)
            if owner.startswith("self.") and owner.count(".") == 1:
                self.mutations.add(owner[5:])
        name = dotted(func)
        if not name:
            return
        arg_calls = tuple(
            n
            for a in (*node.args, *(k.value for k in node.keywords))
            if isinstance(a, ast.Call) and (n := dotted(a.func))
        )
        self.calls.append(Call(name, node.lineno, arg_calls))
        last = name.rpartition(".")[2]
        if name.startswith("self.") and name.count(".") == 2:  # noqa: PLR2004
            if last in _KEYED_MUTATORS:
                self.mutations.add(name.split(".")[1])
            elif last in _MUTATORS:
                self.appends.add(name.split(".")[1])
        if last == "patch" or name.endswith(("patch.object", "monkeypatch.setattr")):
            self._patch(node, name)

    def _patch(self, node: ast.Call, name: str) -> None:
        args = node.args
        first = args[0] if args else None
        if isinstance(first, ast.Constant) and isinstance(first.value, str):
            self.patches.append(Patch(first.value, node.lineno, by_string=True))
            if name.endswith("setattr") and len(args) > 1:
                mod, _, attr = first.value.rpartition(".")
                self.resets.append(Reset(mod, attr, node.lineno, value_of(args[1])))
            return
        if len(args) >= 2 and isinstance(args[1], ast.Constant) and isinstance(args[1].value, str):  # noqa: PLR2004
            owner = dotted(args[0])
            if owner:
                self.patches.append(Patch(f"{owner}.{args[1].value}", node.lineno, by_string=False))
                if name.endswith("setattr") and len(args) > 2:  # noqa: PLR2004
                    self.resets.append(Reset(owner, args[1].value, node.lineno, value_of(args[2])))


def _function(
    fn: ast.FunctionDef | ast.AsyncFunctionDef, qualname: str, kind: str, where: _Where
) -> FunctionFacts:
    decorators, decorator_args = _decorator_names(fn.decorator_list)
    if kind == "method":
        if "classmethod" in decorators:
            kind = "classmethod"
        elif "staticmethod" in decorators:
            kind = "staticmethod"
    scanner = _FunctionScanner(
        fn,
        guarded_prefix="cls" if kind == "classmethod" or fn.name == "__new__" else "",
        where=where,
    )
    scanner.scan()
    for local, target in scanner.imports.items():
        where.imports.setdefault(local, target)
    params, required = _params(fn.args)
    if kind in {"method", "classmethod"} and params:
        required = max(0, required - (params[0].name not in {"self", "cls"}))
    return FunctionFacts(
        name=fn.name,
        qualname=qualname,
        line=fn.lineno,
        is_async=isinstance(fn, ast.AsyncFunctionDef),
        kind=kind,
        decorators=decorators,
        decorator_args=decorator_args,
        params=params,
        required_params=required,
        globals=frozenset(scanner.globals),
        checked=frozenset(scanner.checked),
        check_lines=tuple(scanner.check_lines),
        global_writes=tuple(scanner.writes),
        awaits=tuple(scanner.awaits),
        calls=tuple(scanner.calls),
        returns=tuple(scanner.returns),
        self_inits=tuple(scanner.self_inits),
        self_mutations=frozenset(scanner.mutations),
        self_appends=frozenset(scanner.appends),
        self_refs=tuple(scanner.refs),
        resets=tuple(scanner.resets),
        patches=tuple(scanner.patches),
        route=_route(fn.decorator_list),
        end_line=fn.end_lineno or fn.lineno,
    )


def _class(node: ast.ClassDef, where: _Where) -> ClassFacts:
    decorators, _ = _decorator_names(node.decorator_list)
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
        bases=tuple(dotted(b) or ast.unparse(b) for b in node.bases),
        decorators=decorators,
        metaclass=metaclass,
        attrs=tuple(attrs),
        methods=tuple(methods),
    )


def _flatten(body: list[ast.stmt]) -> Iterable[ast.stmt]:
    """Statements of a block, descending into if/try/with (still the same scope)."""
    for stmt in body:
        if isinstance(stmt, ast.If):
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


def resolve_relative(module: str, is_package: bool, level: int, target: str | None) -> str:  # noqa: FBT001
    """Turn ``from ..x import y``'s module part into an absolute dotted name."""
    if level == 0:
        return target or ""
    parts = module.split(".") if module else []
    keep = len(parts) - level + (1 if is_package else 0)
    base = parts[: max(keep, 0)]
    if target:
        base.append(target)
    return ".".join(base)


def import_map(
    stmt: ast.Import | ast.ImportFrom, *, module: str, is_package: bool
) -> dict[str, str]:
    """Map each local name an import statement binds to the qualified name it stands for."""
    out: dict[str, str] = {}
    if isinstance(stmt, ast.Import):
        for alias in stmt.names:
            if alias.asname:
                out[alias.asname] = alias.name
            else:
                top = alias.name.partition(".")[0]
                out[top] = top
        return out
    base = resolve_relative(module, is_package, stmt.level, stmt.module)
    for alias in stmt.names:
        if alias.name != "*":
            out[alias.asname or alias.name] = f"{base}.{alias.name}" if base else alias.name
    return out


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


def extract(  # noqa: C901, PLR0912
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
    facts.suppressions = _suppressions(source)
    facts.uses_threads = any(marker in source for marker in _THREAD_MARKERS)
    imports: dict[str, str] = {}
    where = _Where(module, is_package, imports)
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
            annotation = _annotation(stmt.annotation) if isinstance(stmt, ast.AnnAssign) else ""
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
    for code, collect in collectors:
        facts.extra[code] = collect(tree, source)
    return facts
