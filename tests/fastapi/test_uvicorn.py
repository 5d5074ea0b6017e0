"""The integration under a real uvicorn server, over real sockets (httpx and websockets)."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import httpx
import pytest
from websockets.asyncio.client import connect

from tests.fastapi.conftest import Served, serve
from tests.fastapi.sample import Journal, make_app, user_of
from tests.servers import free_port


def journal(server: Served) -> list[str]:
    return server.app.state.rescope.container.get(Journal).events


def test_broken_graph_fails_uvicorn_startup(tmp_path: Path) -> None:
    """A graph missing a dependency makes uvicorn refuse to start, with the validation message."""
    (tmp_path / "broken_app.py").write_text(
        textwrap.dedent(
            """
            from fastapi import FastAPI
            from rescope import Registry
            from rescope.fastapi import Inject, setup

            class Database: ...

            class Repo:
                def __init__(self, db: Database) -> None: ...

            registry = Registry()
            registry.add(Repo)
            app = FastAPI()

            @app.get("/")
            async def index(repo: Inject[Repo]) -> str:
                return "never"

            setup(app, registry)
            """
        )
    )
    port = free_port()
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "broken_app:app",
            "--port",
            str(port),
            "--lifespan",
            "on",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode != 0
    assert "Application startup failed" in result.stderr
    assert "MissingDependencyError" in result.stderr
    assert "`broken_app.Repo` needs `broken_app.Database` (parameter `db`)" in result.stderr


async def test_streaming_response_sees_live_session_then_cleanup(server: Served) -> None:
    """A streaming body sees its request's session open; the session closes after the last chunk."""
    async with httpx.AsyncClient(base_url=server.url) as client:
        response = await client.get("/stream")
    assert response.text == "0:True\n1:True\n2:True\n"
    events = journal(server)
    session = next(e for e in events if e.startswith("open ")).split()[1]
    for _ in range(200):  # the scope closes once the last chunk is sent, maybe after we read it
        if f"close {session}" in events:
            break
        await asyncio.sleep(0.01)
    assert events == [f"open {session}", f"close {session}"]


async def test_background_task_sees_live_services(server: Served) -> None:
    """A background task queued by an injected service runs after the response, session open."""
    async with httpx.AsyncClient(base_url=server.url) as client:
        response = await client.post("/mail")
        session = response.json()["session"]
        for _ in range(200):
            if f"close {session}" in journal(server):
                break
            await asyncio.sleep(0.01)
    events = journal(server)
    assert events.index("sent bob session-open=True") < events.index(f"close {session}")


async def test_user_scope_shared_by_one_users_connections_and_isolated_between_users(
    server: Served,
) -> None:
    """Concurrent websockets and requests of one user share one SESSION; others get theirs."""
    async with (
        connect(f"{server.ws_url}/ws?user=alice") as alice1,
        connect(f"{server.ws_url}/ws?user=alice") as alice2,
        connect(f"{server.ws_url}/ws?user=bob") as bob,
    ):
        await alice1.send("a1")
        await alice2.send("a2")
        await bob.send("b1")
        first = json.loads(await alice1.recv())
        second = json.loads(await alice2.recv())
        third = json.loads(await bob.recv())
        async with httpx.AsyncClient(base_url=server.url) as client:
            alice_http = (await client.get("/user", headers={"x-user": "alice"})).json()
            bob_http = (await client.get("/user", headers={"x-user": "bob"})).json()
    assert first["state"] == second["state"] == alice_http["state"]
    assert third["state"] == bob_http["state"] != first["state"]
    assert sorted(alice_http["messages"]) == ["a1", "a2"]
    assert bob_http["messages"] == ["b1"]
    assert first["counter"] != second["counter"]  # a scope per message


async def test_eviction_runs_finalizers_and_spares_scopes_in_use() -> None:
    """Past max_users the least recently used idle user scopes are closed; one in use is kept."""
    for served in serve(make_app(user_key=user_of, max_users=2)):
        async with (
            httpx.AsyncClient(base_url=served.url) as client,
            connect(f"{served.ws_url}/ws?user=keeper") as keeper,
        ):
            await keeper.send("hold")
            await keeper.recv()
            for user in ("u1", "u2", "u3"):
                await client.get("/user", headers={"x-user": user})
            users = served.app.state.rescope.users
            # evicted scopes finish closing in the background: wait for their finalizers
            for _ in range(300):
                events = journal(served)
                if "user closed u1" in events and "user closed u2" in events:
                    break
                await asyncio.sleep(0.01)
            assert "user closed u1" in events
            assert "user closed u2" in events
            assert "user closed keeper" not in events
            assert "keeper" in users
            assert "u3" in users
        for _ in range(200):
            if "keeper" not in users or users.get("keeper").refs == 0:
                break
            await asyncio.sleep(0.01)
        keeper_scope = users.get("keeper")
        assert keeper_scope is None or keeper_scope.refs == 0


async def test_idle_user_scopes_expire_after_ttl() -> None:
    """An idle user scope past its TTL is closed by the sweeper, and its finalizer runs."""
    for served in serve(make_app(user_key=user_of, user_idle_ttl=0.1)):
        async with httpx.AsyncClient(base_url=served.url) as client:
            await client.get("/user", headers={"x-user": "sleepy"})
        for _ in range(300):
            if "user closed sleepy" in journal(served):
                break
            await asyncio.sleep(0.01)
        assert "user closed sleepy" in journal(served)
        assert "sleepy" not in served.app.state.rescope.users


async def test_200_concurrent_requests_do_not_leak(server: Served) -> None:
    """200 concurrent requests each see only their own session, and every session is closed."""
    limits = httpx.Limits(max_connections=200)
    async with httpx.AsyncClient(base_url=server.url, limits=limits, timeout=30) as client:
        responses = await asyncio.gather(*(client.get(f"/leak/v{i}") for i in range(200)))
    bodies = [r.json() for r in responses]
    assert [b["value"] for b in bodies] == [f"v{i}" for i in range(200)]
    assert len({b["id"] for b in bodies}) == 200
    deadline = time.monotonic() + 5
    events = journal(server)
    while time.monotonic() < deadline and any(f"close {b['id']}" not in events for b in bodies):
        await asyncio.sleep(0.01)
    assert all(f"close {b['id']}" in events for b in bodies)


async def test_shutdown_runs_app_and_user_finalizers() -> None:
    """Stopping uvicorn closes the open user scopes and the container."""
    served = Served(make_app(user_key=user_of))
    served.start()
    try:
        async with httpx.AsyncClient(base_url=served.url) as client:
            await client.get("/user", headers={"x-user": "carol"})
        container = served.app.state.rescope.container
        events = container.get(Journal).events
    finally:
        served.stop()
    assert "user closed carol" in events
    assert container.closed


pytestmark = pytest.mark.anyio
