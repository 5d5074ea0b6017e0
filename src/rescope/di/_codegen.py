"""Compiled resolution: one generated Python function per service and scope shape.

A *shape* is the chain of entered scopes a resolution runs in, such as APP -> REQUEST or
APP -> SESSION -> REQUEST; each link is a *frame* with its own cache and finalizers. For
every service the shape can reach, :func:`compile_shape` writes a small function that
reads the right frame's cache (``s._p._c`` is two frames up, known when generating), calls
the provider with its dependencies directly and stores the value. No graph walk, signature
reading or keyword dictionary happens per call.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from rescope.di._graph import Graph, Node
from rescope.di._providers import Kind, Provider
from rescope.di._scope import Scope
from rescope.exceptions import (
    AsyncProviderError,
    MissingContextError,
    ResolutionError,
    _qualified_name,
)

__all__ = ["AsyncExit", "Env", "compile_shape"]

Factory = Callable[[Any], Any]

_NOYIELD: Any = object()
_INLINE_KINDS = {Kind.CLASS, Kind.FACTORY, Kind.GENERATOR, Kind.CONTEXT_MANAGER}


class AsyncExit:
    """A finalizer that must be awaited: an async context manager's bound ``__aexit__``."""

    __slots__ = ("aexit",)

    def __init__(self, aexit: Callable[..., Awaitable[object]]) -> None:
        self.aexit = aexit


@dataclass(eq=False)
class Env:
    """What generated code shares for one container generation (base or an override).

    Attributes:
        graph: The validated graph.
        app_cache: The APP scope's cache.
        app_finalizers: The APP scope's finalizers.
        lock: Taken when a service of a scope longer-lived than REQUEST is first created.
        key_of: The cache key of each provider (its type, or a fresh key under an override).
        finalizers_of: Per provider, a finalizer list replacing ``app_finalizers`` (override).
        pending: Async creations in progress, keyed by (cache id, key), with the futures
            of the tasks waiting for them (None while nobody waits).
    """

    graph: Graph
    app_cache: dict[Any, Any]
    app_finalizers: list[Any]
    lock: Any
    key_of: dict[Provider, object] = field(default_factory=dict)
    finalizers_of: dict[Provider, list[Any]] = field(default_factory=dict)
    pending: dict[tuple[int, object], list[asyncio.Future[Any]] | None] = field(
        default_factory=dict
    )

    def cache_key(self, node: Node) -> object:
        """The key ``node``'s values are cached under."""
        return self.key_of.get(node.provider, node.key)

    async def wait(self, token: tuple[int, object]) -> Any:
        """Wait for another task that is creating the value of ``token``."""
        waiters = self.pending[token]
        if waiters is None:
            waiters = self.pending[token] = []
        future = asyncio.get_running_loop().create_future()
        waiters.append(future)
        return await future

    def failed(self, token: tuple[int, object], error: BaseException) -> None:
        """The creating task failed: hand its error to the tasks that waited for it."""
        for future in self.pending.pop(token, None) or ():
            if not future.done():
                if isinstance(error, asyncio.CancelledError):
                    future.cancel()
                else:
                    future.set_exception(error)


def _done(waiters: list[asyncio.Future[Any]], value: object) -> None:
    for future in waiters:
        if not future.done():
            future.set_result(value)


def _async_error(node: Node) -> Any:
    path = node.async_path()
    raise AsyncProviderError(
        node.key, provider=path[-1].provider.source, path=[n.key for n in path]
    )


def _missing_context(node: Node) -> Any:
    raise MissingContextError(node.key, scope=node.scope)


def _no_yield(node: Node) -> Any:
    raise ResolutionError(
        f"the generator provider of `{_qualified_name(node.key)}` returned without yielding"
        " a value.",
        hint="yielding the value exactly once, with the cleanup after the yield.",
    )


