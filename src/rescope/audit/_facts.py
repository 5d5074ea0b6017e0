"""What the audit knows about one module: plain, immutable records extracted once per file.

The records are built in worker processes from the ``ast`` and cached on disk, so they hold
names, kinds and line numbers only, never AST nodes. Names are kept *as written* in the
source (``"redis.Redis.from_url"``, ``"gas"``); the project index resolves them.

Every record is a :class:`~typing.NamedTuple` of built-in values, so a module's facts travel
between processes and to the cache as :mod:`marshal` data (:func:`pack`, :func:`unpack`),
and are rebuilt without running any Python constructor.
"""

from __future__ import annotations

import marshal
import pickle
from dataclasses import dataclass, field
from functools import partial
from typing import Any, NamedTuple

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
    "pack",
    "unpack",
]


class Value(NamedTuple):
    """The shape of an assigned or returned expression.

    ``kind`` is one of ``none``, ``bool``, ``literal``, ``container`` (a dict/list/set display
    or an empty ``dict()``-like call), ``call``, ``other``. For calls, ``callee`` is the
    dotted name as written, ``arg_calls`` the callees of calls passed as arguments and
    ``arg_names`` the positional arguments that are plain (dotted) names.
    """

    kind: str
    callee: str = ""
    arg_calls: tuple[str, ...] = ()
    awaited: bool = False
    n_args: int = 0
    all_literal_args: bool = True
    arg_names: tuple[str, ...] = ()  # positional arguments that are names, as written


class Call(NamedTuple):
    """A call in a function body: ``name`` as written, its line, and calls among its arguments."""

    name: str
    line: int
    arg_calls: tuple[str, ...] = ()


class Param(NamedTuple):
    """A function parameter with its annotation and, for ``Depends(x)`` defaults, ``x``."""

    name: str
    annotation: str = ""
    depends: str = ""


class GlobalWrite(NamedTuple):
    """An assignment to a name declared ``global`` (or to ``cls.attr`` in a classmethod)."""

    name: str
    line: int
    value: Value
    locked: bool


class Reset(NamedTuple):
    """An assignment to an attribute of something else: ``module._svc = None`` in a test."""

    target: str
    attr: str
    line: int
    value: Value


class Patch(NamedTuple):
    """A ``mock.patch("a.b.c")``-style call; ``target`` is the dotted string or expression."""

    target: str
    line: int
    by_string: bool


class FunctionFacts(NamedTuple):
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


class ClassFacts(NamedTuple):
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


class ModuleAssign(NamedTuple):
    """A module-level ``name = value`` (also under ``if``/``try``), with its annotation."""

    name: str
    line: int
    value: Value
    annotation: str = ""


class ParseProblem(NamedTuple):
    """Why a file could not be read: not UTF-8, or a syntax error at ``line``."""

    line: int
    column: int
    message: str


@dataclass(slots=True)
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


# --- marshal codec ------------------------------------------------------------------------
# marshal refuses tuple subclasses, so records are flattened to plain tuples on the way out
# and rebuilt with ``tuple.__new__`` (no Python-level constructor) on the way in.

_new = tuple.__new__
_value = partial(_new, Value)
_call = partial(_new, Call)
_param = partial(_new, Param)
_patch = partial(_new, Patch)
_MARSHAL_VERSION = 4
_PICKLED = 1


def _flat_function(fn: FunctionFacts) -> tuple[Any, ...]:
    return (
        *fn[:7],
        tuple(map(tuple, fn.params)),
        *fn[8:12],
        tuple((w.name, w.line, tuple(w.value), w.locked) for w in fn.global_writes),
        fn.awaits,
        tuple(map(tuple, fn.calls)),
        tuple(map(tuple, fn.returns)),
        *fn[16:20],
        tuple((r.target, r.attr, r.line, tuple(r.value)) for r in fn.resets),
        tuple(map(tuple, fn.patches)),
        fn.route,
        fn.end_line,
    )


