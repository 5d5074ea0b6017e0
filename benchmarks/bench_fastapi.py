"""FastAPI integration against its peers: an endpoint with three injected services.

The endpoint takes ``S1`` and ``S2`` (app singletons) and ``R1`` (one per request) and
returns a small JSON document. Two scenarios:

* **no cleanup**: ``R1`` is a plain class.
* **cleanup**: ``R1`` comes from a generator whose code after ``yield`` runs per request.

Implementations: a **hand-written** endpoint (module-level singletons, ``R1`` built in the
body, the generator driven by hand in ``try/finally``) as the reference; plain FastAPI
``Depends`` (async dependencies, an async generator for cleanup); rescope
(``Inject[T]`` + ``setup``); wireup (``Injected[T]``, its ``WireupRoute`` route class and
``setup``); dishka (``FromDishka[T]`` + ``DishkaRoute`` + ``setup_dishka``).

Two ways of calling: **raw ASGI** (the app's ``__call__`` with the scope uvicorn builds and
no-op receive/send, the framework cost alone) and **httpx** (``AsyncClient`` over
``ASGITransport``, what a test client adds). Apps are started (lifespan) before timing.
"""

import asyncio
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Annotated, Any

from benchmarks._harness import Case, fmt_ns, machine_line, markdown_table, measure

PEERS = ["dishka", "wireup", "httpx"]  # httpx: the ASGITransport rows

PLAIN = "no cleanup"
CLEANUP = "cleanup"
IMPLS = ["hand-written", "rescope", "wireup", "dishka", "FastAPI Depends"]


def classes() -> dict[str, Any]:
    class S1:
        pass

    class S2:
        pass

    class R1:
        pass

    def gen_r1() -> Iterator[R1]:
        r = R1()
        yield r

    async def agen_r1() -> AsyncIterator[R1]:
        r = R1()
        yield r

    return {"S1": S1, "S2": S2, "R1": R1, "gen_r1": gen_r1, "agen_r1": agen_r1}


def hand_app(cleanup: bool) -> Any:
    from fastapi import FastAPI

    ns = classes()
    s1, s2, R1, gen_r1 = ns["S1"](), ns["S2"](), ns["R1"], ns["gen_r1"]
    app = FastAPI()
    if cleanup:

        @app.get("/x")
        async def endpoint_cleanup() -> dict[str, bool]:
            gen = gen_r1()
            r = next(gen)
            try:
                return {"ok": s1 is not None and s2 is not None and r is not None}
            finally:
                next(gen, None)

    else:

        @app.get("/x")
        async def endpoint() -> dict[str, bool]:
            r = R1()
            return {"ok": s1 is not None and s2 is not None and r is not None}

    return app


def depends_app(cleanup: bool) -> Any:
    from fastapi import Depends, FastAPI

    ns = classes()
    S1, S2, R1 = ns["S1"], ns["S2"], ns["R1"]
    s1, s2 = S1(), S2()

    async def get_s1() -> Any:
        return s1

    async def get_s2() -> Any:
        return s2

    async def get_r1() -> Any:
        return R1()

    get_r = ns["agen_r1"] if cleanup else get_r1
    app = FastAPI()

    @app.get("/x")
    async def endpoint(
        a: Annotated[Any, Depends(get_s1)],
        b: Annotated[Any, Depends(get_s2)],
        r: Annotated[Any, Depends(get_r)],
    ) -> dict[str, bool]:
        return {"ok": a is not None and b is not None and r is not None}

    return app


def rescope_app(cleanup: bool) -> Any:
    from fastapi import FastAPI

    from rescope import Registry, Scope
    from rescope.fastapi import Inject, setup

    ns = classes()
    S1, S2, R1 = ns["S1"], ns["S2"], ns["R1"]
    registry = Registry()
    registry.add(S1)
    registry.add(S2)
    registry.add(ns["gen_r1"] if cleanup else R1, scope=Scope.REQUEST)
    app = FastAPI()

    @app.get("/x")
    async def endpoint(a: Inject[S1], b: Inject[S2], r: Inject[R1]) -> dict[str, bool]:
        return {"ok": a is not None and b is not None and r is not None}

    setup(app, registry)
    return app


def wireup_app(cleanup: bool) -> Any:
    import wireup
    import wireup.integration.fastapi
    from fastapi import APIRouter, FastAPI
    from wireup import Injected
    from wireup.integration.fastapi import WireupRoute

    ns = classes()
    S1, S2, R1 = ns["S1"], ns["S2"], ns["R1"]
    container = wireup.create_async_container(
        injectables=[
            wireup.injectable(S1),
            wireup.injectable(S2),
            wireup.injectable(ns["gen_r1"] if cleanup else R1, lifetime="scoped"),
        ]
    )
    # wireup's documented fast path: its route class hides the injected parameters
    router = APIRouter(route_class=WireupRoute)

    @router.get("/x")
    async def endpoint(a: Injected[S1], b: Injected[S2], r: Injected[R1]) -> dict[str, bool]:
        return {"ok": a is not None and b is not None and r is not None}

    app = FastAPI()
    app.include_router(router)
    wireup.integration.fastapi.setup(container, app)
    return app


