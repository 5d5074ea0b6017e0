"""The mutable state a service class keeps, and whether it is per user or per process.

The inventory judges each service once: it suggests the scope from the answer and records
the per-user containers for RS301.
"""

from __future__ import annotations

from collections.abc import Iterable

from rescope.audit._facts import FunctionFacts

__all__ = ["mutable_state", "per_user_state"]

# Words that name who or what a request belongs to, in attribute and parameter names.
_OWNERS = frozenset(
    {"user", "session", "connection", "conn", "client", "subscriber", "socket", "websocket"}
    | {"ws", "run", "request", "job", "tenant", "account", "chat", "conversation", "peer"}
)
_FILLS = frozenset({"append", "extend", "appendleft"})  # an ordered buffer, not a set
_DRAINS = frozenset({"clear", "popleft"})


def _words(name: str) -> set[str]:
    """``active_connections`` -> {"active", "connection"}: lower-case words, singular."""
    return {w[:-1] if w.endswith("s") and len(w) > 3 else w for w in name.lower().split("_") if w}  # noqa: PLR2004


def per_user_state(methods: Iterable[FunctionFacts], attrs: Iterable[str]) -> list[str]:
    """The containers among ``attrs`` that hold state per user rather than per process.

    A container is per-user when its name says whose entries it holds (``connections``,
    ``sessions``, ``runs_by_user``), when a public method that mutates it takes an owner's
    identifier (``user_id``, ``session_id``, ``websocket``), or when it is an ordered buffer
    that a public method appends to and another drains while returning a result
    (``feed(chunk)``, then ``finish()`` joins and clears it): one call's data. A registry
    the process fills (collectors, hooks, type caches, adapters) is shared on purpose and is
    not reported.
    """
    methods = [m for m in methods if m.name != "__init__"]
    out = []
    for attr in attrs:
        if _words(attr) & _OWNERS:
            out.append(attr)
            continue
        touching = [
            m
            for m in methods
            if attr in m.self_mutations
            or attr in m.self_appends
            or any(c.name.startswith(f"self.{attr}.") for c in m.calls)
        ]
        by_owner = any(
            not m.name.startswith("_") and any(_words(p.name) & _OWNERS for p in m.params[1:])
            for m in touching
            if attr in m.self_mutations or attr in m.self_appends
        )
        fills = any(
            not m.name.startswith("_")
            and any(c.name == f"self.{attr}.{f}" for c in m.calls for f in _FILLS)
            for m in touching
        )
        drains = any(
            not m.name.startswith("_")
            and m.returns
            and any(c.name == f"self.{attr}.{d}" for c in m.calls for d in _DRAINS)
            for m in touching
        )
        if by_owner or (fills and drains):
            out.append(attr)
    return out


def mutable_state(methods: Iterable[FunctionFacts]) -> tuple[list[str], list[str]]:
    """Instance containers (``self.x = {}``) that methods other than ``__init__`` mutate:
    ``(keyed by some id, only appended to)``.
    """  # noqa: D205
    methods = list(methods)
    containers = {
        attr
        for m in methods
        if m.name == "__init__"
        for attr, kind in m.self_inits
        if kind == "container"
    }
    keyed: set[str] = set()
    appended: set[str] = set()
    for m in methods:
        if m.name != "__init__":
            keyed |= m.self_mutations
            appended |= m.self_appends
    return sorted(containers & keyed), sorted((containers & appended) - keyed)
