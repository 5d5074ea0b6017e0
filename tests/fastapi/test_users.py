"""UserScopes: shared per key, reference-counted, bounded by count and idle time."""

from __future__ import annotations

import pytest

from rescope import Container, Registry, Scope
from rescope.fastapi import CurrentUser, UserScopes


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


class State:
    def __init__(self, user: CurrentUser) -> None:
        self.user = user.key


@pytest.fixture(name="closed")
def fixture_closed() -> list[str]:
    """Users whose scopes were finalized, in order."""
    return []


@pytest.fixture(name="users")
def fixture_users(closed: list[str]) -> UserScopes:
    """A pool of at most two idle user scopes kept for 10 s on a fake clock."""

    def state(user: CurrentUser):
        yield State(user)
        closed.append(str(user.key))

    registry = Registry()
    registry.add(state, scope=Scope.SESSION, provides=State)
    registry.context(CurrentUser, scope=Scope.SESSION)
    container = Container(registry)
    clock = Clock()

    def enter(key):
        return container.scope(Scope.SESSION, context={CurrentUser: CurrentUser(key)})

    pool = UserScopes(enter, max_users=2, idle_ttl=10, clock=clock)
    pool.clock = clock  # type: ignore[attr-defined]
    return pool


pytestmark = pytest.mark.anyio


async def test_one_scope_per_key(users: UserScopes) -> None:
    """Acquiring one key twice gives the same scope; another key gets another scope."""
    a1, a2, b = users.acquire("a"), users.acquire("a"), users.acquire("b")
    assert a1 is a2
    assert a1.refs == 2
    assert a1.scope.get(State) is a2.scope.get(State)
    assert b.scope.get(State).user == "b"


async def test_least_recently_used_idle_scope_is_evicted(
    users: UserScopes, closed: list[str]
) -> None:
    """Past max_users, the least recently used idle scope is closed and its finalizer runs."""
    for key in ("a", "b", "c"):
        lease = users.acquire(key)
        lease.scope.get(State)
        users.clock.now += 1  # type: ignore[attr-defined]
        await users.release(lease)
    assert closed == ["a"]
    assert list(users._leases) == ["b", "c"]


async def test_scope_in_use_is_never_evicted(users: UserScopes, closed: list[str]) -> None:
    """A scope with an open request survives eviction and expiry; it goes once released."""
    busy = users.acquire("busy")
    busy.scope.get(State)
    for key in ("x", "y"):
        lease = users.acquire(key)
        lease.scope.get(State)
        await users.release(lease)
    assert closed == ["x"]  # over the bound: the idle one goes, the busy one stays
    users.clock.now += 100  # type: ignore[attr-defined]
    assert await users.sweep() == 1
    assert closed == ["x", "y"]
    assert "busy" in users
    await users.release(busy)
    users.clock.now += 100  # type: ignore[attr-defined]
    assert await users.sweep() == 1
    assert closed == ["x", "y", "busy"]
    assert users.evicted == 3


async def test_idle_scope_expires_on_the_next_release(users: UserScopes, closed: list[str]) -> None:
    """An idle scope past its TTL is closed when another user's request ends."""
    old = users.acquire("old")
    old.scope.get(State)
    await users.release(old)
    users.clock.now += 11  # type: ignore[attr-defined]
    new = users.acquire("new")
    await users.release(new)
    assert closed == ["old"]


async def test_aclose_closes_every_scope(users: UserScopes, closed: list[str]) -> None:
    """Closing the pool closes every user scope, in use or not, newest first."""
    for key in ("a", "b"):
        users.acquire(key).scope.get(State)
    await users.aclose()
    assert closed == ["b", "a"]
    assert len(users) == 0
