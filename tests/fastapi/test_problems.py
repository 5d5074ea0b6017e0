"""RescopeError and ServiceError answered as RFC 9457 problem+json."""

from __future__ import annotations

import logging

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from rescope import Registry
from rescope.exceptions import CircuitOpenError, RateLimitExceededError, UnknownServiceError
from rescope.fastapi import PROBLEM_JSON, problem_response, setup
from tests.fastapi.sample import make_app


def test_service_error_renders_its_problem_document() -> None:
    """A ServiceError answers with its status and its own problem document."""
    with TestClient(make_app()) as client:
        response = client.get("/teapot")
    assert response.status_code == 418
    assert response.headers["content-type"] == PROBLEM_JSON
    assert response.json() == {
        "type": "about:blank",
        "title": "I'm a teapot",
        "status": 418,
        "detail": "short and stout",
        "code": "teapot",
        "instance": "/teapot",
        "spout": True,
    }


@pytest.mark.parametrize(
    ("error", "status", "code", "retry_after"),
    [
        (
            RateLimitExceededError("ann", limit=5, window=60, retry_after=2.5),
            429,
            "rate_limit_exceeded",
            "3",
        ),
        (CircuitOpenError("payments", retry_after=4.0), 503, "circuit_open", "4"),
    ],
)
def test_client_actionable_errors_keep_status_and_retry_after(
    error: Exception, status: int, code: str, retry_after: str
) -> None:
    """Rate limits answer 429 and open breakers 503, with Retry-After and the message."""
    app = FastAPI()

    @app.get("/fail")
    async def fail() -> None:
        raise error

    setup(app, Registry())
    with TestClient(app) as client:
        response = client.get("/fail")
    assert response.status_code == status
    assert response.headers["retry-after"] == retry_after
    body = response.json()
    assert body["code"] == code
    assert body["detail"] == error.message


def test_internal_errors_hide_their_message_and_are_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Any other RescopeError is a 500 whose message stays in the server log."""
    app = FastAPI()

    @app.get("/fail")
    async def fail() -> None:
        raise UnknownServiceError(int)

    setup(app, Registry())
    with TestClient(app) as client, caplog.at_level(logging.ERROR, logger="rescope.fastapi"):
        response = client.get("/fail")
    assert response.status_code == 500
    assert response.json() == {
        "type": "about:blank",
        "title": "Internal server error",
        "status": 500,
        "detail": "The server failed to handle the request.",
        "code": "unknown_service",
        "instance": "/fail",
    }
    assert "nothing provides `int`" in caplog.text


def test_problem_response_without_instance() -> None:
    """``problem_response`` renders a document without ``instance`` when none is given."""
    response = problem_response(CircuitOpenError("db"))
    assert response.status_code == 503
    assert b"instance" not in response.body
    assert "retry-after" not in response.headers
