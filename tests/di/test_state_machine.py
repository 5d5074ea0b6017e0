"""A Hypothesis state machine over scope enter / resolve / close and finalizer order."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from rescope import Container, Registry, Scope, ScopedContainer
from rescope.exceptions import ClosedError

LEVELS = [Scope.SESSION, Scope.REQUEST, Scope.ACTION]


class Journal:
    def __init__(self) -> None:
        self.created: list[object] = []
        self.finalized: list[object] = []


class AtSession:
    pass


class AtRequest:
    def __init__(self, parent: AtSession) -> None:
        self.parent = parent


class AtAction:
    def __init__(self, parent: AtRequest) -> None:
        self.parent = parent


def tracked(journal: Journal, value: object) -> Iterator[object]:
    journal.created.append(value)
    yield value
    journal.finalized.append(value)


def registry_for(journal: Journal) -> Registry:
    registry = Registry()
    registry.value(journal)

    def at_session(journal: Journal) -> Iterator[AtSession]:
        yield from tracked(journal, AtSession())  # type: ignore[misc]

    def at_request(parent: AtSession, journal: Journal) -> Iterator[AtRequest]:
        yield from tracked(journal, AtRequest(parent))  # type: ignore[misc]

    def at_action(parent: AtRequest, journal: Journal) -> Iterator[AtAction]:
        yield from tracked(journal, AtAction(parent))  # type: ignore[misc]

    registry.add(at_session, scope=Scope.SESSION)
    registry.add(at_request, scope=Scope.REQUEST)
    registry.add(at_action, scope=Scope.ACTION)
    return registry


SERVICES = {Scope.SESSION: AtSession, Scope.REQUEST: AtRequest, Scope.ACTION: AtAction}


class ScopeMachine(RuleBasedStateMachine):
    """Random nesting of scopes; every value is finalized once, children before parents."""

    def __init__(self) -> None:
        super().__init__()
        self.journal = Journal()
        self.container = Container(registry_for(self.journal))
        self.stack: list[ScopedContainer] = []
        self.closed: list[ScopedContainer] = []
        self.owned: dict[int, list[object]] = {}

    def current_level(self) -> Scope:
        return self.stack[-1].scope_kind if self.stack else Scope.APP

    @precondition(lambda self: self.current_level() is not Scope.ACTION)
    @rule(data=st.data())
    def enter(self, data: st.DataObject) -> None:
        deeper = [s for s in LEVELS if s > self.current_level()]
        level = data.draw(st.sampled_from(deeper))
        parent = self.stack[-1] if self.stack else self.container
        scope = parent.scope(level)
        self.stack.append(scope)
        self.owned[id(scope)] = []

    @precondition(lambda self: bool(self.stack))
    @rule(data=st.data())
    def resolve(self, data: st.DataObject) -> None:
        reachable = [s for s in LEVELS if s <= self.current_level()]
        level = data.draw(st.sampled_from(reachable))
        before = len(self.journal.created)
        value = self.stack[-1].get(SERVICES[level])
        assert self.stack[-1].get(SERVICES[level]) is value
        for created in self.journal.created[before:]:
            # the outermost open scope that covers the value's level owns it
            owner = next(s for s in self.stack if s.scope_kind >= _level_of(created))
            self.owned[id(owner)].append(created)

    @precondition(lambda self: bool(self.stack))
    @rule(depth=st.integers(min_value=0, max_value=2))
    def close(self, depth: int) -> None:
        index = max(0, len(self.stack) - 1 - depth)
        closing = self.stack[index:]
        before = len(self.journal.finalized)
        self.stack[index].close()
        expected: list[object] = []
        for scope in reversed(closing):
            expected += list(reversed(self.owned.pop(id(scope))))
        assert self.journal.finalized[before:] == expected
        self.closed += closing
        del self.stack[index:]

    @invariant()
    def closed_scopes_refuse_work(self) -> None:
        for scope in self.closed[-3:]:
            assert scope.closed
            with pytest.raises(ClosedError):
                scope.get(AtSession)

    def teardown(self) -> None:
        self.container.close()
        assert sorted(map(id, self.journal.created)) == sorted(map(id, self.journal.finalized))


def _level_of(value: object) -> Scope:
    return next(level for level, cls in SERVICES.items() if isinstance(value, cls))


TestScopeMachine = ScopeMachine.TestCase
TestScopeMachine.settings = settings(max_examples=40, stateful_step_count=20, deadline=None)
