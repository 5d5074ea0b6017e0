"""Many simulated users at once, each with its own HTTP client, websockets and workflow."""

from __future__ import annotations

import asyncio
import contextlib
import time
import traceback
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from typing import Any

from rescope._extras import import_extra
from rescope.exceptions import ConfigurationError
from rescope.testing._capture import EventCapture, RecordedWebSocket, decode, websocket_url
from rescope.testing._records import Exchange, SimulationResult, UserResult

__all__ = ["ConcurrentUserSimulator", "SimulatedUser", "Workflow", "bearer_headers"]

Workflow = Callable[["SimulatedUser"], Awaitable[Any]]


def bearer_headers(user_id: str) -> dict[str, str]:
    """The default auth headers of a simulated user: ``Authorization: Bearer <user_id>``."""
    return {"Authorization": f"Bearer {user_id}"}


def _recording_transport(inner: Any, result: UserResult) -> Any:
    httpx = import_extra("httpx", extra="testing", module=__name__)

    class RecordingTransport(httpx.AsyncBaseTransport):  # type: ignore[misc,name-defined]
        """Times each request to the end of its body and records it in the user's result."""

        async def handle_async_request(self, request: Any) -> Any:
            started = time.perf_counter()
            response = await inner.handle_async_request(request)
            content = await response.aread()
            latency = time.perf_counter() - started
            path = request.url.raw_path.decode("ascii", "replace")
            body = decode(content) if content else None
            result.exchanges.append(
                Exchange(request.method, path, response.status_code, body, latency)
            )
            return httpx.Response(
                response.status_code,
                headers=response.headers,
                content=content,
                request=request,
                extensions=response.extensions,
            )

        async def aclose(self) -> None:
            await inner.aclose()

    return RecordingTransport()


class SimulatedUser:
    """One simulated user, handed to its workflow.

    Attributes:
        id: The user's id (what the app's auth sees in :attr:`headers`).
        index: The user's position, from 0 (to vary workflows between users).
        headers: The auth headers sent with every request and websocket handshake.
        http: An ``httpx.AsyncClient`` on the app, with :attr:`headers`; every request is
            recorded in :attr:`result` with its latency.
        capture: Every websocket message this user received, over all its websockets.
        result: What this user did and received.
    """

    def __init__(  # noqa: PLR0913 - made by the simulator only
        self,
        user_id: str,
        index: int,
        *,
        headers: Mapping[str, str],
        http: Any,
        base_url: str | None,
        result: UserResult,
    ) -> None:
        self.id = user_id
        self.index = index
        self.headers = dict(headers)
        self.http = http
        self.result = result
        self.capture = EventCapture(f"user {user_id}", messages=result.messages)
        self._base_url = base_url

    def __repr__(self) -> str:
        return f"SimulatedUser({self.id!r})"

    @contextlib.asynccontextmanager
    async def websocket(
        self, path: str, *, headers: Mapping[str, str] | None = None
    ) -> AsyncIterator[RecordedWebSocket]:
        """Open a websocket on the app as this user; every message it receives is recorded.

        Args:
            path: The websocket path, with its query string.
            headers: Extra handshake headers (the user's auth headers are always sent).

        Raises:
            ConfigurationError: The simulator talks to an in-process app, without a server.
        """
        client = import_extra("websockets.asyncio.client", extra="testing", module=__name__)
        url = websocket_url(self._base_url, path)
        connection = await client.connect(
            url, additional_headers={**self.headers, **(headers or {})}, proxy=None
        )
        socket = RecordedWebSocket(connection, EventCapture(path, parent=self.capture))
        try:
            yield socket
        finally:
            await socket.close()

    async def wait_for(
        self,
        predicate: Callable[[Any], bool] | str | None = None,
        *,
        count: int = 1,
        timeout: float = 10.0,  # noqa: ASYNC109 - a per-call wait, as in asyncio.wait_for
    ) -> list[Any]:
        """Wait for messages on any of this user's websockets; see ``EventCapture.wait_for``.

        Raises:
            TimeoutError: Fewer than ``count`` matched in time.
        """
        return await self.capture.wait_for(predicate, count=count, timeout=timeout)