class _Writer:
    """Writes the source of one shape's functions and the globals they use."""

    def __init__(
        self, env: Env, tops: Sequence[Scope], new_finalizers: Factory, kids: dict[Any, None]
    ) -> None:
        self.env = env
        self.tops = tops
        self.inner = len(tops) - 1
        self.lines: list[str] = []
        self.hoisted: set[str] = set()
        self.ns: dict[str, Any] = {
            "A": env.app_cache,
            "AF": env.app_finalizers,
            "LOCK": env.lock,
            "PENDING": env.pending,
            "WAIT": env.wait,
            "FAILED": env.failed,
            "DONE": _done,
            "NOY": _NOYIELD,
            "ASYNC_ERROR": _async_error,
            "MISSING_CONTEXT": _missing_context,
            "NO_YIELD": _no_yield,
            "AEXIT": AsyncExit,
            "anext": anext,
            "NEWFIN": new_finalizers,
            "KIDS": kids,
        }

    def frame(self, level: Scope) -> int:
        return next(i for i, top in enumerate(self.tops) if top >= level)

    def cache(self, node: Node) -> str:
        j = self.frame(node.level)
        return "A" if j == 0 else "s" + "._p" * (self.inner - j) + "._c"

    def finalizers(self, node: Node, indent: str) -> tuple[list[str], str]:
        """Lines that make sure the finalizer list exists, and the name to append to."""
        j = self.inner if node.scope is Scope.TRANSIENT else self.frame(node.level)
        if j == 0:
            own = self.env.finalizers_of.get(node.provider)
            if own is None:
                return [], "AF"
            self.ns[f"OF{node.index}"] = own
            return [], f"OF{node.index}"
        owner = "s" + "._p" * (self.inner - j)
        if j == 1:
            # entered straight from the container: register it there inline
            return [
                f"{indent}fl = {owner}._fin",
                f"{indent}if fl is None:",
                f"{indent}    fl = {owner}._fin = []",
                f"{indent}    KIDS[{owner}] = None",
            ], "fl"
        return [
            f"{indent}fl = {owner}._fin",
            f"{indent}if fl is None:",
            f"{indent}    fl = NEWFIN({owner})",
        ], "fl"

    def inlinable(self, node: Node) -> bool:
        """Whether ``node`` is simple enough to create inline in its dependent's function."""
        return (
            node.provider.kind in _INLINE_KINDS
            and not node.needs_async
            and node.level >= Scope.REQUEST
            and self.frame(node.level) != 0
        )

    def arg(self, node: Node, *, awaiting: bool, hoist: list[str] | None, indent: str) -> str:
        i = node.index
        if node.provider.kind is Kind.VALUE:
            return f"V{i}"
        if node.needs_async and awaiting:
            return f"await a{i}(s)"
        if node.level is Scope.APP and node.is_cached and not node.needs_async:
            return f"A[K{i}]"
        if hoist is not None and self.inlinable(node):
            return self.inline(node, hoist, indent)
        return f"f{i}(s)"

    def inline(self, node: Node, hoist: list[str], indent: str) -> str:
        """Create ``node`` inside its dependent's function (lines go to ``hoist``)."""
        i = node.index
        if node.scope is Scope.TRANSIENT:
            if node.provider.kind in {Kind.CLASS, Kind.FACTORY}:
                return self.call(node, awaiting=False, hoist=None, indent=indent)
            return f"f{i}(s)"
        if f"d{i}" not in self.hoisted:
            self.hoisted.add(f"d{i}")
            call = self.call(node, awaiting=False, hoist=None, indent=indent)
            inner = indent + "    "
            hoist += [
                f"{indent}c{i} = {self.cache(node)}",
                f"{indent}if K{i} in c{i}:",
                f"{indent}    d{i} = c{i}[K{i}]",
                f"{indent}else:",
                *self._build(node, node.provider.kind, call, inner, f"d{i}"),
                f"{inner}c{i}[K{i}] = d{i}",
            ]
        return f"d{i}"

    def call(self, node: Node, *, awaiting: bool, hoist: list[str] | None, indent: str) -> str:
        parts: list[str] = []
        positional = True
        for j, arg in enumerate(node.args):
            dep = arg.dependency
            if arg.node is None:
                if dep.positional:
                    self.ns[f"D{node.index}_{j}"] = dep.default
                    parts.append(f"D{node.index}_{j}")
                else:
                    positional = False
                continue
            expr = self.arg(arg.node, awaiting=awaiting, hoist=hoist, indent=indent)
            if positional and not dep.keyword_only:
                parts.append(expr)
            else:
                positional = False
                parts.append(f"{dep.name}={expr}")
        return f"P{node.index}({', '.join(parts)})"

    def build(self, node: Node, indent: str, *, awaiting: bool) -> list[str]:
        kind = node.provider.kind
        hoist: list[str] = []
        self.hoisted = set()
        call = self.call(node, awaiting=awaiting, hoist=hoist, indent=indent)
        return hoist + self._build(node, kind, call, indent, "v")

    def _build(self, node: Node, kind: Kind, call: str, indent: str, v: str) -> list[str]:
        prepare, fins = self.finalizers(node, indent)
        if kind in {Kind.CLASS, Kind.FACTORY}:
            return [f"{indent}{v} = {call}"]
        if kind is Kind.ASYNC_FACTORY:
            return [f"{indent}{v} = await {call}"]
        if kind is Kind.GENERATOR:
            return [
                f"{indent}g = {call}",
                f"{indent}{v} = next(g, NOY)",
                f"{indent}if {v} is NOY:",
                f"{indent}    NO_YIELD(N{node.index})",
                *prepare,
                f"{indent}{fins}.append(g)",
            ]
        if kind is Kind.ASYNC_GENERATOR:
            return [
                f"{indent}g = {call}",
                f"{indent}try:",
                f"{indent}    {v} = await g.__anext__()",
                f"{indent}except StopAsyncIteration:",
                f"{indent}    NO_YIELD(N{node.index})",
                *prepare,
                f"{indent}{fins}.append(g)",
            ]
        if kind is Kind.CONTEXT_MANAGER:
            return [
                f"{indent}m = {call}",
                f"{indent}{v} = m.__enter__()",
                *prepare,
                f"{indent}{fins}.append(m.__exit__)",
            ]
        return [
            f"{indent}m = {call}",
            f"{indent}{v} = await m.__aenter__()",
            *prepare,
            f"{indent}{fins}.append(AEXIT(m.__aexit__))",
        ]

    def write_sync(self, node: Node) -> None:
        i, kind = node.index, node.provider.kind
        out = self.lines
        out.append(f"def f{i}(s):")
        if kind is Kind.VALUE:
            out.append(f"    return V{i}")
            return
        cached = node.scope is not Scope.TRANSIENT
        if cached:
            out += [f"    c = {self.cache(node)}", f"    if K{i} in c:", f"        return c[K{i}]"]
        if kind is Kind.CONTEXT:
            out.append(f"    MISSING_CONTEXT(N{i})")
            return
        if kind.is_async or node.needs_async:
            out.append(f"    ASYNC_ERROR(N{i})")
            return
        if not cached:
            out += [*self.build(node, "    ", awaiting=False), "    return v"]
        elif node.level < Scope.REQUEST:
            out += ["    with LOCK:", f"        if K{i} in c:", f"            return c[K{i}]"]
            out += [*self.build(node, "        ", awaiting=False), f"        c[K{i}] = v"]
            out.append("    return v")
        else:
            out += [*self.build(node, "    ", awaiting=False), f"    c[K{i}] = v", "    return v"]

    def write_async(self, node: Node) -> None:
        i, out = node.index, self.lines
        if not node.needs_async:
            out += [f"async def a{i}(s):", f"    return f{i}(s)"]
            return
        if node.scope is Scope.TRANSIENT:
            out.append(f"async def a{i}(s):")
            out += [*self.build(node, "    ", awaiting=True), "    return v"]
            return
        out += [
            f"async def a{i}(s):",
            f"    c = {self.cache(node)}",
            f"    if K{i} in c:",
            f"        return c[K{i}]",
            f"    t = (id(c), K{i})",
            "    if t in PENDING:",
            "        return await WAIT(t)",
            "    PENDING[t] = None",
            "    try:",
            *self.build(node, "        ", awaiting=True),
            "    except BaseException as e:",
            "        FAILED(t, e)",
            "        raise",
            f"    c[K{i}] = v",
            "    w = PENDING.pop(t)",
            "    if w is not None:",
            "        DONE(w, v)",
            "    return v",
        ]