def dishka_app(cleanup: bool) -> Any:
    from dishka import Provider, make_async_container
    from dishka import Scope as DScope
    from dishka.integrations.fastapi import DishkaRoute, FromDishka, setup_dishka
    from fastapi import APIRouter, FastAPI

    ns = classes()
    S1, S2, R1 = ns["S1"], ns["S2"], ns["R1"]
    provider = Provider(scope=DScope.APP)
    provider.provide(S1)
    provider.provide(S2)
    provider.provide(ns["gen_r1"] if cleanup else R1, scope=DScope.REQUEST)
    router = APIRouter(route_class=DishkaRoute)

    @router.get("/x")
    async def endpoint(a: FromDishka[S1], b: FromDishka[S2], r: FromDishka[R1]) -> dict[str, bool]:
        return {"ok": a is not None and b is not None and r is not None}

    app = FastAPI()
    app.include_router(router)
    setup_dishka(make_async_container(provider), app)
    return app


BUILDERS: dict[str, Callable[[bool], Any]] = {
    "hand-written": hand_app,
    "rescope": rescope_app,
    "wireup": wireup_app,
    "dishka": dishka_app,
    "FastAPI Depends": depends_app,
}


def uvicorn_scope() -> dict[str, Any]:
    """An HTTP scope as uvicorn's protocol builds it for each request.

    The nine keys it starts with, ``state`` (its copy of the lifespan state) among them,
    then the method and the URL's three keys once the request line is parsed. The key
    count matters beyond the lookups: what Starlette, FastAPI and the integration add per
    request lands in a dict whose table is full at 21 keys, and a scope with one key fewer
    than a real server's moves that resize from one implementation to another.
    """
    scope: dict[str, Any] = {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "server": ("bench", 80),
        "client": ("127.0.0.1", 50000),
        "scheme": "http",
        "root_path": "",
        "headers": [(b"host", b"bench"), (b"accept", b"*/*")],
        "state": {},
    }
    scope["method"] = "GET"
    scope["path"] = "/x"
    scope["raw_path"] = b"/x"
    scope["query_string"] = b""
    return scope


SCOPE = uvicorn_scope()


async def receive() -> dict[str, Any]:
    return {"type": "http.request", "body": b"", "more_body": False}


async def send(message: dict[str, Any]) -> None:
    if message["type"] == "http.response.start" and message["status"] != 200:
        raise RuntimeError(f"bench endpoint answered {message['status']}")


async def start(app: Any) -> Callable[[], Any]:
    """Run the app's lifespan startup; return a coroutine function that shuts it down."""
    inbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    outbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    task = asyncio.get_running_loop().create_task(
        app({"type": "lifespan", "asgi": {"version": "3.0"}, "state": {}}, inbox.get, outbox.put)
    )
    await inbox.put({"type": "lifespan.startup"})
    message = await outbox.get()
    if message["type"] != "lifespan.startup.complete":
        raise RuntimeError(f"startup failed: {message}")

    async def stop() -> None:
        await inbox.put({"type": "lifespan.shutdown"})
        await outbox.get()
        await task

    return stop


def main(quick: bool) -> None:
    import httpx

    from benchmarks._harness import _loop

    loop = _loop()
    apps: dict[tuple[str, str], Any] = {}
    stops = []
    for impl in IMPLS:
        for scenario, cleanup in ((PLAIN, False), (CLEANUP, True)):
            app = BUILDERS[impl](cleanup)
            stops.append(loop.run_until_complete(start(app)))
            apps[impl, scenario] = app

    results: dict[str, dict[str, dict[str, float]]] = {"raw ASGI": {}, "httpx": {}}
    for scenario in (PLAIN, CLEANUP):
        raw = [
            Case(
                f"{impl}|{scenario}",
                "await app(dict(scope), receive, send)",
                {"app": apps[impl, scenario], "scope": SCOPE, "receive": receive, "send": send},
                is_async=True,
            )
            for impl in IMPLS
        ]
        clients = {
            impl: httpx.AsyncClient(
                transport=httpx.ASGITransport(app=apps[impl, scenario]), base_url="http://bench"
            )
            for impl in IMPLS
        }
        via_httpx = [
            Case(
                f"{impl}|{scenario}",
                "r = await client.get('/x')\nif r.status_code != 200: raise RuntimeError(r.text)",
                {"client": clients[impl]},
                is_async=True,
            )
            for impl in IMPLS
        ]
        for label, cases in (("raw ASGI", raw), ("httpx", via_httpx)):
            for name, ns in measure(cases, quick=quick).items():
                impl, _, sc = name.partition("|")
                results[label].setdefault(impl, {})[sc] = ns
        for client in clients.values():
            loop.run_until_complete(client.aclose())
    for stop in stops:
        loop.run_until_complete(stop())

    print(f"## FastAPI integration\n\n{machine_line()}\n")
    for label, by_impl in results.items():
        ref = by_impl["hand-written"]
        rows = []
        for impl in IMPLS:
            cells: list[object] = [f"**{impl}**" if impl == "hand-written" else impl]
            for scenario in (PLAIN, CLEANUP):
                ns = by_impl[impl][scenario]
                rps = 1e9 / ns
                pct = 100 * ref[scenario] / ns
                cells.append(f"{rps:,.0f} req/s · {fmt_ns(ns)} · {pct:.1f}%")
            rows.append(cells)
        print(f"### {label}: req/s, time per request, % of the hand-written endpoint\n")
        print(markdown_table(["implementation", PLAIN, CLEANUP], rows))
        print()


if __name__ == "__main__":
    import sys

    main(quick="--quick" in sys.argv)
