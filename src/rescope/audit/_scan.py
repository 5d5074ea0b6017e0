"""One pass over a function body: the calls, checks, writes, resets and patches rules read.

The walk visits statements by kind and expressions with a small breadth-first loop (the
order of :func:`ast.walk`), looking only at the fields that can hold code; it is the
hottest path of a cold audit.
"""

from __future__ import annotations

import ast
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from rescope.audit._facts import Call, GlobalWrite, Patch, Reset, Value

__all__ = [
    "FunctionScanner",
    "Where",
    "child_fields",
    "dotted",
    "import_map",
    "resolve_relative",
    "value_of",
]

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
# Records are built with tuple.__new__ (no Python-level NamedTuple __new__): hot paths.
_new = tuple.__new__
_NONE, _BOOL, _LITERAL = Value("none"), Value("bool"), Value("literal")
_CONTAINER, _OTHER_VALUE = Value("container"), Value("other")


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
        return _NONE
    if isinstance(node, ast.Constant):
        if node.value is None:
            return _NONE
        if isinstance(node.value, bool):
            return _BOOL
        return _LITERAL
    if isinstance(node, ast.Dict | ast.List | ast.Set | ast.Tuple | ast.DictComp | ast.ListComp):
        return _CONTAINER
    if isinstance(node, ast.Call):
        callee = dotted(node.func)
        if callee in _EMPTY_CONTAINERS:
            return Value("container", callee)
        args = [*node.args, *(k.value for k in node.keywords)]
        arg_calls = tuple(
            name for a in args if isinstance(a, ast.Call) and (name := dotted(a.func))
        )
        literal = all(isinstance(a, ast.Constant) for a in args)
        names = tuple(
            name
            for a in node.args
            if isinstance(a, ast.Name | ast.Attribute) and (name := dotted(a))
        )
        return _new(Value, ("call", callee, arg_calls, awaited, len(args), literal, names))
    if isinstance(node, ast.Name):
        return Value("name", node.id, awaited=awaited)
    if isinstance(node, ast.BoolOp | ast.IfExp):
        # `x or X()`: the call is what ends up stored.
        for part in node.values if isinstance(node, ast.BoolOp) else (node.body, node.orelse):
            v = value_of(part)
            if v.kind == "call":
                return v
    return Value("other", awaited=awaited)


_NAME, _CONSTANT, _ATTRIBUTE = ast.Name, ast.Constant, ast.Attribute
_CALL, _AWAIT = ast.Call, ast.Await
_EXPR, _ASSIGN, _RETURN, _BRANCH, _WITH, _DEF, _IMPORT, _GLOBAL, _DELETE, _OTHER = range(10)
_STMT_KINDS: dict[type, int] = {
    ast.Expr: _EXPR,
    ast.Assign: _ASSIGN,
    ast.AnnAssign: _ASSIGN,
    ast.AugAssign: _ASSIGN,
    ast.Return: _RETURN,
    ast.If: _BRANCH,
    ast.While: _BRANCH,
    ast.With: _WITH,
    ast.AsyncWith: _WITH,
    ast.FunctionDef: _DEF,
    ast.AsyncFunctionDef: _DEF,
    ast.ClassDef: _DEF,
    ast.Import: _IMPORT,
    ast.ImportFrom: _IMPORT,
    ast.Global: _GLOBAL,
    ast.Delete: _DELETE,
}
# Fields that never hold a node with calls inside: contexts, operators, identifiers, flags.
_LEAF_FIELDS = frozenset(
    {"ctx", "op", "ops", "id", "attr", "arg", "kind", "type_comment", "conversion", "is_async"}
    | {"level", "names", "module", "name", "asname", "lineno", "value_kind"}
)
_FIELDS: dict[type, tuple[str, ...]] = {}


def child_fields(kind: type) -> tuple[str, ...]:
    """The fields of an AST node type that can hold expressions, statements or blocks."""
    found = _FIELDS.get(kind)
    if found is None:
        found = _FIELDS[kind] = tuple(
            f
            for f in getattr(kind, "_fields", ())
            if f not in _LEAF_FIELDS and not (kind is ast.Constant and f == "value")
        )
    return found


def _walk(node: ast.AST) -> Iterator[ast.AST]:
    """Every node under ``node`` (itself included), like :func:`ast.walk` but cheaper."""
    stack: list[Any] = [node]
    while stack:
        current = stack.pop()
        yield current
        for name in child_fields(type(current)):
            child = getattr(current, name)
            if type(child) is list:
                stack.extend(c for c in child if isinstance(c, ast.AST))
            elif isinstance(child, ast.AST):
                stack.append(child)


@dataclass(slots=True)
class Where:
    """The module a function is in: its name, its imports so far, and its source text."""

    module: str
    is_package: bool
    imports: dict[str, str]
    text: Callable[[ast.expr], str]