def compile_shape(
    env: Env, tops: Sequence[Scope], new_finalizers: Factory, kids: dict[Any, None]
) -> tuple[dict[object, Factory], dict[object, Factory], dict[object, Factory]]:
    """Generate the resolution functions of the shape whose frames end at ``tops``.

    Args:
        env: The generation's graph, caches and keys.
        tops: For each frame, APP first, the shortest-lived scope it covers.
        new_finalizers: Called with an entered scope on its first finalizer; returns the
            scope's new finalizer list.
        kids: The container's record of open scopes entered from it.

    Returns:
        The sync and async functions by every key the shape can resolve, and the sync
        functions by cache key (used to create APP values on a cache miss).
    """
    writer = _Writer(env, tops, new_finalizers, kids)
    reachable = [n for n in env.graph.nodes if n.level <= tops[-1]]
    for node in reachable:
        i = node.index
        writer.ns[f"K{i}"] = env.cache_key(node)
        writer.ns[f"N{i}"] = node
        writer.ns[f"P{i}"] = node.provider.source
        writer.ns[f"V{i}"] = node.provider.source
    for node in reachable:
        writer.write_sync(node)
        writer.write_async(node)
    source = "\n".join(writer.lines) + "\n"
    code = compile(source, f"<rescope shape {'->'.join(map(str, tops))}>", "exec")
    exec(code, writer.ns)  # noqa: S102 - source generated above from the validated graph
    sync: dict[object, Factory] = {}
    asynchronous: dict[object, Factory] = {}
    by_cache_key: dict[object, Factory] = {}
    for node in reachable:
        f, a = writer.ns[f"f{node.index}"], writer.ns[f"a{node.index}"]
        for key in node.keys:
            sync[key] = f
            asynchronous[key] = a
        by_cache_key[env.cache_key(node)] = f
    return sync, asynchronous, by_cache_key
