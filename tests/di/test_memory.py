"""Memory: entering and closing many scopes leaves nothing behind."""

from __future__ import annotations

import gc
import tracemalloc
from collections.abc import Iterator

import pytest

from rescope import Container, Registry, Scope


class S1:
    pass


class R1:
    pass


class Svc:
    def __init__(self, s1: S1, r1: R1) -> None:
        self.s1 = s1
        self.r1 = r1


def gen_r1() -> Iterator[R1]:
    yield R1()


@pytest.mark.parametrize("r1_provider", [R1, gen_r1], ids=["class", "generator"])
def test_ten_thousand_request_scopes_leave_no_growth(r1_provider) -> None:
    """10,000 entered-and-closed request scopes do not grow traced memory."""
    registry = Registry()
    registry.add(S1)
    registry.add(r1_provider, scope=Scope.REQUEST)
    registry.add(Svc, scope=Scope.REQUEST)
    container = Container(registry)

    def cycle(n: int) -> None:
        for _ in range(n):
            with container.scope(Scope.REQUEST) as scope:
                scope.get(Svc)

    cycle(1_000)  # warm up: shapes compiled, caches and free lists filled
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.take_snapshot()
        cycle(10_000)
        gc.collect()
        after = tracemalloc.take_snapshot()
    finally:
        tracemalloc.stop()
    growth = sum(stat.size_diff for stat in after.compare_to(before, "filename"))
    assert growth < 10_000, f"{growth} bytes kept after 10,000 scopes"
    assert not container._kids
