"""What runs in the parsing processes: read, hash, extract, pack. Kept import-light.

A worker returns each module's facts already packed (:func:`rescope.audit._facts.pack`):
bytes cross the process boundary cheaply, are decoded without running constructors, and go
into the cache as they are.
"""

from __future__ import annotations

import gc
from pathlib import Path

from rescope.audit._cache import cache_key
from rescope.audit._extract import Collector, extract
from rescope.audit._facts import ModuleFacts, ParseProblem, pack

__all__ = ["Job", "Parsed", "init_worker", "parse_many"]

# (absolute path, relative path, module, is_package)
Job = tuple[str, str, str, bool]
# (relative path, content hash or "" when the file could not be read, packed facts)
Parsed = tuple[str, str, bytes]


def init_worker() -> None:
    """Parsing makes millions of acyclic objects: the cycle collector only costs time."""
    gc.disable()


def _collectors(codes: tuple[str, ...]) -> list[tuple[str, Collector]]:
    if not codes:
        return []
    from rescope.audit.rules import RULES_BY_CODE

    out: list[tuple[str, Collector]] = []
    for code in codes:
        collect = RULES_BY_CODE[code].collect
        if collect is not None:
            out.append((code, collect))
    return out


def parse_many(jobs: list[Job], codes: tuple[str, ...]) -> list[Parsed]:
    """Extract and pack the facts of each file, with the content hash the cache keys them by."""
    collectors = _collectors(codes)
    joined = ",".join(codes)
    out: list[Parsed] = []
    for path, rel, module, is_package in jobs:
        try:
            data = Path(path).read_bytes()
        except OSError as exc:
            facts = ModuleFacts(rel, module, is_package, 0)
            facts.problem = ParseProblem(1, 0, f"cannot be read: {exc.strerror}")
            out.append((rel, "", pack(facts)))
            continue
        facts = extract(data, path=rel, module=module, is_package=is_package, collectors=collectors)
        key = cache_key(data, rel=rel, module=module, is_package=is_package, codes=joined)
        out.append((rel, key, pack(facts)))
    return out
