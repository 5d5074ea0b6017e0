"""Graph export: the validated graph as data, JSON, Mermaid and DOT."""

from __future__ import annotations

import json

import pytest

from rescope import Container, Registry, Scope
from rescope.exceptions import UnknownServiceError
from tests.di.services import Database, Request, Session, Settings, amake_database


def build(*, async_db: bool = False) -> Container:
    registry = Registry()
    registry.value(Settings("x"))
    registry.add(amake_database if async_db else Database)
    registry.add(Session, scope=Scope.REQUEST)
    registry.context(Request, scope=Scope.REQUEST)
    return Container(registry)


def test_to_dict_lists_services_in_dependency_order_with_edges() -> None:
    """Services come after what they need, with scope, kind, provider and edges."""
    data = build().graph().to_dict()
    ids = [s["id"] for s in data["services"]]
    assert ids.index("tests.di.services.Settings") < ids.index("tests.di.services.Database")
    assert ids.index("tests.di.services.Database") < ids.index("tests.di.services.Session")
    session = next(s for s in data["services"] if s["id"] == "tests.di.services.Session")
    assert session == {
        "id": "tests.di.services.Session",
        "provides": ["tests.di.services.Session"],
        "scope": "REQUEST",
        "effective_scope": "REQUEST",
        "kind": "class",
        "provider": "tests.di.services.Session",
        "is_async": False,
    }
    settings = next(s for s in data["services"] if s["id"] == "tests.di.services.Settings")
    assert settings["provider"] == "<Settings value>"
    assert {
        "source": "tests.di.services.Session",
        "target": "tests.di.services.Database",
        "parameter": "db",
    } in data["edges"]


def test_async_need_is_marked() -> None:
    """A service that needs an await (itself or through a dependency) is marked async."""
    data = build(async_db=True).graph().to_dict()
    marks = {s["id"]: s["is_async"] for s in data["services"]}
    assert marks["tests.di.services.Session"] is True
    assert marks["tests.di.services.Settings"] is False


def test_json_mermaid_and_dot() -> None:
    """The three text forms carry the same services and edges."""
    graph = build().graph()
    assert json.loads(graph.to_json()) == graph.to_dict()
    mermaid = graph.to_mermaid()
    assert mermaid.startswith("flowchart LR\n")
    assert '["tests.di.services.Session<br/>REQUEST"]' in mermaid
    assert "-->|db|" in mermaid
    dot = graph.to_dot()
    assert dot.startswith("digraph rescope {")
    assert '"tests.di.services.Session" -> "tests.di.services.Database" [label="db"];' in dot
    assert 'label="REQUEST";' in dot


def test_queries_for_integrations() -> None:
    """The graph answers which keys exist, their effective scope and a scope's context keys."""
    graph = build().graph()
    assert Session in graph
    assert int not in graph
    assert graph.scope_of(Session) is Scope.REQUEST
    assert graph.scope_of(Settings) is Scope.APP
    assert graph.context_keys(parent=Scope.APP, entered=Scope.REQUEST) == {Request}
    assert graph.context_keys(parent=Scope.REQUEST, entered=Scope.ACTION) == frozenset()
    with pytest.raises(UnknownServiceError):
        graph.scope_of(int)
