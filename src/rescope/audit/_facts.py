"""What the audit knows about one module: plain, picklable records extracted once per file.

The records are built in worker processes from the ``ast`` and cached on disk, so they hold
names, kinds and line numbers only, never AST nodes. Names are kept *as written* in the
source (``"redis.Redis.from_url"``, ``"gas"``); the project index resolves them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = [
    "Call",
    "ClassFacts",
    "FunctionFacts",
    "GlobalWrite",
    "ModuleAssign",
    "ModuleFacts",
    "Param",
    "ParseProblem",
    "Patch",
    "Reset",
    "Value",
]


@dataclass(frozen=True)
class Value:
    """The shape of an assigned or returned expression.

    ``kind`` is one of ``none``, ``bool``, ``literal``, ``container`` (a dict/list/set display
    or an empty ``dict()``-like call), ``call``, ``other``. For calls, ``callee`` is the
    dotted name as written and ``arg_calls`` the callees of calls passed as arguments.
    """

    kind: str
    callee: str = ""
    arg_calls: tuple[str, ...] = ()
    awaited: bool = False
    n_args: int = 0
    all_literal_args: bool = True


@dataclass(frozen=True)
class Call:
    """A call in a function body: ``name`` as written, its line, and calls among its arguments."""

    name: str
    line: int
    arg_calls: tuple[str, ...] = ()


@dataclass(frozen=True)
class Param:
    """A function parameter with its annotation and, for ``Depends(x)`` defaults, ``x``."""

    name: str
    annotation: str = ""
    depends: str = ""


@dataclass(frozen=True)
class GlobalWrite:
    """An assignment to a name declared ``global`` (or to ``cls.attr`` in a classmethod)."""

    name: str
    line: int
    value: Value
    locked: bool


@dataclass(frozen=True)
class Reset:
    """An assignment to an attribute of something else: ``module._svc = None`` in a test."""

    target: str
    attr: str
    line: int
    value: Value


@dataclass(frozen=True)
class Patch:
    """A ``mock.patch("a.b.c")``-style call; ``target`` is the dotted string or expression."""

    target: str
    line: int
    by_string: bool


@dataclass
class FunctionFacts:
    """Everything a rule needs about one function or method."""

    name: str
    qualname: str
    line: int
    is_async: bool
    kind: str = "function"  # function | method | classmethod | staticmethod
    decorators: tuple[str, ...] = ()
    decorator_args: tuple[tuple[str, ...], ...] = ()
    params: tuple[Param, ...] = ()
    required_params: int = 0
    globals: frozenset[str] = frozenset()
    checked: frozenset[str] = frozenset()
    check_lines: tuple[int, ...] = ()
    global_writes: tuple[GlobalWrite, ...] = ()
    awaits: tuple[int, ...] = ()
    calls: tuple[Call, ...] = ()
    returns: tuple[Value, ...] = ()
    self_inits: tuple[tuple[str, str], ...] = ()
    self_mutations: frozenset[str] = frozenset()
    self_appends: frozenset[str] = frozenset()
    self_refs: tuple[str, ...] = ()
    resets: tuple[Reset, ...] = ()
    patches: tuple[Patch, ...] = ()
    route: str = ""
    end_line: int = 0


@dataclass
class ClassFacts:
    """A class: bases, decorators, class-level attributes and methods."""

    name: str
    line: int
    bases: tuple[str, ...] = ()
    decorators: tuple[str, ...] = ()
    metaclass: str = ""
    attrs: tuple[tuple[str, int, Value], ...] = ()
    methods: tuple[FunctionFacts, ...] = ()

    def method(self, name: str) -> FunctionFacts | None:
        """Return the method called ``name``, if the class defines it."""
        for m in self.methods:
            if m.name == name:
                return m
        return None


@dataclass(frozen=True)
class ModuleAssign:
    """A module-level ``name = value`` (also under ``if``/``try``), with its annotation."""

    name: str
    line: int
    value: Value
    annotation: str = ""


@dataclass(frozen=True)
class ParseProblem:
    """Why a file could not be read: not UTF-8, or a syntax error at ``line``."""

    line: int
    column: int
    message: str


@dataclass
class ModuleFacts:
    """The facts of one module, as extracted from its source."""

    path: str
    module: str
    is_package: bool
    lines: int
    problem: ParseProblem | None = None
    imports: dict[str, str] = field(default_factory=dict)
    star_imports: tuple[str, ...] = ()
    names: frozenset[str] = frozenset()
    assigns: tuple[ModuleAssign, ...] = ()
    functions: tuple[FunctionFacts, ...] = ()
    classes: tuple[ClassFacts, ...] = ()
    suppressions: dict[int, frozenset[str]] = field(default_factory=dict)
    is_test: bool = False
    uses_threads: bool = False
    extra: dict[str, object] = field(default_factory=dict)

    def all_functions(self) -> list[FunctionFacts]:
        """Module-level functions and every class's methods."""
        out = list(self.functions)
        for cls in self.classes:
            out.extend(cls.methods)
        return out
