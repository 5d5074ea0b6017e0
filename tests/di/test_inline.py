"""Inline scope entry and one-call creation, used by integrations' generated code."""

from __future__ import annotations

from rescope import Container, Registry, Scope
from rescope.di import Lazy, ScopedContainer
from rescope.di._inline import direct_calls, inline_entry


class Config:
    pass


class Unit:
    def __init__(self, config: Config, retries: int = 3) -> None:
        self.config, self.retries = config, retries


class Holder:
    def __init__(self, unit: Unit) -> None:
        self.unit = unit


class Ticket:
    pass


class Mailer:
    """APP, needs the current request's Unit each time: lazies follow the current scope."""

    def __init__(self, unit: Lazy[Unit]) -> None:
        self.unit = unit


def registry() -> Registry:
    reg = Registry()
    reg.add(Config)
    reg.add(Unit, scope=Scope.REQUEST)
    reg.add(Holder, scope=Scope.REQUEST)
    reg.add(Ticket, scope=Scope.TRANSIENT)
    return reg


def enter(container: Container) -> ScopedContainer:
    """Enter REQUEST the way generated code does, from the inline entry."""
    entry = inline_entry(container, Scope.REQUEST)
    assert entry is not None
    scope = entry.cls()
    scope._p = container
    scope._s = entry.shape
    scope._c = {}
    scope._fin = scope._kids = None
    return scope


def test_a_scope_entered_inline_resolves_and_closes_like_one_from_scope() -> None:
    container = Container(registry())
    scope = enter(container)
    with scope as entered:
        holder = entered.get(Holder)
        assert holder.unit is entered.get(Unit)
        assert holder.unit.config is container.get(Config)
    assert entered.closed


def test_direct_calls_bind_app_singletons_and_defaults() -> None:
    container = Container(registry())
    entry = inline_entry(container, Scope.REQUEST)
    assert entry is not None
    unit, config, ticket = direct_calls(container, entry, [Unit, Config, Ticket])
    assert unit is not None
    assert unit.provider is Unit
    assert unit.args == (container.get(Config),)  # the default is left to the class
    assert unit.cache_key is Unit
    assert config is None  # APP: cached in the container, the compiled function checks it
    assert ticket is not None
    assert ticket.cache_key is None  # a transient is not cached


def test_direct_calls_refuse_what_another_key_creates_first() -> None:
    container = Container(registry())
    entry = inline_entry(container, Scope.REQUEST)
    assert entry is not None
    holder, unit = direct_calls(container, entry, [Holder, Unit])
    assert unit is None  # Holder creates it on the way
    assert holder is None  # its argument lives in the request: not fixed
    twice = direct_calls(container, entry, [Unit, Unit])
    assert twice == [None, None]


def test_no_inline_entry_when_lazies_follow_the_current_scope_or_closed() -> None:
    reg = registry()
    reg.add(Mailer)
    tracked = Container(reg)
    assert inline_entry(tracked, Scope.REQUEST) is None
    plain = Container(registry())
    plain.close()
    assert inline_entry(plain, Scope.REQUEST) is None


def test_overrides_change_what_direct_calls_bind() -> None:
    container = Container(registry())
    fake = Config()
    with container.override(Config, fake):
        entry = inline_entry(container, Scope.REQUEST)
        assert entry is not None
        (unit,) = direct_calls(container, entry, [Unit])
        assert unit is not None
        assert unit.args[0] is fake
