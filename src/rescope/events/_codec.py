"""JSON on the wire: results, error payloads and events, encoded once and checked early."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from rescope.exceptions import EventEncodingError

_encoder = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def encode(value: Any, *, what: str) -> str:
    """Return ``value`` as compact JSON text (what Starlette's ``send_json`` sends).

    Args:
        value: A JSON value.
        what: What is being sent, for the error message.

    Raises:
        EventEncodingError: ``value`` is not a JSON value (or holds NaN or infinity).
    """
    try:
        return _encoder.encode(value)
    except (TypeError, ValueError, RecursionError) as exc:
        raise EventEncodingError(what, reason=str(exc)) from exc


def decode(text: str | bytes) -> Any:
    """Return the value encoded by :func:`encode`."""
    return json.loads(text)


def error_payload(error: BaseException | Mapping[str, Any] | str) -> dict[str, object]:
    """Turn what ``notify_error()`` was given into a JSON-able payload with type and message.

    An exception becomes its qualified class name and its text; a mapping is kept as it is
    (``type`` defaults to ``"error"``); a string becomes the message.
    """
    if isinstance(error, BaseException):
        cls = type(error)
        name = (
            cls.__qualname__
            if cls.__module__ == "builtins"
            else f"{cls.__module__}.{cls.__qualname__}"
        )
        return {"type": name, "message": str(error)}
    if isinstance(error, str):
        return {"type": "error", "message": error}
    payload: dict[str, object] = {"type": "error", "message": ""}
    payload.update(error)
    return payload
