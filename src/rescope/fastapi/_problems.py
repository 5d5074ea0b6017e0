"""RFC 9457 problem+json responses for rescope's errors and the application's ServiceErrors."""

from __future__ import annotations

import logging
import re
from typing import Any

from fastapi import FastAPI
from fastapi.responses import JSONResponse
from starlette.requests import Request

from rescope.exceptions import (
    CircuitOpenError,
    RateLimitExceededError,
    RedisUnavailableError,
    RescopeError,
    ServiceError,
)

__all__ = ["PROBLEM_JSON", "add_problem_handlers", "problem_response"]

PROBLEM_JSON = "application/problem+json"
_SERVER_ERROR = 500
logger = logging.getLogger("rescope.fastapi")

# Errors a client can act on, with the status that says so; every other RescopeError is a
# server fault whose text stays in the logs.
_STATUS: tuple[tuple[type[RescopeError], int, str], ...] = (
    (RateLimitExceededError, 429, "Too many requests"),
    (CircuitOpenError, 503, "Service unavailable"),
    (RedisUnavailableError, 503, "Service unavailable"),
)


def _code(error: BaseException) -> str:
    name = type(error).__name__.removesuffix("Error") or type(error).__name__
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def _retry_after(error: RescopeError) -> float | None:
    value = getattr(error, "retry_after", None)
    return float(value) if isinstance(value, int | float) else None


def problem_response(error: RescopeError, *, instance: str | None = None) -> JSONResponse:
    """Render ``error`` as an RFC 9457 ``application/problem+json`` response.

    A :class:`ServiceError` renders its own :meth:`~ServiceError.to_problem`. A rate limit
    answers 429 and an open breaker or unreachable Redis 503, with ``Retry-After`` when
    known; any other rescope error is a 500 whose message is logged, not sent.

    Args:
        error: The error.
        instance: The URI of this occurrence (the request path).
    """
    headers: dict[str, str] = {}
    if isinstance(error, ServiceError):
        problem: dict[str, Any] = error.to_problem(instance=instance)
        status = error.status
    else:
        status, title = _SERVER_ERROR, "Internal server error"
        for kind, kind_status, kind_title in _STATUS:
            if isinstance(error, kind):
                status, title = kind_status, kind_title
                break
        problem = {"type": "about:blank", "title": title, "status": status}
        if status == _SERVER_ERROR:
            problem["detail"] = "The server failed to handle the request."
        else:
            problem["detail"] = error.message
        problem["code"] = _code(error)
        if instance is not None:
            problem["instance"] = instance
        retry_after = _retry_after(error)
        if retry_after is not None:
            problem["retry_after"] = round(retry_after, 3)
            headers["Retry-After"] = str(max(int(retry_after + 0.999), 0))
    return JSONResponse(problem, status_code=status, headers=headers, media_type=PROBLEM_JSON)


async def _handle(request: Request, error: Exception) -> JSONResponse:
    if not isinstance(error, RescopeError):  # pragma: no cover - registered for RescopeError
        raise error
    response = problem_response(error, instance=request.url.path)
    if response.status_code >= _SERVER_ERROR:
        logger.error("%s %s failed: %s", request.method, request.url.path, error, exc_info=error)
    return response


def add_problem_handlers(app: FastAPI) -> None:
    """Answer ``RescopeError`` (``ServiceError`` included) with problem+json responses.

    Args:
        app: The application.
    """
    app.add_exception_handler(RescopeError, _handle)