class FunctionScanner:
    """One pass over a function body collecting calls, checks, writes, resets and patches."""

    def __init__(
        self, fn: ast.FunctionDef | ast.AsyncFunctionDef, *, guarded_prefix: str, where: Where
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

    def _stmt(self, stmt: Any, *, locked: bool) -> None:  # noqa: C901, PLR0912
        kind = _STMT_KINDS.get(type(stmt), _OTHER)
        if kind == _EXPR:
            self._expr(stmt.value)
        elif kind == _ASSIGN:
            value = _OTHER_VALUE if type(stmt) is ast.AugAssign else value_of(stmt.value)
            for target in stmt.targets if type(stmt) is ast.Assign else (stmt.target,):
                self._target(target, value, stmt.lineno, locked=locked)
            if stmt.value is not None:
                self._expr(stmt.value)
        elif kind == _RETURN:
            if stmt.value is not None:
                self.returns.append(value_of(stmt.value))
                self._expr(stmt.value)
        elif kind == _BRANCH:
            self._test(stmt.test)
            self._expr(stmt.test)
            self._stmts(stmt.body, locked=locked)
            self._stmts(stmt.orelse, locked=locked)
        elif kind == _WITH:
            self._with(stmt, locked=locked)
        elif kind == _DEF:
            for dec in stmt.decorator_list:
                self._expr(dec)
            self._stmts(stmt.body, locked=locked)
        elif kind == _IMPORT:
            self.imports.update(
                import_map(stmt, module=self.where.module, is_package=self.where.is_package)
            )
        elif kind == _GLOBAL:
            # Python rejects a use of the name before its `global`: textual order suffices.
            self.globals.update(stmt.names)
        elif kind == _DELETE:
            for target in stmt.targets:
                if isinstance(target, ast.Subscript):
                    owner = dotted(target.value)
                    if owner.startswith("self.") and owner.count(".") == 1:
                        self.mutations.add(owner[5:])
        else:
            self._other(stmt, locked=locked)

    def _with(self, stmt: ast.With | ast.AsyncWith, *, locked: bool) -> None:
        is_lock = False
        for item in stmt.items:
            name = dotted(item.context_expr).lower()
            is_lock = is_lock or "lock" in name or "semaphore" in name
            self._expr(item.context_expr)
        if isinstance(stmt, ast.AsyncWith):
            self.awaits.append(stmt.lineno)
        self._stmts(stmt.body, locked=locked or is_lock)

    def _other(self, stmt: ast.stmt, *, locked: bool) -> None:
        """Loops, ``try``, ``match``, ``raise`` and the rest: every block and expression."""
        for name in child_fields(type(stmt)):
            child = getattr(stmt, name)
            if isinstance(child, list):
                for item in child:
                    if isinstance(item, ast.stmt):
                        self._stmt(item, locked=locked)
                    elif isinstance(item, ast.expr):
                        self._expr(item)
                    elif isinstance(item, ast.ExceptHandler | ast.match_case):
                        guard = item.type if isinstance(item, ast.ExceptHandler) else item.guard
                        if guard is not None:
                            self._expr(guard)
                        self._stmts(item.body, locked=locked)
            elif isinstance(child, ast.expr):
                self._expr(child)

    def _test(self, test: ast.expr) -> None:
        if not self.globals and not self.guarded_prefix:
            return
        for node in _walk(test):
            name = self._guard_name(node) if isinstance(node, ast.Name | ast.Attribute) else ""
            if name and (name in self.globals or "." in name):
                self.checked.add(name)
                self.check_lines.append(test.lineno)

    def _target(self, target: ast.expr, value: Value, line: int, *, locked: bool) -> None:  # noqa: C901, PLR0912
        if isinstance(target, ast.Tuple | ast.List):
            for elt in target.elts:
                self._target(elt, _OTHER_VALUE, line, locked=locked)
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
            elif owner and "(" not in owner:  # `f().x = v` sets an object a call returns
                self.resets.append(Reset(owner, target.attr, line, value))

    def _expr(self, expr: ast.expr) -> None:
        """Record every call and await inside ``expr``, in :func:`ast.walk`'s order."""
        todo: deque[Any] = deque((expr,))
        pop, push, extend = todo.popleft, todo.append, todo.extend
        known = _FIELDS
        while todo:
            node = pop()
            kind = type(node)
            if kind is _NAME or kind is _CONSTANT or node is None:
                continue
            if kind is _ATTRIBUTE:
                push(node.value)
            elif kind is _CALL:
                self._call(node)
                push(node.func)
                extend(node.args)
                extend(node.keywords)
            else:
                if kind is _AWAIT:
                    self.awaits.append(node.lineno)
                for name in known.get(kind) or child_fields(kind):
                    child = getattr(node, name)
                    if type(child) is list:
                        extend(child)  # may hold None (`{**x}` keys): skipped when popped
                    else:
                        push(child)

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
        arg_calls: tuple[str, ...] = ()
        if node.args or node.keywords:
            arg_calls = tuple(
                n
                for a in (*node.args, *[k.value for k in node.keywords])
                if type(a) is _CALL and (n := dotted(a.func))
            )
        self.calls.append(_new(Call, (name, node.lineno, arg_calls)))
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
                if name.endswith("setattr") and len(args) > 2 and "(" not in owner:  # noqa: PLR2004
                    self.resets.append(Reset(owner, args[1].value, node.lineno, value_of(args[2])))


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
