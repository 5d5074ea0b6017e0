"""What the hazard scan hands the hazard rules (RS401-RS503): small, plain, picklable facts.

:func:`~rescope.audit.rules._rs4_hazard_scan.collect_hazards` stores them as nested tuples
in the facts cache; :func:`load_hazards` turns those back into :class:`HazardFacts`.
"""

from __future__ import annotations

from typing import NamedTuple

__all__ = ["EMPTY", "Adapter", "HazardFacts", "Resource", "Site", "load_hazards"]


class Site(NamedTuple):
    """A call of interest: the function it is in, where, its name, and a rule-specific tag."""

    function: str
    line: int
    name: str
    tag: str = ""


class Adapter(NamedTuple):
    """An ``async def`` whose body only hands a sibling sync callable to an executor."""

    function: str
    line: int
    owner: str  # the class it is a method of, "" at module level
    wrapped: str  # the sibling's name


class Resource(NamedTuple):
    """A temp file or DB session/connection whose cleanup is not guaranteed."""

    function: str
    line: int
    name: str  # the creating call as written (``tempfile.mkstemp``, ``next(get_db())``)
    kind: str  # temp | db


class HazardFacts(NamedTuple):
    """Everything the hazard rules need from one module."""

    blocking: tuple[Site, ...] = ()  # calls in async context, not awaited, not offloaded
    tasks: tuple[Site, ...] = ()  # create_task/ensure_future; tag "sync" and/or "dropped"
    runners: tuple[Site, ...] = ()  # asyncio.run / run_until_complete; tag "entry" if allowed
    adapters: tuple[Adapter, ...] = ()
    polls: tuple[Site, ...] = ()  # while loops re-reading a value between sleeps
    resources: tuple[Resource, ...] = ()
    subprocesses: tuple[Site, ...] = ()  # tag "run" | "communicate" | "spawn"


EMPTY = HazardFacts()


def load_hazards(raw: object) -> HazardFacts:
    """The :class:`HazardFacts` that :func:`collect_hazards` stored as plain tuples."""
    if not isinstance(raw, tuple) or len(raw) != len(HazardFacts._fields):
        return EMPTY
    blocking, tasks, runners, adapters, polls, resources, subprocesses = raw
    return HazardFacts(
        blocking=tuple(Site._make(x) for x in blocking),
        tasks=tuple(Site._make(x) for x in tasks),
        runners=tuple(Site._make(x) for x in runners),
        adapters=tuple(Adapter._make(x) for x in adapters),
        polls=tuple(Site._make(x) for x in polls),
        resources=tuple(Resource._make(x) for x in resources),
        subprocesses=tuple(Site._make(x) for x in subprocesses),
    )
