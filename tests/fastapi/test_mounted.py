"""A mounted sub-application that calls ``setup`` itself serves its routes from its container."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from rescope import Container, Registry, Scope
from rescope.fastapi import Inject, setup
from tests.fastapi.conftest import serve


@dataclass
class Log:
    """APP of one container: what its services did."""

    name: str = "?"
    events: list[str] = field(default_factory=list)


class Unit:
    """REQUEST: says which container made it."""

    def __init__(self, log: Log) -> None:
        self.log = log


def unit(log: Log) -> Iterator[Unit]:
    yield Unit(log)
    log.events.append("unit closed")


def registry(name: str) -> Registry:
    def make_log() -> Iterator[Log]:
        log = Log(name)
        yield log
        log.events.append("app closed")

    reg = Registry()
    reg.add(make_log)
    reg.add(unit, scope=Scope.REQUEST)
    return reg


def app_with(name: str) -> FastAPI:
    app = FastAPI()

    @app.get("/which")
    async def which(service: Inject[Unit]) -> str:
        return service.log.name

    return app


def test_mounted_app_with_its_own_setup_uses_its_own_container() -> None:
    """A mounted app with its own setup serves from its container, started by the outer app."""
    inner = app_with("inner")
    inner_integration = setup(inner, registry("inner"))  # built at the outer app's startup
    outer = app_with("outer")
    outer.mount("/sub", inner)
    setup(outer, registry("outer"))
    with TestClient(outer) as client:
        assert client.get("/which").json() == "outer"
        assert client.get("/sub/which").json() == "inner"
        assert client.get("/which").json() == "outer"  # the outer keys came back
        inner_log = inner_integration.container.get(Log)
        outer_log = outer.state.rescope.container.get(Log)
        assert inner_log.events == ["unit closed"]
        assert outer_log.events == ["unit closed", "unit closed"]
    assert inner_log.events[-1] == "app closed"  # the outer app's shutdown closed it
    assert outer_log.events[-1] == "app closed"


def test_mounted_app_with_a_built_container_keeps_it() -> None:
    """A mounted app set up with a built container serves from it, not the outer container."""
    inner = app_with("inner")
    built = Container(registry("built"))
    setup(inner, built)
    outer = FastAPI()
    outer.mount("/sub", inner)
    setup(outer, registry("outer"))
    with TestClient(outer) as client:
        assert client.get("/sub/which").json() == "built"


@pytest.mark.anyio
async def test_mounted_app_under_uvicorn() -> None:
    """Under a real uvicorn, the outer lifespan starts the mounted app's container and closes it."""
    inner = app_with("inner")
    inner_integration = setup(inner, registry("inner"))
    outer = app_with("outer")
    outer.mount("/sub", inner)
    setup(outer, registry("outer"))
    for served in serve(outer):
        async with httpx.AsyncClient(base_url=served.url) as client:
            answers = [(await client.get(path)).json() for path in ("/sub/which", "/which")]
        inner_log = inner_integration.container.get(Log)
    assert answers == ["inner", "outer"]
    assert inner_log.events == ["unit closed", "app closed"]
