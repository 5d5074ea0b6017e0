"""Fixtures for the FastAPI integration: the sample app, in process and under uvicorn."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest
import uvicorn
from fastapi import FastAPI

from tests.fastapi.sample import make_app, user_of
from tests.servers import free_port, port_open


class Served:
    """An app running under a real uvicorn server in a thread, on a free port."""

    def __init__(self, app: FastAPI) -> None:
        self.app = app
        self.port = free_port()
        config = uvicorn.Config(
            app,
            host="127.0.0.1",
            port=self.port,
            log_level="warning",
            lifespan="on",
            ws="websockets-sansio",
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.thread.start()
        deadline = time.monotonic() + 15
        while not (self.server.started and port_open("127.0.0.1", self.port)):
            if not self.thread.is_alive() or time.monotonic() > deadline:
                msg = f"uvicorn did not start on port {self.port}"
                raise RuntimeError(msg)
            time.sleep(0.02)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=15)


def serve(app: FastAPI) -> Iterator[Served]:
    served = Served(app)
    served.start()
    try:
        yield served
    finally:
        served.stop()


@pytest.fixture(name="server")
def fixture_server() -> Iterator[Served]:
    """The sample app with user scopes keyed by ``x-user`` / ``?user=``, under uvicorn."""
    yield from serve(make_app(user_key=user_of))
