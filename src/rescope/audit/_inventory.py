"""The service inventory: dependencies, clients, users, suggested scope, and the graph."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from rescope.audit._clients import client_label, looks_like_service_name
from rescope.audit._facts import FunctionFacts, ModuleFacts
from rescope.audit._index import ProjectIndex
from rescope.audit._model import Scope, Service, Usage, ValueCache
from rescope.audit._singletons import Singleton
from rescope.audit._state import mutable_state, per_user_state

__all__ = ["Inventory", "build_inventory", "find_cycles", "value_instances"]

_REQUEST_PARAMS = ("request", "user", "user_id", "db", "session", "token", "tenant")


@dataclass(slots=True)
class Inventory:
    """Services, value caches, the lookups rules need, and the dependency graph."""

    services: list[Service]
    value_caches: list[ValueCache]
    singletons: list[Singleton]
    accessors: dict[str, Singleton] = field(default_factory=dict)
    class_targets: dict[str, Singleton] = field(default_factory=dict)
    value_getters: dict[str, ValueCache] = field(default_factory=dict)
    edges: list[tuple[str, str]] = field(default_factory=list)
    cycles: list[list[str]] = field(default_factory=list)
    mutable_state: dict[str, list[str]] = field(default_factory=dict)  # per-user containers
    holders: dict[str, str] = field(default_factory=dict)

    def accessor_for(self, qualified: str) -> Singleton | None:
        """The service singleton reached by calling ``qualified`` (getter, class, attribute)."""
        found = self.accessors.get(qualified)
        if found is not None:
            return found
        head = qualified.rpartition(".")[0]
        found = self.accessors.get(head)
        if found is not None and found.shape == "module_instance":
            return found
        return None


def _interesting_names(index: ProjectIndex, inventory: Inventory) -> set[str]:
    names = {q.rpartition(".")[2] for q in inventory.accessors}
    names |= {q.rpartition(".")[2] for q in inventory.value_getters}
    names |= {s.cls.name for s in inventory.singletons if s.cls is not None}
    for facts in index.modules.values():
        for local, target in facts.imports.items():
            if target.rpartition(".")[2] in names and local not in names:
                names.add(local)
    return names  # a dotted name may reach one of these when any of its parts is here


def iter_calls(
    index: ProjectIndex, inventory: Inventory
) -> Iterator[tuple[ModuleFacts, FunctionFacts, str, int, str]]:
    """Yield ``(module, function, resolved callee, line, how)`` for calls that may reach a
    singleton or value getter; ``how`` is ``direct`` or ``injected`` (``Depends(...)``).
    """  # noqa: D205
    names = _interesting_names(index, inventory)
    if not names:
        return
    disjoint = names.isdisjoint
    for facts in index.modules.values():
        for fn in facts.all_functions():
            for call in fn.calls:
                if not disjoint(call.name.split(".")):
                    yield facts, fn, index.resolve(facts, call.name), call.line, "direct"
            for param in fn.params:
                if param.depends and not disjoint(param.depends.split(".")):
                    yield facts, fn, index.resolve(facts, param.depends), fn.line, "injected"


def build_inventory(  # noqa: C901
    index: ProjectIndex, singletons: list[Singleton], value_caches: list[ValueCache]
) -> Inventory:
    """Turn the singletons into the inventory of services with their graph.

    Module-level instances that only look like services (see :func:`value_instances`) are
    left out.
    """
    values = value_instances(index, singletons)
    singletons = [s for s in singletons if id(s) not in values]
    inventory = Inventory(services=[], value_caches=value_caches, singletons=singletons)
    for single in singletons:
        if single.is_service:
            inventory.accessors.setdefault(single.accessor_qual, single)
            if single.shape in {"new_singleton", "metaclass_singleton", "decorator_singleton"}:
                inventory.accessors.setdefault(single.target.qualified, single)
            if not single.target.external:
                inventory.class_targets.setdefault(single.target.qualified, single)
    for cache in value_caches:
        inventory.value_getters[f"{cache.module}.{cache.name}"] = cache
        for guard in cache.holders:
            inventory.holders[f"{cache.module}.{guard}"] = f"{cache.name}()"
    for single in singletons:
        if single.shape == "module_instance":
            continue
        for guard in single.guards or (single.holder,):
            owner = single.holder_qual.rpartition(".")[0]
            inventory.holders.setdefault(f"{owner}.{guard}", single.accessor)
    services: dict[str, Service] = {}
    service_of: dict[int, Service] = {}
    for single in singletons:
        if single.is_service:
            service = _service(index, inventory, single)
            key = f"{service.key}:{service.accessor}"
            if key in services:
                merged = services[key]
                merged.depends_on.extend(
                    d for d in service.depends_on if d not in merged.depends_on
                )
                merged.clients.extend(c for c in service.clients if c not in merged.clients)
            services.setdefault(key, service)
            service_of[id(single)] = services[key]
    inventory.services = sorted(services.values(), key=lambda s: (s.path, s.anchor_line, s.name))
    _users(index, inventory, service_of)
    edges = sorted({(s.name, d) for s in inventory.services for d in s.depends_on if d != s.name})
    inventory.edges = edges
    inventory.cycles = find_cycles(edges)
    return inventory


def value_instances(index: ProjectIndex, singletons: list[Singleton]) -> set[int]:
    """The ``id`` of each module-level instance that is a value rather than a service.

    An instance is a service when its class is named like one (``...Service``,
    ``...Client``) or some function calls a method on it (``notifier.send()``); one that is
    only passed around or compared is a value (``void_rtype = RVoid()``). Whatever the name,
    these are values too: a stand-in for a failed import (``core = DeferredError(ex)`` where
    ``core`` is also imported), a function object (its class defines ``__call__``), and a
    value built from a type (``TypeAdapter(Model)``).
    """
    instances = [s for s in singletons if s.shape == "module_instance"]
    called = _called_through(index, {s.accessor for s in instances})
    return {
        id(single)
        for single in instances
        if _stands_in(index, single)
        or (single.accessor_qual not in called and not looks_like_service_name(single.target.name))
    }


def _called_through(index: ProjectIndex, accessors: set[str]) -> set[str]:
    """Qualified names among ``accessors`` on which some function calls a method."""
    found: set[str] = set()
    if not accessors:
        return found
    disjoint = accessors.isdisjoint
    for facts in index.modules.values():
        for fn in facts.all_functions():
            for call in fn.calls:
                parts = call.name.split(".")
                if len(parts) > 1 and not disjoint(parts[:-1]):
                    found.add(index.resolve(facts, call.name).rpartition(".")[0])
    return found


# Built-in types that make `Wrapper(int)`, `Adapter(list)` values built from a type too.
_TYPE_NAMES = frozenset({"int", "str", "bytes", "float", "bool", "dict", "list", "set", "tuple"})


def _stands_in(index: ProjectIndex, single: Singleton) -> bool:
    """An import stand-in, a function object, or a value built from a type."""
    facts = single.facts
    if single.accessor in facts.imports:
        return True
    found = index.classes.get(single.target.qualified)
    if found is not None and found[1].method("__call__") is not None:
        return True
    value = single.construction
    if value is None or not value.arg_names:
        return False
    first = index.resolve(facts, value.arg_names[0])
    return first in index.classes or first.rpartition(".")[2] in _TYPE_NAMES


def _class_functions(
    index: ProjectIndex, single: Singleton
) -> tuple[ModuleFacts | None, list[FunctionFacts]]:
    found = index.classes.get(single.target.qualified)
    functions: list[FunctionFacts] = []
    facts: ModuleFacts | None = None
    if found is not None:
        facts, cls = found
        functions.extend(cls.methods)
    return facts, functions


def _service(index: ProjectIndex, inventory: Inventory, single: Singleton) -> Service:  # noqa: C901, PLR0912
    deps: list[str] = []
    clients: list[str] = []

    def add_dep(qualified: str) -> None:
        other = inventory.accessor_for(qualified) or inventory.class_targets.get(qualified)
        if other is not None and other.target.name != single.target.name:  # noqa: SIM102
            if other.target.name not in deps:
                deps.append(other.target.name)
        label = client_label(qualified)
        if label and label not in clients:
            clients.append(label)

    class_facts, methods = _class_functions(index, single)
    sources: list[tuple[ModuleFacts, FunctionFacts]] = []
    if class_facts is not None:
        sources.extend((class_facts, m) for m in methods)
    if single.function is not None and single.cls is None:
        sources.append((single.facts, single.function))
    for facts, fn in sources:
        for call in fn.calls:
            add_dep(index.resolve(facts, call.name))
        for ref in fn.self_refs:
            add_dep(index.resolve(facts, ref))
        if fn.name == "__init__":
            for param in fn.params:
                if param.annotation:
                    add_dep(index.resolve(facts, param.annotation.strip("'\"")))
    if single.construction is not None:
        for arg in single.construction.arg_calls:
            add_dep(index.resolve(single.facts, arg))
    if single.target.external and single.target.qualified not in clients:
        clients.insert(0, single.target.qualified)
    if single.shape == "class_cached_client" and single.construction is not None:
        add_dep(index.resolve(single.facts, single.construction.callee))
    scope, reason = _scope(single, methods, inventory)
    module = single.target.qualified.rpartition(".")[0]
    path, line = single.facts.path, single.anchor
    found = index.classes.get(single.target.qualified)
    if found is not None:
        path, line = found[0].path, found[1].line
    accessor = single.accessor
    if single.shape == "class_cached_client":
        accessor = single.target.name
    return Service(
        name=single.target.name,
        module=module,
        path=path,
        line=line,
        shape=single.shape,
        accessor=accessor,
        accessor_module=single.facts.module,
        scope=scope,
        scope_reason=reason,
        depends_on=deps,
        clients=clients,
        holder=single.holder,
        anchor_line=single.anchor,
        external=single.target.external,
    )


def _scope(
    single: Singleton, methods: list[FunctionFacts], inventory: Inventory
) -> tuple[Scope, str]:
    """The suggested scope of a service and why, from the state its methods keep.

    Keyed containers holding per-user state (as ``_state.per_user_state`` judges them) make
    it SESSION; a buffer filled and drained per call, or per-request constructor parameters,
    make it REQUEST; keyed containers the whole process fills are a registry and leave it APP.
    """
    keyed, buffers = mutable_state(methods)
    shared = per_user_state(methods, keyed + buffers)  # each attribute judged on its own
    if shared:
        inventory.mutable_state[single.target.qualified] = shared
    per_user = [attr for attr in shared if attr in keyed]
    if per_user:
        attrs = _attrs(per_user)
        return Scope.SESSION, f"keeps mutable state keyed by user, run or session in {attrs}"
    if buffers:
        return Scope.REQUEST, f"fills and drains a buffer per call in {_attrs(buffers)}"
    init = next((m for m in methods if m.name == "__init__"), None)
    if init is not None:
        per_request = [
            p.name
            for p in init.params
            if p.name.lower().endswith(_REQUEST_PARAMS) and p.name != "self"
        ]
        if per_request:
            return Scope.REQUEST, f"is built from per-request data ({', '.join(per_request)})"
    if single.target.external:
        return Scope.APP, "a client of an external system: one per process, closed at shutdown"
    if keyed:
        return (
            Scope.APP,
            f"a process-wide registry ({_attrs(keyed)}): shared on purpose, one per process",
        )
    return Scope.APP, "stateless: one instance can serve every request"


def _attrs(attrs: list[str]) -> str:
    return ", ".join(f"self.{a}" for a in attrs)


def _users(index: ProjectIndex, inventory: Inventory, service_of: dict[int, Service]) -> None:
    service_classes = {s.module + "." + s.name for s in inventory.services}
    for facts, fn, resolved, line, how in iter_calls(index, inventory):
        single = inventory.accessor_for(resolved)
        if single is None:
            continue
        where = f"{facts.module}.{fn.qualname}"
        owner = where.rpartition(".")[0]
        if fn.route:
            kind = "route"
        elif facts.is_test:
            kind = "test"
        elif owner in service_classes:
            kind = "service"
        else:
            kind = "function"
        service = service_of.get(id(single))
        if service is not None and where != single.accessor_qual:
            service.users.append(Usage(kind, where, facts.path, line, how))


def find_cycles(edges: list[tuple[str, str]]) -> list[list[str]]:  # noqa: C901
    """Strongly connected components with more than one node, each rotated to start at its
    smallest name; the components are sorted.
    """  # noqa: D205
    graph: dict[str, list[str]] = {}
    for a, b in edges:
        graph.setdefault(a, []).append(b)
        graph.setdefault(b, [])
    index_of: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out: list[list[str]] = []
    counter = 0

    def strong(node: str) -> None:  # noqa: C901
        nonlocal counter
        work = [(node, iter(sorted(graph[node])))]
        index_of[node] = low[node] = counter
        counter += 1
        stack.append(node)
        on_stack.add(node)
        while work:
            current, children = work[-1]
            advanced = False
            for child in children:
                if child not in index_of:
                    index_of[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                    advanced = True
                    break
                if child in on_stack:
                    low[current] = min(low[current], index_of[child])
            if advanced:
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[current])
            if low[current] == index_of[current]:
                component = []
                while True:
                    item = stack.pop()
                    on_stack.discard(item)
                    component.append(item)
                    if item == current:
                        break
                if len(component) > 1:
                    out.append(sorted(component))

    for node in sorted(graph):
        if node not in index_of:
            strong(node)
    return sorted(out)
