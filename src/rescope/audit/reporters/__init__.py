"""Reporters turn an :class:`~rescope.audit.AuditResult` into text, one module per format.

A reporter is a function ``render(result) -> str``; :data:`REPORTERS` maps each
``--format`` name to it. A new format is a new module plus one entry here.
"""

from __future__ import annotations

from collections.abc import Callable

from rescope.audit._model import AuditResult as _AuditResult
from rescope.audit.reporters import _html, _json, _markdown, _sarif, _terminal
from rescope.audit.reporters._graph import render_dot, render_mermaid

__all__ = [
    "REPORTERS",
    "json_schema",
    "render",
    "render_dot",
    "render_mermaid",
]

REPORTERS: dict[str, Callable[[_AuditResult], str]] = {
    "terminal": _terminal.render,
    "json": _json.render,
    "sarif": _sarif.render,
    "markdown": _markdown.render,
    "mermaid": render_mermaid,
    "dot": render_dot,
    "html": _html.render,
}


def render(result: _AuditResult, fmt: str) -> str:
    """Render ``result`` in the format called ``fmt`` (a key of :data:`REPORTERS`).

    Raises:
        KeyError: ``fmt`` is no known format.
    """
    return REPORTERS[fmt](result)


def json_schema() -> dict[str, object]:
    """The JSON Schema of ``--format json`` output."""
    return _json.schema()
