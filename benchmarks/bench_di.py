"""The DI container against its peers: singleton get, and a request-scope cycle.

Scenarios (each implementation uses its fastest documented API):

* **singleton get**: resolve an app singleton that already exists.
* **scope cycle**: enter a request scope, build ``Svc(S1, S2, R1)`` (S1, S2 app
  singletons, R1 request-scoped), exit the scope.
* **scope cycle, async**: the same with ``async with`` and an awaited get.
* **scope cycle + cleanup**: R1 comes from a generator whose cleanup runs on exit.
* **scope cycle + cleanup, async**: R1 from an async generator, async scope.

Peers without a per-request scope (dependency-injector) build R1 with a plain factory in
the scope cycle (the same work, as Svc is resolved once per request) and show "—" where
per-request cleanup or async resolution cannot be expressed. that-depends resolves R1 with
a ``Factory`` inside ``container_context`` and with a ``ContextResource`` for cleanup.
"""

import sys
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

from benchmarks._harness import Case, matrix_table, measure

PEERS = ["dishka", "wireup", "that-depends", "dependency-injector", "svcs"]

SINGLETON = "singleton get"
CYCLE = "scope cycle"
ACYCLE = "scope cycle, async"
GEN = "scope cycle + cleanup"
AGEN = "scope cycle + cleanup, async"
SCENARIOS = [SINGLETON, CYCLE, ACYCLE, GEN, AGEN]


def classes() -> dict[str, Any]:
    """Fresh service classes and generators (peers may decorate them)."""

    class S1:
        pass

    class S2:
        pass

    class R1:
        pass

    class Svc:
        def __init__(self, a: S1, b: S2, r: R1) -> None:
            self.a, self.b, self.r = a, b, r

    def gen_r1() -> Iterator[R1]:
        yield R1()

    async def agen_r1() -> AsyncIterator[R1]:
        yield R1()

    return {"S1": S1, "S2": S2, "R1": R1, "Svc": Svc, "gen_r1": gen_r1, "agen_r1": agen_r1}


def hand() -> dict[str, dict[str, Any]]:
    """What a hand-written application does without any container."""
    ns = classes()
    ns["d"] = {ns["S1"]: ns["S1"](), ns["S2"]: ns["S2"]()}
    ns["s1"], ns["s2"] = ns["d"][ns["S1"]], ns["d"][ns["S2"]]
    return {
        SINGLETON: {"stmt": "d[S1]", "ns": ns},
        CYCLE: {"stmt": "Svc(s1, s2, R1())", "ns": ns},
        ACYCLE: {"stmt": "Svc(s1, s2, R1())", "ns": ns, "async": True},
        GEN: {"stmt": "g = gen_r1(); Svc(s1, s2, next(g)); next(g, None)", "ns": ns},
        AGEN: {
            "stmt": "g = agen_r1(); Svc(s1, s2, await anext(g)); await anext(g, None)",
            "ns": ns,
            "async": True,
        },
    }


def rescope_cases() -> dict[str, dict[str, Any]]:
    from rescope import Container, Registry, Scope

    def build(r1_provider: Callable[..., Any], ns: dict[str, Any]) -> Container:
        registry = Registry()
        registry.add(ns["S1"])
        registry.add(ns["S2"])
        registry.add(r1_provider, scope=Scope.REQUEST)
        registry.add(ns["Svc"], scope=Scope.REQUEST)
        container = Container(registry)
        container.get(ns["S1"])
        container.get(ns["S2"])
        return container

    ns = classes()
    ns.update(
        c=build(ns["R1"], ns),
        cg=build(ns["gen_r1"], ns),
        ca=build(ns["agen_r1"], ns),
        REQUEST=Scope.REQUEST,
    )
    ns["get"] = ns["c"].get
    return {
        SINGLETON: {"stmt": "get(S1)", "ns": ns},
        CYCLE: {"stmt": "with c.scope(REQUEST) as s:\n    s.get(Svc)", "ns": ns},
        ACYCLE: {
            "stmt": "async with c.scope(REQUEST) as s:\n    await s.aget(Svc)",
            "ns": ns,
            "async": True,
        },
        GEN: {"stmt": "with cg.scope(REQUEST) as s:\n    s.get(Svc)", "ns": ns},
        AGEN: {
            "stmt": "async with ca.scope(REQUEST) as s:\n    await s.aget(Svc)",
            "ns": ns,
            "async": True,
        },
    }


