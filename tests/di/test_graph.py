"""Graph export: the validated graph as data, JSON, Mermaid and DOT."""

from __future__ import annotations

import json

import pytest

from rescope import Container, Registry, Scope
from rescope.di import Lazy, ScopedContainer
from rescope.exceptions import UnknownServiceError
from tests.di.services import Database, Request, Session, Settings, amake_database


class Auditor:
    """App-wide, reaches the current request's session through a lazy."""

    def __init__(self, session: Lazy[Session]) -> None:
        self.session = session


class Unit:
    """Request-scoped, given the scope it lives in."""

    def __init__(self, scope: ScopedContainer, db: Database) -> None:
        self.scope = scope
        self.db = db


class Locator:
    """App-wide, given the container itself."""

    def __init__(self, container: Container) -> None:
        self.container = container


class Parent:
    def __init__(self, child: Lazy[Child]) -> None:
        self.child = child


class Child:
    def __init__(self, parent: Parent) -> None:
        self.parent = parent


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
        "uses_scope": False,
        "uses_container": False,
    }
    settings = next(s for s in data["services"] if s["id"] == "tests.di.services.Settings")
    assert settings["provider"] == "<Settings value>"
    assert {
        "source": "tests.di.services.Session",
        "target": "tests.di.services.Database",
        "parameter": "db",
        "kind": "direct",
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


def build_special() -> Container:
    registry = Registry()
    registry.value(Settings("x"))
    registry.add(Database)
    registry.add(Session, scope=Scope.REQUEST)
    registry.add(Auditor)
    registry.add(Unit, scope=Scope.REQUEST)
    registry.add(Locator)
    registry.add(Parent)
    registry.add(Child)
    return Container(registry)


def name(cls: type) -> str:
    return f"tests.di.test_graph.{cls.__name__}"


def test_lazy_scope_and_container_dependencies_in_the_data() -> None:
    """Lazy dependencies are edges of kind "lazy"; scope and container use is flagged."""
    data = build_special().graph().to_dict()
    edges = data["edges"]
    assert {
        "source": name(Auditor),
        "target": "tests.di.services.Session",
        "parameter": "session",
        "kind": "lazy",
    } in edges
    assert {
        "source": name(Unit),
        "target": "tests.di.services.Database",
        "parameter": "db",
        "kind": "direct",
    } in edges
    assert {e["kind"] for e in edges} == {"direct", "lazy"}
    assert [e for e in edges if e["source"] in {name(Unit), name(Locator)}] == [
        {
            "source": name(Unit),
            "target": "tests.di.services.Database",
            "parameter": "db",
            "kind": "direct",
        }
    ]
    flags = {s["id"]: (s["uses_scope"], s["uses_container"]) for s in data["services"]}
    assert flags[name(Unit)] == (True, False)
    assert flags[name(Locator)] == (False, True)
    assert flags[name(Auditor)] == (False, False)
    assert flags["tests.di.services.Session"] == (False, False)


def test_a_lazy_edge_may_close_a_cycle() -> None:
    """Two services that need each other through a lazy export both edges, in order."""
    data = build_special().graph().to_dict()
    ids = [s["id"] for s in data["services"]]
    assert ids.index(name(Parent)) < ids.index(name(Child))
    between = [
        (e["source"], e["target"], e["kind"])
        for e in data["edges"]
        if {e["source"], e["target"]} == {name(Parent), name(Child)}
    ]
    assert between == [(name(Parent), name(Child), "lazy"), (name(Child), name(Parent), "direct")]


def test_lazy_edges_are_dashed_in_mermaid_and_dot() -> None:
    """Mermaid draws a lazy edge with `-.->`, DOT with style=dashed; both label it lazy."""
    graph = build_special().graph()
    assert json.loads(graph.to_json()) == graph.to_dict()
    mermaid = graph.to_mermaid()
    ids = {
        line.split('["')[1].split("<br/>")[0]: line.split("[")[0].strip()
        for line in mermaid.splitlines()
        if '["' in line
    }
    auditor, session = ids[name(Auditor)], ids["tests.di.services.Session"]
    assert f"    {auditor} -.->|lazy session| {session}\n" in mermaid
    assert f"{ids[name(Unit)]} -->|db| {ids['tests.di.services.Database']}\n" in mermaid
    assert mermaid.count("-.->") == 2
    assert f'{ids[name(Unit)]}["{name(Unit)}<br/>REQUEST<br/>uses scope"]' in mermaid
    assert f'{ids[name(Locator)]}["{name(Locator)}<br/>APP<br/>uses container"]' in mermaid
    dot = graph.to_dot()
    assert (
        f'    "{name(Auditor)}" -> "tests.di.services.Session"'
        ' [label="lazy session", style=dashed];\n'
    ) in dot
    assert f'"{name(Unit)}" -> "tests.di.services.Database" [label="db"];' in dot
    assert dot.count("style=dashed") == 2
    assert f'"{name(Unit)}" [label="{name(Unit)}\\nuses scope"];' in dot
    assert f'"{name(Locator)}" [label="{name(Locator)}\\nuses container"];' in dot


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
