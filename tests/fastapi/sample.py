"""A sample application on rescope.fastapi, shared by the in-process and uvicorn tests."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Depends, FastAPI, Request, WebSocket
from fastapi.responses import StreamingResponse
from starlette.requests import HTTPConnection

from rescope import Registry, Scope
from rescope.exceptions import ServiceError
from rescope.fastapi import CurrentUser, Inject, from_container, message_scope, setup

_ids = itertools.count(1)


@dataclass
class Journal:
    """APP: what happened, in order, for the tests to read."""

    events: list[str] = field(default_factory=list)


class DbSession:
    """REQUEST, from a generator: open until the request scope closes."""

    def __init__(self, journal: Journal) -> None:
        self.id = next(_ids)
        self.open = True
        self.journal = journal
        self.value: str | None = None


def open_session(journal: Journal) -> Iterator[DbSession]:
    session = DbSession(journal)
    journal.events.append(f"open {session.id}")
    yield session
    session.open = False
    journal.events.append(f"close {session.id}")


class Auth:
    """REQUEST: reads the request it serves (a context value)."""

    def __init__(self, request: Request, session: DbSession) -> None:
        self.path = request.url.path
        self.session = session


class Mailer:
    """REQUEST: queues work on the request's BackgroundTasks (a context value)."""

    def __init__(self, tasks: BackgroundTasks, session: DbSession) -> None:
        self.tasks = tasks
        self.session = session

    def send_later(self, to: str) -> None:
        self.tasks.add_task(self._send, to)

    async def _send(self, to: str) -> None:
        await asyncio.sleep(0.01)
        journal = self.session.journal
        journal.events.append(f"sent {to} session-open={self.session.open}")


class UserState:
    """SESSION: one per user, shared by that user's requests and websockets."""

    def __init__(self, user: CurrentUser) -> None:
        self.user = str(user.key)
        self.id = next(_ids)
        self.messages: list[str] = []


async def user_state(user: CurrentUser, journal: Journal) -> AsyncIterator[UserState]:
    state = UserState(user)
    yield state
    journal.events.append(f"user closed {state.user}")


class Counter:
    """ACTION: one per websocket message."""

    def __init__(self) -> None:
        self.id = next(_ids)


class TeapotError(ServiceError):
    code = "teapot"
    status = 418
    title = "I'm a teapot"


def registry() -> Registry:
    reg = Registry()
    reg.add(Journal)
    reg.add(open_session, scope=Scope.REQUEST)
    reg.add(Auth, scope=Scope.REQUEST)
    reg.add(Mailer, scope=Scope.REQUEST)
    reg.add(user_state, scope=Scope.SESSION)
    reg.add(Counter, scope=Scope.REQUEST)
    reg.context(Request, scope=Scope.REQUEST)
    reg.context(BackgroundTasks, scope=Scope.REQUEST)
    reg.context(CurrentUser, scope=Scope.SESSION)
    reg.context(WebSocket, scope=Scope.REQUEST)
    return reg


def user_of(connection: HTTPConnection) -> str | None:
    return connection.headers.get("x-user") or connection.query_params.get("user")


async def current_path(auth: Inject[Auth]) -> str:
    return auth.path


router = APIRouter(prefix="/router")


@router.get("/auth")
async def router_auth(auth: Inject[Auth], session: Inject[DbSession]) -> dict[str, object]:
    return {"path": auth.path, "same": auth.session is session}


def make_app(**options: object) -> FastAPI:
    """The sample app; ``options`` go to ``setup`` (``user_key``, ``max_users``, ...)."""
    app = FastAPI()

    @app.get("/auth")
    async def auth_view(
        q: int,
        auth: Inject[Auth],
        session: Inject[DbSession],
        path: Annotated[str, Depends(current_path)],
    ) -> dict[str, object]:
        return {"q": q, "path": path, "same": auth.session is session, "id": session.id}

    @app.get("/sync")
    def sync_view(
        session: DbSession = from_container(DbSession),  # noqa: B008 - the default style
    ) -> dict[str, object]:
        return {"id": session.id, "open": session.open}

    @app.get("/stream")
    async def stream(session: Inject[DbSession]) -> StreamingResponse:
        async def body() -> AsyncIterator[bytes]:
            for i in range(3):
                await asyncio.sleep(0.01)
                yield f"{i}:{session.open}\n".encode()

        return StreamingResponse(body(), media_type="text/plain")

    @app.post("/mail")
    async def mail(mailer: Inject[Mailer]) -> dict[str, int]:
        mailer.send_later("bob")
        return {"session": mailer.session.id}

    @app.get("/user")
    async def user(state: Inject[UserState]) -> dict[str, object]:
        return {"user": state.user, "state": state.id, "messages": list(state.messages)}

    @app.get("/leak/{value}")
    async def leak(value: str, session: Inject[DbSession]) -> dict[str, object]:
        session.value = value
        await asyncio.sleep(0.01)
        return {"value": session.value, "id": session.id}

    @app.get("/teapot")
    async def teapot() -> None:
        raise TeapotError("short and stout", extensions={"spout": True})

    @app.websocket("/ws")
    async def ws(websocket: WebSocket, state: Inject[UserState]) -> None:
        await websocket.accept()
        async for text in websocket.iter_text():
            async with message_scope(websocket) as scope:
                counter = await scope.aget(Counter)
                state.messages.append(text)
                await websocket.send_json(
                    {"user": state.user, "state": state.id, "counter": counter.id, "text": text}
                )

    app.include_router(router)
    setup(app, registry(), **options)  # type: ignore[arg-type]
    return app
