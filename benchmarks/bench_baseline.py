"""The harness's floor: what a dict lookup and a plain call cost on this machine."""

from __future__ import annotations

import sys

from benchmarks._harness import Case, matrix_table, measure

PEERS: list[str] = []


def main(quick: bool = False) -> None:
    """Print the cost of the cheapest operations, the floor every other table sits on."""

    class Svc:
        pass

    ns = {"d": {Svc: Svc()}, "Svc": Svc, "f": lambda: None}
    results = measure(
        [
            Case("dict lookup", "d[Svc]", dict(ns)),
            Case("call", "f()", dict(ns)),
            Case("await coroutine", "await g()", {"g": _noop}, is_async=True),
        ],
        quick=quick,
    )
    print("### Baseline\n")
    print(matrix_table({"python": results}, reference="python"))
    print()


async def _noop() -> None:
    return None


if __name__ == "__main__":
    main(quick="--quick" in sys.argv)