def dishka_cases() -> dict[str, dict[str, Any]]:
    from dishka import Provider, make_async_container, make_container
    from dishka import Scope as DScope

    def provider(r1: Callable[..., Any], ns: dict[str, Any]) -> Provider:
        p = Provider(scope=DScope.APP)
        p.provide(ns["S1"])
        p.provide(ns["S2"])
        p.provide(r1, scope=DScope.REQUEST)
        p.provide(ns["Svc"], scope=DScope.REQUEST)
        return p

    ns = classes()
    c = make_container(provider(ns["R1"], ns))
    ns.update(
        c=c,
        cg=make_container(provider(ns["gen_r1"], ns)),
        ac=make_async_container(provider(ns["R1"], ns)),
        acg=make_async_container(provider(ns["agen_r1"], ns)),
    )
    c.get(ns["S1"])
    return {
        SINGLETON: {"stmt": "c.get(S1)", "ns": ns},
        CYCLE: {"stmt": "with c() as r:\n    r.get(Svc)", "ns": ns},
        ACYCLE: {"stmt": "async with ac() as r:\n    await r.get(Svc)", "ns": ns, "async": True},
        GEN: {"stmt": "with cg() as r:\n    r.get(Svc)", "ns": ns},
        AGEN: {"stmt": "async with acg() as r:\n    await r.get(Svc)", "ns": ns, "async": True},
    }


def wireup_cases() -> dict[str, dict[str, Any]]:
    import wireup

    def container(ns: dict[str, Any], r1: Any, *, is_async: bool) -> Any:
        injectables = [
            wireup.injectable(ns["S1"]),
            wireup.injectable(ns["S2"]),
            wireup.injectable(r1, lifetime="scoped"),
            wireup.injectable(ns["Svc"], lifetime="scoped"),
        ]
        create = wireup.create_async_container if is_async else wireup.create_sync_container
        return create(injectables=injectables)

    out: dict[str, dict[str, Any]] = {}
    for scenario, r1_name, is_async in [
        (CYCLE, "R1", False),
        (ACYCLE, "R1", True),
        (GEN, "gen_r1", False),
        (AGEN, "agen_r1", True),
    ]:
        ns = classes()
        ns["c"] = container(ns, ns[r1_name], is_async=is_async)
        if is_async:
            stmt = "async with c.enter_scope() as s:\n    await s.get(Svc)"
        else:
            stmt = "with c.enter_scope() as s:\n    s.get(Svc)"
        out[scenario] = {"stmt": stmt, "ns": ns, "async": is_async}
        if scenario == CYCLE:
            ns["c"].get(ns["S1"])
            out[SINGLETON] = {"stmt": "c.get(S1)", "ns": ns}
    return out


def that_depends_cases() -> dict[str, dict[str, Any]]:
    from that_depends import BaseContainer, ContextScopes, container_context, providers

    ns = classes()

    class DI(BaseContainer):
        default_scope = ContextScopes.ANY
        s1 = providers.Singleton(ns["S1"])
        s2 = providers.Singleton(ns["S2"])
        r1 = providers.Factory(ns["R1"])
        svc = providers.Factory(ns["Svc"], s1.cast, s2.cast, r1.cast)
        r1g = providers.ContextResource(ns["gen_r1"])
        svcg = providers.Factory(ns["Svc"], s1.cast, s2.cast, r1g.cast)
        r1a = providers.ContextResource(ns["agen_r1"])
        svca = providers.Factory(ns["Svc"], s1.cast, s2.cast, r1a.cast)

    DI.s1.resolve_sync()
    DI.s2.resolve_sync()
    ns.update(DI=DI, ctx=container_context)
    return {
        SINGLETON: {"stmt": "DI.s1.resolve_sync()", "ns": ns},
        CYCLE: {"stmt": "with ctx(DI):\n    DI.svc.resolve_sync()", "ns": ns},
        ACYCLE: {
            "stmt": "async with ctx(DI):\n    await DI.svc.resolve()",
            "ns": ns,
            "async": True,
        },
        GEN: {"stmt": "with ctx(DI):\n    DI.svcg.resolve_sync()", "ns": ns},
        AGEN: {"stmt": "async with ctx(DI):\n    await DI.svca.resolve()", "ns": ns, "async": True},
    }


