"""An error the app turns into a response still reaches the request's generator providers."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi import FastAPI, HTTPException
from fastapi.testclient import TestClient

from rescope.di import Registry, Scope
from rescope.exceptions import ServiceError
from rescope.fastapi import Inject, setup


class Outcomes:
    """What each request-scoped unit of work ended with."""

    def __init__(self) -> None:
        self.seen: list[str] = []


class UnitOfWork:
    """Stands in for a database session: commits on success, rolls back on error."""


class OutOfStockError(ServiceError):
    code = "out_of_stock"
    status = 409
    title = "Out of stock"


def unit_of_work(outcomes: Outcomes) -> Iterator[UnitOfWork]:
    try:
        yield UnitOfWork()
    except Exception as error:
        outcomes.seen.append(f"rollback:{type(error).__name__}")
        raise
    else:
        outcomes.seen.append("commit")


@pytest.fixture(name="app")
def fixture_app() -> FastAPI:
    registry = Registry()
    registry.add(Outcomes)
    registry.add(unit_of_work, scope=Scope.REQUEST)
    app = FastAPI()

    @app.post("/ok")
    async def ok(work: Inject[UnitOfWork]) -> dict[str, bool]:
        return {"ok": work is not None}

    @app.post("/conflict")
    async def conflict(work: Inject[UnitOfWork]) -> None:
        raise OutOfStockError("the last one was sold")

    @app.post("/missing")
    def missing(work: Inject[UnitOfWork]) -> None:
        raise HTTPException(status_code=404, detail="no such order")

    setup(app, registry)
    return app


@pytest.mark.parametrize(
    ("path", "status", "outcome"),
    [
        ("/ok", 200, "commit"),
        ("/conflict", 409, "rollback:OutOfStockError"),
        ("/missing", 404, "rollback:HTTPException"),
    ],
)
def test_handled_errors_roll_back(app: FastAPI, path: str, status: int, outcome: str) -> None:
    """A handler error rendered as a response is thrown into generator providers."""
    with TestClient(app) as client:
        response = client.post(path)
        assert response.status_code == status
        assert app.state.rescope.container.get(Outcomes).seen == [outcome]
