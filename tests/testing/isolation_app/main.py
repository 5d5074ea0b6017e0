"""The isolation app: agent runs with websocket events, notes and a counter, per user.

Serve it with ``uvicorn tests.testing.isolation_app.main:from_env --factory``; the
environment picks the registry (``ISOLATION_MODE`` = ``scoped`` or ``singleton``), the
Redis bus (``REDIS_URL``, ``ISOLATION_NAMESPACE``) and the user scope bound
(``MAX_USERS``). Every payload that holds a user's data names its owner in ``user_id``.
"""

from __future__ import annotations

import asyncio
import os

from fastapi import FastAPI, HTTPException, WebSocket, WebSocketDisconnect
from starlette.requests import HTTPConnection

from rescope.events import ConnectionManager, EventRouter, RunRegistry
from rescope.fastapi import Inject, setup
from rescope.testing import MemoryGrowthDetector
from tests.testing.isolation_app.services import (
    NOTE_BYTES,
    RequestContext,
    Settings,
    Stats,
    Workspace,
    scoped_registry,
    singleton_registry,
)


def user_key(connection: HTTPConnection) -> str | None:
    """The user is the bearer token (a real app would verify a JWT here)."""
    auth = connection.headers.get("authorization", "")
    return auth.removeprefix("Bearer ").strip() or None


def create_app(
    mode: str = "scoped",
    *,
    redis_url: str | None = None,
    namespace: str = "isolation",
    max_users: int = 10_000,
) -> FastAPI:
    """The app with the ``scoped`` or the ``singleton`` registry."""
    settings = Settings(redis_url, namespace)
    registry = scoped_registry(settings) if mode == "scoped" else singleton_registry(settings)
    app = FastAPI()
    memory = MemoryGrowthDetector(limit=512 * 1024, top=8)

    @app.get("/whoami")
    async def whoami(
        *,
        request: Inject[RequestContext],
        workspace: Inject[Workspace],
        router: Inject[EventRouter],
        connections: Inject[ConnectionManager],
        runs: Inject[RunRegistry],
        stats: Inject[Stats],
    ) -> dict[str, object]:
        def ident(obj: object) -> str:
            return f"{stats.pid}:{id(obj):#x}"

        return {
            "pid": stats.pid,
            "instances": {
                "Workspace": workspace.instance_id,
                "EventRouter": ident(router),
                "ConnectionManager": ident(connections),
                "RunRegistry": ident(runs),
                "RequestContext": request.instance_id,
            },
        }

    @app.post("/runs/{run_id}")
    async def start_run(
        run_id: str,
        request: Inject[RequestContext],
        router: Inject[EventRouter],
        runs: Inject[RunRegistry],
    ) -> dict[str, object]:
        owner = request.caller
        runs.register(run_id, thread_id=f"thread-{owner}", data={"owner": owner})
        await router.send({"type": "agent_started", "run_id": run_id, "user_id": owner})
        await asyncio.sleep(0.005)  # the agent works
        result = f"answer for {owner}"
        await router.send(
            {"type": "agent_completed", "run_id": run_id, "user_id": owner, "result": result}
        )
        return {"run_id": run_id, "user_id": owner, "result": result}

    @app.get("/runs/{run_id}")
    async def get_run(run_id: str, runs: Inject[RunRegistry]) -> dict[str, object]:
        record = runs.find(run_id)
        if record is None:
            raise HTTPException(404, f"no run {run_id}")
        return {"run_id": run_id, "user_id": record.data["owner"], "thread": record.thread_id}

    @app.post("/runs/{run_id}/die")
    async def agent_died(
        run_id: str, request: Inject[RequestContext], router: Inject[EventRouter]
    ) -> dict[str, object]:
        event = {"type": "agent_died", "run_id": run_id, "user_id": request.caller}
        await router.send(event)
        return event

    @app.post("/notes")
    async def add_note(
        body: dict[str, str], request: Inject[RequestContext], workspace: Inject[Workspace]
    ) -> dict[str, object]:
        workspace.notes.append(
            {"user_id": request.caller, "text": body["text"], "blob": "x" * NOTE_BYTES}
        )
        return {"user_id": request.caller, "count": len(workspace.notes)}

    @app.get("/notes")
    async def list_notes(workspace: Inject[Workspace]) -> dict[str, object]:
        return {"notes": [{"user_id": n["user_id"], "text": n["text"]} for n in workspace.notes]}

    @app.post("/counter")
    async def increment(workspace: Inject[Workspace]) -> dict[str, int]:
        return {"value": await workspace.increment()}

    @app.get("/counter")
    async def counter(workspace: Inject[Workspace]) -> dict[str, int]:
        return {"value": workspace.counter}

    @app.websocket("/ws")
    async def events(websocket: WebSocket, router: Inject[EventRouter]) -> None:
        await websocket.accept()
        await router.connect(websocket)
        await websocket.send_json({"type": "connected", "pid": os.getpid()})
        try:
            while True:
                await websocket.receive_text()
        except WebSocketDisconnect:
            pass
        finally:
            router.disconnect(websocket)

    @app.post("/_debug/memory/trace")
    async def memory_trace() -> dict[str, bool]:
        memory.trace()
        return {"tracing": True}

    @app.post("/_debug/memory/start")
    async def memory_start() -> dict[str, bool]:
        memory.start()
        return {"tracing": True}

    @app.post("/_debug/memory/stop")
    async def memory_stop(users: int, stats: Inject[Stats]) -> dict[str, object]:
        await integration.users.sweep()
        extra = {
            "live_user_scopes": len(integration.users),
            "evicted": integration.users.evicted,
            "workspaces_opened": stats.opened,
            "workspaces_closed": stats.closed,
        }
        return memory.stop(users=users, extra=extra).to_dict()

    @app.get("/_debug/stats")
    async def debug_stats(stats: Inject[Stats]) -> dict[str, int]:
        return {
            "live_user_scopes": len(integration.users),
            "evicted": integration.users.evicted,
            "workspaces_opened": stats.opened,
            "workspaces_closed": stats.closed,
        }

    integration = setup(app, registry, user_key=user_key, max_users=max_users)
    return app


def from_env() -> FastAPI:
    """The app configured by the environment (for ``uvicorn --factory``)."""
    return create_app(
        os.environ.get("ISOLATION_MODE", "scoped"),
        redis_url=os.environ.get("REDIS_URL") or None,
        namespace=os.environ.get("ISOLATION_NAMESPACE", "isolation"),
        max_users=int(os.environ.get("MAX_USERS", "10000")),
    )