def dependency_injector_cases() -> dict[str, dict[str, Any]]:
    from dependency_injector import containers, providers

    ns = classes()

    class DIC(containers.DeclarativeContainer):
        s1 = providers.Singleton(ns["S1"])
        s2 = providers.Singleton(ns["S2"])
        svc = providers.Factory(ns["Svc"], s1, s2, providers.Factory(ns["R1"]))

    c = DIC()
    c.s1()
    ns.update(s1=c.s1, svc=c.svc)
    return {
        SINGLETON: {"stmt": "s1()", "ns": ns},
        CYCLE: {"stmt": "svc()", "ns": ns},
    }


def svcs_cases() -> dict[str, dict[str, Any]]:
    import svcs

    ns = classes()
    S1, S2, R1, Svc = ns["S1"], ns["S2"], ns["R1"], ns["Svc"]

    def registry(r1: Callable[..., Any]) -> svcs.Registry:
        reg = svcs.Registry()
        reg.register_value(S1, S1())
        reg.register_value(S2, S2())
        reg.register_factory(R1, r1)

        def make_svc(svcs_container: svcs.Container) -> Any:
            return Svc(*svcs_container.get(S1, S2, R1))

        async def amake_svc(svcs_container: svcs.Container) -> Any:
            return Svc(*(await svcs_container.aget(S1, S2, R1)))

        reg.register_factory(Svc, amake_svc if r1 is ns["agen_r1"] else make_svc)
        return reg

    long_lived = svcs.Container(registry(R1))
    long_lived.get(S1)
    ns.update(
        Container=svcs.Container,
        cl=long_lived,
        reg=registry(R1),
        regg=registry(ns["gen_r1"]),
        rega=registry(ns["agen_r1"]),
    )
    return {
        SINGLETON: {"stmt": "cl.get(S1)", "ns": ns},
        CYCLE: {"stmt": "with Container(reg) as c:\n    c.get(Svc)", "ns": ns},
        ACYCLE: {
            "stmt": "async with Container(reg) as c:\n    await c.aget(Svc)",
            "ns": ns,
            "async": True,
        },
        GEN: {"stmt": "with Container(regg) as c:\n    c.get(Svc)", "ns": ns},
        AGEN: {
            "stmt": "async with Container(rega) as c:\n    await c.aget(Svc)",
            "ns": ns,
            "async": True,
        },
    }


IMPLEMENTATIONS: dict[str, Callable[[], dict[str, dict[str, Any]]]] = {
    "hand-written": hand,
    "rescope": rescope_cases,
    "dishka": dishka_cases,
    "wireup": wireup_cases,
    "that-depends": that_depends_cases,
    "dependency-injector": dependency_injector_cases,
    "svcs": svcs_cases,
}


def main(quick: bool = False, only: list[str] | None = None) -> None:
    """Measure every implementation and scenario interleaved; print one table."""
    cases: list[Case] = []
    for impl, make in IMPLEMENTATIONS.items():
        if only and impl not in only:
            continue
        try:
            scenarios = make()
        except ImportError as exc:
            print(f"_{impl} skipped: {exc}_\n", file=sys.stderr)
            continue
        for scenario, spec in scenarios.items():
            cases.append(
                Case(
                    f"{impl}|{scenario}",
                    spec["stmt"],
                    dict(spec["ns"]),
                    is_async=spec.get("async", False),
                )
            )
    medians = measure(cases, quick=quick)
    results: dict[str, dict[str, float]] = {}
    for name, value in medians.items():
        impl, scenario = name.split("|")
        results.setdefault(impl, {})[scenario] = value
    print("### DI container\n")
    print(matrix_table(results, reference="hand-written", scenarios=SCENARIOS))
    print()


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    main(quick="--quick" in sys.argv, only=args or None)
