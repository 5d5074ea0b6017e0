"""Find every way the code makes an object global, and tell services from value caches."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from rescope.audit._clients import (
    client_class_name,
    client_label,
    is_service_class,
    looks_like_service_name,
)
from rescope.audit._facts import ClassFacts, FunctionFacts, ModuleFacts, Value
from rescope.audit._index import ProjectIndex
from rescope.audit._model import ValueCache

__all__ = ["Singleton", "Target", "classify", "find_singletons"]

_CACHE_DECORATORS = frozenset({"cache", "lru_cache"})
_NOT_INSTANCES = frozenset(
    {
        "logging.getLogger",
        "getLogger",
        "structlog.get_logger",
        "typing.TypeVar",
        "TypeVar",
        "typing.NewType",
        "object",
        "threading.Lock",
        "threading.RLock",
        "asyncio.Lock",
        "contextvars.ContextVar",
    }
)


@dataclass(slots=True, frozen=True)
class Target:
    """What a construction builds: a project class, an external client, or a value."""

    is_service: bool
    qualified: str = ""
    name: str = ""
    external: bool = False
    holds: str = "a value"


@dataclass(slots=True)
class Singleton:
    """One global object and how it is reached.

    ``shape`` is one of ``lazy_getter``, ``new_singleton``, ``metaclass_singleton``,
    ``decorator_singleton``, ``class_cached_client``, ``cached_getter``, ``module_instance``.
    """

    shape: str
    facts: ModuleFacts
    anchor: int
    accessor: str
    accessor_qual: str
    holder: str
    holder_qual: str
    target: Target
    function: FunctionFacts | None = None
    cls: ClassFacts | None = None
    construction: Value | None = None
    guards: tuple[str, ...] = ()

    @property
    def is_service(self) -> bool:
        """Whether the global object is a service (as opposed to a value cache)."""
        return self.target.is_service


def classify(  # noqa: C901, PLR0911
    index: ProjectIndex, facts: ModuleFacts, value: Value, depth: int = 0, owner: str = ""
) -> Target:
    """Say what ``value`` (an assigned or returned expression in ``facts``) builds.

    ``owner`` is the qualified class when the expression is inside one of its methods, so
    that ``cls()`` means that class.
    """
    if value.kind != "call":
        return Target(is_service=False, holds=f"a {value.kind}")
    if value.callee in {"cls", "self.__class__", "type(self)"} and owner:
        qualified = owner
    else:
        qualified = index.resolve(facts, value.callee)
    if qualified in _NOT_INSTANCES or value.callee in _NOT_INSTANCES:
        return Target(is_service=False, qualified=qualified, holds=value.callee)
    found = index.classes.get(qualified)
    if found is not None:
        _, cls = found
        return Target(is_service_class(cls), qualified, cls.name, holds=cls.name)
    label = client_label(qualified)
    if label:
        name = client_class_name(qualified)
        return Target(True, qualified, name, external=True, holds=name)  # noqa: FBT003
    function = index.functions.get(qualified)
    if function is not None and depth < 2:  # noqa: PLR2004
        fn_facts, fn = function
        fn_owner = ""
        if "." in fn.qualname:
            fn_owner = f"{fn_facts.module}.{fn.qualname.rpartition('.')[0]}"
        for returned in fn.returns:
            target = classify(index, fn_facts, returned, depth + 1, fn_owner)
            if target.qualified:
                return target
    last = qualified.rpartition(".")[2]
    if (
        last[:1].isupper()
        and looks_like_service_name(last)
        and not index.is_project_name(qualified)
    ):
        return Target(True, qualified, last, external=True, holds=qualified)  # noqa: FBT003
    return Target(is_service=False, qualified=qualified, holds=value.callee or "a value")


def find_singletons(index: ProjectIndex) -> tuple[list[Singleton], list[ValueCache]]:
    """Every singleton of every shape in the project, and the value caches beside them."""
    singletons: list[Singleton] = []
    caches: list[ValueCache] = []
    instances = Counter(
        index.resolve(facts, assign.value.callee)
        for facts in index.modules.values()
        for assign in facts.assigns
        if assign.value.kind == "call"
    )
    for facts in sorted(index.modules.values(), key=lambda f: f.path):
        if facts.is_test:
            continue
        for fn in facts.all_functions():
            _lazy_getter(index, facts, fn, singletons, caches)
            _cached_getter(index, facts, fn, singletons, caches)
        for cls in facts.classes:
            _class_singleton(index, facts, cls, singletons)
            _class_cached(index, facts, cls, singletons)
        _module_instances(index, facts, instances, singletons)
    return _cached_values_apart(index, singletons, caches)


def _cached_values_apart(
    index: ProjectIndex, singletons: list[Singleton], caches: list[ValueCache]
) -> tuple[list[Singleton], list[ValueCache]]:
    """Move cached getters that return a value (a strategy, a parsed table) to the caches.

    A cached getter keeps a service when what it returns is an external client, is named
    like a service (``...Engine``, ``...Client``), or has a method called on the getter's
    result somewhere (``get_mailer().send()``); anything else is a cached value.
    """
    doubtful = [
        s
        for s in singletons
        if s.shape == "cached_getter"
        and not s.target.external
        and not looks_like_service_name(s.target.name)
    ]
    if not doubtful:
        return singletons, caches
    called: set[str] = set()
    for facts in index.modules.values():
        for fn in facts.all_functions():
            for call in fn.calls:
                if "()." in call.name:
                    called.add(index.resolve(facts, call.name.partition("().")[0]))
    values = {id(s) for s in doubtful if s.accessor_qual not in called}
    for single in doubtful:
        if id(single) in values and single.function is not None:
            fn = single.function
            caches.append(
                ValueCache(
                    fn.name,
                    single.facts.module,
                    single.facts.path,
                    fn.line,
                    "cached_getter",
                    single.target.holds,
                )
            )
    return [s for s in singletons if id(s) not in values], caches


def _lazy_getter(
    index: ProjectIndex,
    facts: ModuleFacts,
    fn: FunctionFacts,
    singletons: list[Singleton],
    caches: list[ValueCache],
) -> None:
    if not fn.globals or not (fn.checked & fn.globals):
        return
    initial = {a.name: a.value.kind for a in facts.assigns}
    flag_guard = any(initial.get(name) == "bool" for name in fn.checked & fn.globals)
    writes = [
        w
        for w in fn.global_writes
        if w.name in fn.globals
        and w.value.kind not in {"none", "bool"}
        and (initial.get(w.name) == "none" or (flag_guard and w.name in initial))
    ]
    if not writes:
        return
    write = next((w for w in writes if w.value.kind == "call"), writes[0])
    owner = f"{facts.module}.{fn.qualname.rpartition('.')[0]}" if "." in fn.qualname else ""
    target = classify(index, facts, write.value, owner=owner)
    guards = tuple(sorted({write.name} | (fn.checked & fn.globals)))
    if not target.is_service:
        caches.append(
            ValueCache(
                fn.name, facts.module, facts.path, fn.line, "lazy_getter", target.holds, guards
            )
        )
        return
    singletons.append(
        Singleton(
            shape="lazy_getter",
            facts=facts,
            anchor=fn.line,
            accessor=fn.qualname,
            accessor_qual=f"{facts.module}.{fn.qualname}",
            holder=write.name,
            holder_qual=f"{facts.module}.{write.name}",
            target=target,
            function=fn,
            construction=write.value,
            guards=guards,
        )
    )


def _cached_getter(
    index: ProjectIndex,
    facts: ModuleFacts,
    fn: FunctionFacts,
    singletons: list[Singleton],
    caches: list[ValueCache],
) -> None:
    if fn.kind != "function" or fn.params:
        return
    if not any(d.rpartition(".")[2] in _CACHE_DECORATORS for d in fn.decorators):
        return
    returned = next((r for r in fn.returns if r.kind == "call"), None)
    target = classify(index, facts, returned) if returned else Target(is_service=False)
    if not target.is_service:
        caches.append(
            ValueCache(fn.name, facts.module, facts.path, fn.line, "cached_getter", target.holds)
        )
        return
    singletons.append(
        Singleton(
            shape="cached_getter",
            facts=facts,
            anchor=fn.line,
            accessor=fn.name,
            accessor_qual=f"{facts.module}.{fn.name}",
            holder=fn.name,
            holder_qual=f"{facts.module}.{fn.name}",
            target=target,
            function=fn,
            construction=returned,
        )
    )


def _instance_accessor(cls: ClassFacts) -> FunctionFacts | None:
    for method in cls.methods:
        if method.kind in {"classmethod", "staticmethod"} and "instance" in method.name.lower():
            return method
    return None


def _self_construction(cls: ClassFacts, value: Value) -> bool:
    return (value.kind == "call" and value.callee in {"cls", cls.name, "super().__new__"}) or (
        value.callee.endswith("__new__")
    )


_META_BASES = frozenset({"type", "ABCMeta", "EnumMeta", "EnumType"})
_BUILDS_INSTANCE = ("__call__", "__new__")


def _is_metaclass(cls: ClassFacts) -> bool:
    """A class whose instances are classes: its ``__new__`` builds classes, not a service."""
    return any(base.rpartition(".")[2] in _META_BASES for base in cls.bases) or cls.name.endswith(
        ("Meta", "Metaclass")
    )


def _caches_instance(cls: ClassFacts, attr: str, value: Value) -> bool:
    """Whether writing ``value`` to ``attr`` stores the instance being built."""
    attr = attr.rpartition(".")[2]
    if attr.startswith("__") and attr.endswith("__"):
        return False
    return "instance" in attr.lower() or _self_construction(cls, value)


def _metaclass_caches(meta: ClassFacts) -> bool:
    """Whether the metaclass's ``__call__``/``__new__`` stores and returns a cached instance.

    A singleton metaclass keeps the instance it builds (``cls._instances[cls] = ...``,
    ``cls._instance = ...``) in a class-level cache and returns what it stored. A metaclass
    that always returns a fresh ``super().__call__(...)``, or one that prepares the class
    (pygments' token tables, typing's ``Annotated``), is not a singleton.
    """
    cache = any(
        value.kind in {"container", "none"} and "instance" in attr.lower()
        for attr, _, value in meta.attrs
    )
    for name in _BUILDS_INSTANCE:
        method = meta.method(name)
        if method is None or not method.params:
            continue
        first = method.params[0].name
        stored = any(
            r.target == first and (r.value.callee.endswith(name) or "instance" in r.attr.lower())
            for r in method.resets
        ) or any(
            c.name.startswith(f"{first}.") and "instance" in c.name.lower() for c in method.calls
        )
        returns_stored = any(r.kind in {"other", "name"} for r in method.returns)
        if returns_stored and (cache or stored):
            return True
    return False


def _class_singleton(  # noqa: C901
    index: ProjectIndex, facts: ModuleFacts, cls: ClassFacts, singletons: list[Singleton]
) -> None:
    shape, holder = "", ""
    new = None if _is_metaclass(cls) else cls.method("__new__")
    if new is not None:
        writes = [w.name for w in new.global_writes if _caches_instance(cls, w.name, w.value)] + [
            f"cls.{r.attr}"
            for r in new.resets
            if r.target == cls.name and _caches_instance(cls, r.attr, r.value)
        ]
        if writes and (new.checked or any(c.name == "hasattr" for c in new.calls)):
            shape, holder = "new_singleton", writes[0].partition(".")[2]
    accessor = _instance_accessor(cls)
    if not shape and accessor is not None:
        own = [
            w for w in accessor.global_writes if "." in w.name and _self_construction(cls, w.value)
        ]
        if own and accessor.checked:
            shape, holder = "new_singleton", own[0].name.partition(".")[2]
    if not shape and cls.metaclass:
        meta = index.classes.get(index.resolve(facts, cls.metaclass))
        if meta is not None:
            if _metaclass_caches(meta[1]):
                shape, holder = "metaclass_singleton", meta[1].name
        elif "singleton" in cls.metaclass.lower():
            shape, holder = "metaclass_singleton", cls.metaclass
    if not shape:
        for decorator in cls.decorators:
            if "singleton" in decorator.rpartition(".")[2].lower():
                shape, holder = "decorator_singleton", decorator
    if not shape:
        return
    name = accessor.name if accessor is not None else cls.name
    singletons.append(
        Singleton(
            shape=shape,
            facts=facts,
            anchor=cls.line,
            accessor=f"{cls.name}.{name}" if accessor is not None else cls.name,
            accessor_qual=f"{facts.module}.{cls.name}"
            + (f".{accessor.name}" if accessor is not None else ""),
            holder=holder,
            holder_qual=f"{facts.module}.{cls.name}.{holder}",
            target=Target(True, f"{facts.module}.{cls.name}", cls.name, holds=cls.name),  # noqa: FBT003
            function=accessor,
            cls=cls,
        )
    )


def _class_cached(
    index: ProjectIndex, facts: ModuleFacts, cls: ClassFacts, singletons: list[Singleton]
) -> None:
    for attr, line, value in cls.attrs:
        if value.kind != "none":
            continue
        for method in cls.methods:
            if method.name == "__new__":
                continue
            writes = [w.value for w in method.global_writes if w.name == f"cls.{attr}"] + [
                r.value for r in method.resets if r.target == cls.name and r.attr == attr
            ]
            built = next((v for v in writes if v.kind == "call"), None)
            if built is None or _self_construction(cls, built):
                continue
            target = classify(index, facts, built)
            if not target.is_service:
                continue
            singletons.append(
                Singleton(
                    shape="class_cached_client",
                    facts=facts,
                    anchor=line,
                    accessor=f"{cls.name}.{method.name}",
                    accessor_qual=f"{facts.module}.{cls.name}.{method.name}",
                    holder=attr,
                    holder_qual=f"{facts.module}.{cls.name}.{attr}",
                    target=Target(True, f"{facts.module}.{cls.name}", cls.name, holds=target.name),  # noqa: FBT003
                    function=method,
                    cls=cls,
                    construction=built,
                )
            )
            break


def _module_instances(
    index: ProjectIndex, facts: ModuleFacts, instances: Counter[str], singletons: list[Singleton]
) -> None:
    for assign in facts.assigns:
        name = assign.name
        if assign.value.kind != "call" or name.startswith("__") or "log" in name.lower():
            continue
        target = classify(index, facts, assign.value)
        if not target.is_service or target.external:
            continue
        if instances[target.qualified] >= 3:  # noqa: PLR2004 - sentinels and table cells repeat
            continue
        if name.isupper() and not looks_like_service_name(target.name):
            continue
        singletons.append(
            Singleton(
                shape="module_instance",
                facts=facts,
                anchor=assign.line,
                accessor=name,
                accessor_qual=f"{facts.module}.{name}",
                holder=name,
                holder_qual=f"{facts.module}.{name}",
                target=target,
                construction=assign.value,
            )
        )
