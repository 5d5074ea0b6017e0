"""Compiled resolution: one generated Python function per service and scope shape.

A *shape* is the chain of entered scopes a resolution runs in, such as APP -> REQUEST or
APP -> SESSION -> REQUEST; each link is a *frame* with its own cache and finalizers. For
every service the shape can reach, :func:`compile_shape` writes a small function that
reads the right frame's cache (``s._p._c`` is two frames up, known when generating), calls
the provider with its dependencies directly and stores the value. No graph walk, signature
reading or keyword dictionary happens per call.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from rescope.di._env import AsyncExit, Env, done
from rescope.di._graph import Arg, Node
from rescope.di._lazy import AmbientLazy, Lazy
from rescope.di._providers import Kind
from rescope.di._scope import Scope
from rescope.exceptions import (
    AsyncProviderError,
    MissingContextError,
    ResolutionError,
    _qualified_name,
)

__all__ = ["Compiled", "Factory", "compile_shape"]

Factory = Callable[[Any], Any]

_INLINE_KINDS = {Kind.CLASS, Kind.FACTORY, Kind.GENERATOR, Kind.CONTEXT_MANAGER}


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
    ) from None  # raised while handling the generator's StopIteration: not its cause


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
        self.outer: str | None = None
        self.ns: dict[str, Any] = {
            "A": env.app_cache,
            "AF": env.app_finalizers,
            "LOCK": env.lock,
            "C": env.container,
            "CLAIM": env.claim,
            "SETTLE": env.settle,
            "FAILED": env.failed,
            "LOCAL": env.local,
            "WAIT_LOCAL": env.wait_local,
            "FAILED_LOCAL": env.failed_local,
            "DONE": done,
            "LZ": Lazy,
            "ALZ": AmbientLazy,
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

    def owner(self, node: Node) -> str:
        """The object of the frame ``node``'s values live in (``C``: the container)."""
        j = self.frame(node.level)
        return "C" if j == 0 else "s" + "._p" * (self.inner - j)

    def keep(self, node: Node, indent: str, item: str) -> list[str]:
        """Lines that add finalizer ``item`` to the list of the scope ``node`` lives in."""
        j = self.inner if node.scope is Scope.TRANSIENT else self.frame(node.level)
        if j == 0:
            own = self.env.finalizers_of.get(node.provider)
            if own is None:
                return [f"{indent}AF.append({item})"]
            self.ns[f"OF{node.index}"] = own
            return [f"{indent}OF{node.index}.append({item})"]
        owner = "s" + "._p" * (self.inner - j)
        if j == 1:
            # entered straight from the container: a first finalizer is kept as it is (no
            # list) and registers the scope there
            first = [f"{indent}    {owner}._fin = {item}", f"{indent}    KIDS[{owner}] = None"]
        else:
            first = [f"{indent}    NEWFIN({owner}).append({item})"]
        return [
            f"{indent}fl = {owner}._fin",
            f"{indent}if fl is None:",
            *first,
            f"{indent}elif type(fl) is list:",
            f"{indent}    fl.append({item})",
            f"{indent}else:",
            f"{indent}    {owner}._fin = [fl, {item}]",
        ]

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
            if hoist is None:
                return f"(A[K{i}] if K{i} in A else f{i}(s))"
            if f"a{i}" not in self.hoisted:
                # one plain-dict lookup once the value exists; a miss creates it
                self.hoisted.add(f"a{i}")
                hoist += [
                    f"{indent}try:",
                    f"{indent}    a{i}_ = A[K{i}]",
                    f"{indent}except KeyError:",
                    f"{indent}    a{i}_ = f{i}(s)",
                ]
            return f"a{i}_"
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
            cache = self.cache(node)
            c = "c" if cache == self.outer else f"c{i}"  # the dependent's cache is at hand
            hoist += [
                *([] if c == "c" else [f"{indent}{c} = {cache}"]),
                f"{indent}if K{i} in {c}:",
                f"{indent}    d{i} = {c}[K{i}]",
                f"{indent}else:",
                *self._build(node, node.provider.kind, call, inner, f"d{i}"),
                f"{inner}{c}[K{i}] = d{i}",
            ]
        return f"d{i}"

    def special(self, node: Node, arg: Arg, j: int) -> str:
        """The expression for a parameter the container fills itself."""
        if arg.special == "container":
            return "C"
        if arg.special == "scope":
            return self.owner(node)
        target: Any = arg.lazy
        self.ns[f"L{node.index}_{j}"] = target.key
        if target.level > node.level:
            return f"ALZ(C, L{node.index}_{j})"
        return f"LZ({self.owner(node)}, L{node.index}_{j})"

    def call(self, node: Node, *, awaiting: bool, hoist: list[str] | None, indent: str) -> str:
        parts: list[str] = []
        positional = True
        for j, arg in enumerate(node.args):
            dep = arg.dependency
            if arg.special is not None:
                expr = self.special(node, arg, j)
            elif arg.node is None:
                if dep.positional:
                    self.ns[f"D{node.index}_{j}"] = dep.default
                    parts.append(f"D{node.index}_{j}")
                else:
                    positional = False
                continue
            else:
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
        if kind in {Kind.CLASS, Kind.FACTORY}:
            return [f"{indent}{v} = {call}"]
        if kind is Kind.ASYNC_FACTORY:
            return [f"{indent}{v} = await {call}"]
        if kind is Kind.GENERATOR:
            return [
                f"{indent}g = {call}",
                f"{indent}try:",  # free unless raised: cheaper than a sentinel's test
                f"{indent}    {v} = next(g)",
                f"{indent}except StopIteration:",
                f"{indent}    NO_YIELD(N{node.index})",
                *self.keep(node, indent, "g"),
            ]
        if kind is Kind.ASYNC_GENERATOR:
            return [
                f"{indent}g = {call}",
                f"{indent}try:",
                f"{indent}    {v} = await g.__anext__()",
                f"{indent}except StopAsyncIteration:",
                f"{indent}    NO_YIELD(N{node.index})",
                *self.keep(node, indent, "g"),
            ]
        if kind is Kind.CONTEXT_MANAGER:
            return [
                f"{indent}m = {call}",
                f"{indent}{v} = m.__enter__()",
                *self.keep(node, indent, "m.__exit__"),
            ]
        return [
            f"{indent}m = {call}",
            f"{indent}{v} = await m.__aenter__()",
            *self.keep(node, indent, "AEXIT(m.__aexit__)"),
        ]

    def write_sync(self, node: Node) -> None:
        i, kind = node.index, node.provider.kind
        out = self.lines
        out.append(f"def f{i}(s):")
        if kind is Kind.VALUE:
            out.append(f"    return V{i}")
            return
        cached = node.scope is not Scope.TRANSIENT
        self.outer = self.cache(node) if cached else None
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
            self.outer = None
            out.append(f"async def a{i}(s):")
            out += [*self.build(node, "    ", awaiting=True), "    return v"]
            return
        self.outer = self.cache(node)
        out += [
            f"async def a{i}(s):",
            f"    c = {self.cache(node)}",
            f"    if K{i} in c:",
            f"        return c[K{i}]",
            f"    t = (id(c), K{i})",
        ]
        if node.level < Scope.REQUEST:
            # shared by threads that may each run an event loop: claim it under the lock
            out += [
                f"    w = CLAIM(t, c, K{i})",
                "    if w is not None:",
                "        return await w",
                "    try:",
                *self.build(node, "        ", awaiting=True),
                "    except BaseException as e:",
                "        FAILED(t, e)",
                "        raise",
                f"    SETTLE(t, c, K{i}, v)",
                "    return v",
            ]
            return
        out += [
            "    if t in LOCAL:",
            "        return await WAIT_LOCAL(t)",
            "    LOCAL[t] = None",
            "    try:",
            *self.build(node, "        ", awaiting=True),
            "    except BaseException as e:",
            "        FAILED_LOCAL(t, e)",
            "        raise",
            f"    c[K{i}] = v",
            "    w = LOCAL.pop(t)",
            "    if w is not None:",
            "        DONE(w, v)",
            "    return v",
        ]