class ConcurrentUserSimulator:
    """Runs N simulated users against an app at the same time and collects what each received.

    Each user has its own ``httpx.AsyncClient`` (its own connections) and auth headers,
    opens websockets with the ``websockets`` client, and runs the workflow. All users
    start together once their clients exist. A workflow that raises does not stop the
    others: its error is recorded in the user's result.

    Args:
        base_url: The running server (``http://127.0.0.1:8000``), for HTTP and websockets.
        app: Instead of ``base_url``, an ASGI app called in-process over httpx's
            ``ASGITransport`` (HTTP only; run its lifespan yourself).
        headers: The auth headers of a user id (default: ``Authorization: Bearer <id>``).
        timeout: Seconds each HTTP request may take.

    Raises:
        ConfigurationError: When neither or both of ``base_url`` and ``app`` are given.
    """

    def __init__(
        self,
        base_url: str | None = None,
        *,
        app: Any = None,
        headers: Callable[[str], Mapping[str, str]] = bearer_headers,
        timeout: float = 30.0,
    ) -> None:
        if (base_url is None) == (app is None):
            raise ConfigurationError(
                "ConcurrentUserSimulator needs exactly one target: the URL of a running"
                " server, or an ASGI app to call in-process.",
                setting="base_url",
                hint="`ConcurrentUserSimulator('http://127.0.0.1:8000')` or"
                " `ConcurrentUserSimulator(app=app)`.",
            )
        self.base_url = base_url.rstrip("/") if base_url is not None else None
        self.app = app
        self.headers = headers
        self.timeout = timeout

    async def run(
        self,
        workflow: Workflow,
        *,
        users: int | Sequence[str] = 10,
    ) -> SimulationResult:
        """Run ``workflow`` once per user, all users concurrently; return their results.

        Args:
            workflow: ``async def workflow(user: SimulatedUser)``; what it returns is kept
                in the user's result as ``value``.
            users: How many users (ids ``user-0``, ``user-1``, ...) or their ids.
        """
        httpx = import_extra("httpx", extra="testing", module=__name__)
        ids = [f"user-{i}" for i in range(users)] if isinstance(users, int) else list(users)
        results = {uid: UserResult(uid) for uid in ids}
        start = asyncio.Event()
        async with contextlib.AsyncExitStack() as stack:
            simulated = []
            for index, uid in enumerate(ids):
                if self.app is not None:
                    inner = httpx.ASGITransport(app=self.app)
                else:
                    inner = httpx.AsyncHTTPTransport()
                client = await stack.enter_async_context(
                    httpx.AsyncClient(
                        transport=_recording_transport(inner, results[uid]),
                        base_url=self.base_url or "http://testserver",
                        headers=self.headers(uid),
                        timeout=self.timeout,
                    )
                )
                simulated.append(
                    SimulatedUser(
                        uid,
                        index,
                        headers=self.headers(uid),
                        http=client,
                        base_url=self.base_url,
                        result=results[uid],
                    )
                )
            tasks = [asyncio.create_task(_run_one(workflow, user, start)) for user in simulated]
            started = time.perf_counter()
            start.set()
            await asyncio.gather(*tasks)
            elapsed = time.perf_counter() - started
        return SimulationResult(results, elapsed)


async def _run_one(workflow: Workflow, user: SimulatedUser, start: asyncio.Event) -> None:
    await start.wait()
    try:
        user.result.value = await workflow(user)
    except Exception as exc:  # noqa: BLE001 - recorded per user, reported by raise_errors()
        where = traceback.extract_tb(exc.__traceback__)[-1]
        user.result.errors.append(
            f"{type(exc).__name__}: {exc} (at {where.filename}:{where.lineno})"
        )
