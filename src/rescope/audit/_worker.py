"""What runs in the parsing processes: read, extract, cache. Kept import-light."""

from __future__ import annotations

import gc
from pathlib import Path

from rescope.audit._cache import FactsCache, cache_key
from rescope.audit._extract import Collector, extract
from rescope.audit._facts import ModuleFacts, ParseProblem

__all__ = ["Job", "init_worker", "parse_many"]

# (absolute path, relative path, module, is_package)
Job = tuple[str, str, str, bool]


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


def parse_many(jobs: list[Job], cache_dir: str | None, codes: tuple[str, ...]) -> list[ModuleFacts]:
    """Extract the facts of each file, storing them in the cache when one is given."""
    cache = FactsCache(Path(cache_dir)) if cache_dir else None
    collectors = _collectors(codes)
    joined = ",".join(codes)
    out: list[ModuleFacts] = []
    for path, rel, module, is_package in jobs:
        try:
            data = Path(path).read_bytes()
        except OSError as exc:
            facts = ModuleFacts(rel, module, is_package, 0)
            facts.problem = ParseProblem(1, 0, f"cannot be read: {exc.strerror}")
            out.append(facts)
            continue
        facts = extract(data, path=rel, module=module, is_package=is_package, collectors=collectors)
        if cache is not None:
            key = cache_key(data, rel=rel, module=module, is_package=is_package, codes=joined)
            cache.put(key, facts)
        out.append(facts)
    return out