@dataclass
class Compiled:
    """The functions generated for one shape.

    Attributes:
        sync: The sync function of every key the shape can resolve.
        asynchronous: The async function of every key the shape can resolve.
        sync_only: The sync function of every key whose creation needs no ``await``.
        by_cache_key: The sync functions by cache key (APP values made on a cache miss).
    """

    sync: dict[object, Factory] = field(default_factory=dict)
    asynchronous: dict[object, Factory] = field(default_factory=dict)
    sync_only: dict[object, Factory] = field(default_factory=dict)
    by_cache_key: dict[object, Factory] = field(default_factory=dict)


def compile_shape(
    env: Env, tops: Sequence[Scope], new_finalizers: Factory, kids: dict[Any, None]
) -> Compiled:
    """Generate the resolution functions of the shape whose frames end at ``tops``.

    Args:
        env: The generation's graph, caches and keys.
        tops: For each frame, APP first, the shortest-lived scope it covers.
        new_finalizers: Called with an entered scope on its first finalizer; returns the
            scope's new finalizer list.
        kids: The container's record of open scopes entered from it.

    Returns:
        The generated functions, by key.
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
    out = Compiled()
    for node in reachable:
        f, a = writer.ns[f"f{node.index}"], writer.ns[f"a{node.index}"]
        for key in node.keys:
            out.sync[key] = f
            out.asynchronous[key] = a
            if not node.needs_async:
                out.sync_only[key] = f
        out.by_cache_key[env.cache_key(node)] = f
    return out