def _function(raw: tuple[Any, ...]) -> FunctionFacts:
    params, writes, calls, returns, resets, patches = (
        raw[7],
        raw[12],
        raw[14],
        raw[15],
        raw[20],
        raw[21],
    )
    return _new(
        FunctionFacts,
        (
            *raw[:7],
            tuple(map(_param, params)) if params else (),
            *raw[8:12],
            tuple(_new(GlobalWrite, (n, ln, _value(v), lk)) for n, ln, v, lk in writes)
            if writes
            else (),
            raw[13],
            tuple(map(_call, calls)) if calls else (),
            tuple(map(_value, returns)) if returns else (),
            *raw[16:20],
            tuple(_new(Reset, (t, a, ln, _value(v))) for t, a, ln, v in resets) if resets else (),
            tuple(map(_patch, patches)) if patches else (),
            raw[22],
            raw[23],
        ),
    )


def _flat_extra(extra: dict[str, Any]) -> tuple[tuple[str, int, Any], ...]:
    out: list[tuple[str, int, Any]] = []
    for code, value in extra.items():
        try:
            marshal.dumps(value, _MARSHAL_VERSION)
        except ValueError:
            out.append((code, _PICKLED, pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)))
        else:
            out.append((code, 0, value))
    return tuple(out)


def pack(facts: ModuleFacts) -> bytes:
    """Serialize ``facts`` with :mod:`marshal`; :func:`unpack` reverses it.

    A rule's ``collect`` result (``facts.extra``) that marshal cannot hold is pickled.
    """
    record: tuple[Any, ...] = (
        facts.path,
        facts.module,
        facts.is_package,
        facts.lines,
        tuple(facts.problem) if facts.problem is not None else None,
        facts.imports,
        facts.star_imports,
        facts.names,
        tuple((a.name, a.line, tuple(a.value), a.annotation) for a in facts.assigns),
        tuple(map(_flat_function, facts.functions)),
        tuple(
            (
                *c[:5],
                tuple((n, ln, tuple(v)) for n, ln, v in c.attrs),
                tuple(map(_flat_function, c.methods)),
            )
            for c in facts.classes
        ),
        facts.suppressions,
        facts.is_test,
        facts.uses_threads,
        _flat_extra(facts.extra) if facts.extra else (),
    )
    return marshal.dumps(record, _MARSHAL_VERSION)


def unpack(blob: bytes) -> ModuleFacts:
    """Rebuild the :class:`ModuleFacts` that :func:`pack` serialized.

    Raises:
        ValueError: ``blob`` is not the output of :func:`pack` (a damaged cache entry).
    """
    try:
        (
            path,
            module,
            is_package,
            lines,
            problem,
            imports,
            stars,
            names,
            assigns,
            functions,
            classes,
            suppressions,
            is_test,
            uses_threads,
            extra,
        ) = marshal.loads(blob)  # noqa: S302 - our own cache, checksummed by the reader
        return ModuleFacts(
            path=path,
            module=module,
            is_package=is_package,
            lines=lines,
            problem=_new(ParseProblem, problem) if problem is not None else None,
            imports=imports,
            star_imports=stars,
            names=names,
            assigns=tuple(_new(ModuleAssign, (n, ln, _value(v), a)) for n, ln, v, a in assigns),
            functions=tuple(map(_function, functions)),
            classes=tuple(
                _new(
                    ClassFacts,
                    (
                        *c[:5],
                        tuple((n, ln, _value(v)) for n, ln, v in c[5]),
                        tuple(map(_function, c[6])),
                    ),
                )
                for c in classes
            ),
            suppressions=suppressions,
            is_test=is_test,
            uses_threads=uses_threads,
            extra={
                code: pickle.loads(value) if how == _PICKLED else value  # noqa: S301 - see above
                for code, how, value in extra
            },
        )
    except (EOFError, TypeError, ValueError, IndexError, pickle.UnpicklingError) as exc:
        raise ValueError(f"not a packed module: {exc}") from exc
