"""Run an audit: discover, parse (in parallel, cached), index, detect, check, report."""

from __future__ import annotations

import multiprocessing
import os
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path

from rescope.audit._cache import FactsCache, cache_key
from rescope.audit._config import AuditConfig, find_pyproject, load_config
from rescope.audit._discovery import Discovery, discover
from rescope.audit._facts import ModuleFacts
from rescope.audit._index import ProjectIndex
from rescope.audit._inventory import build_inventory
from rescope.audit._model import AuditResult, Finding
from rescope.audit._singletons import find_singletons
from rescope.audit._worker import Job, init_worker, parse_many
from rescope.audit.rules import ALL_RULES, Context, Rule

__all__ = ["PARALLEL_THRESHOLD", "Progress", "known_rule_options", "run_audit", "select_rules"]

#: Fewer files than this are parsed in-process: starting workers would cost more.
PARALLEL_THRESHOLD = 96

Progress = Callable[[int, int], None]


def known_rule_options() -> dict[str, dict[str, object]]:
    """Every rule code with its options and their defaults."""
    return {rule.code: dict(rule.OPTIONS) for rule in ALL_RULES}


def select_rules(config: AuditConfig) -> list[type[Rule]]:
    """The rules ``select`` and ``ignore`` leave enabled, in code order."""
    select = [s.upper() for s in config.select]
    ignore = [s.upper() for s in config.ignore]
    chosen = []
    for rule in ALL_RULES:
        if select and "ALL" not in select and not any(rule.code.startswith(s) for s in select):
            continue
        if any(rule.code.startswith(s) for s in ignore) or "ALL" in ignore:
            continue
        chosen.append(rule)
    return chosen


def _load_facts(  # noqa: C901
    discovery: Discovery, config: AuditConfig, codes: tuple[str, ...], progress: Progress | None
) -> tuple[list[ModuleFacts], int]:
    cache_dir = config.cache_dir or discovery.root / ".rescope_cache"
    cache = FactsCache(cache_dir) if config.use_cache else None
    joined = ",".join(codes)
    facts: dict[str, ModuleFacts] = {}
    misses: list[Job] = []
    total = len(discovery.files)
    for file in discovery.files:
        if cache is not None:
            try:
                data = file.path.read_bytes()
            except OSError:
                data = b""
            key = cache_key(
                data, rel=file.rel, module=file.module, is_package=file.is_package, codes=joined
            )
            hit = cache.get(key)
            if hit is not None:
                facts[file.rel] = hit
                continue
        misses.append((str(file.path), file.rel, file.module, file.is_package))
    cached = len(facts)
    if progress is not None:
        progress(cached, total)
    cache_arg = str(cache_dir) if cache is not None else None
    jobs = max(1, config.jobs or os.cpu_count() or 1)
    if len(misses) < PARALLEL_THRESHOLD or jobs == 1:
        for job in misses:
            (one,) = parse_many([job], cache_arg, codes)
            facts[one.path] = one
            if progress is not None:
                progress(len(facts), total)
    else:
        size = max(8, min(64, len(misses) // (jobs * 6) or 1))
        chunks = [misses[i : i + size] for i in range(0, len(misses), size)]
        context = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(
            max_workers=min(jobs, len(chunks)), mp_context=context, initializer=init_worker
        ) as pool:
            futures = [pool.submit(parse_many, chunk, cache_arg, codes) for chunk in chunks]
            for future in as_completed(futures):
                for one in future.result():
                    facts[one.path] = one
                if progress is not None:
                    progress(len(facts), total)
    return [facts[f.rel] for f in discovery.files if f.rel in facts], cached


def _suppressed(finding: Finding, by_path: dict[str, ModuleFacts]) -> bool:
    facts = by_path.get(finding.path)
    if facts is None:
        return False
    codes = facts.suppressions.get(finding.line)
    return codes is not None and (not codes or finding.rule in codes)


def _number_duplicates(findings: list[Finding]) -> None:
    groups: dict[str, list[Finding]] = defaultdict(list)
    for finding in findings:
        groups[finding.fingerprint].append(finding)
    for group in groups.values():
        if len(group) > 1:
            for n, finding in enumerate(sorted(group, key=lambda f: f.line)):
                finding.fingerprint = f"{finding.fingerprint}-{n}"


def run_audit(
    paths: Sequence[Path],
    config: AuditConfig | None = None,
    *,
    progress: Progress | None = None,
) -> AuditResult:
    """Audit the Python files under ``paths`` and return findings and inventory.

    The code is only read, never imported or run.

    Args:
        paths: Files or directories; the current directory when empty.
        config: Settings; read from the nearest pyproject.toml when ``None``.
        progress: Called with ``(files done, files total)`` while parsing.

    Raises:
        AuditError: A path does not exist.
        ConfigurationError: ``[tool.rescope]`` is invalid.
    """
    started = time.perf_counter()
    paths = list(paths) or [Path()]
    pyproject = find_pyproject(paths[0])
    if config is None:
        config = load_config(pyproject, known_rules=known_rule_options())
    rules = select_rules(config)
    discovery = discover(
        paths,
        exclude=config.exclude,
        exclude_base=pyproject.parent if pyproject is not None else None,
        respect_gitignore=config.respect_gitignore,
        max_file_size=config.max_file_size,
    )
    codes = tuple(rule.code for rule in rules if rule.collect is not None)
    modules, cached = _load_facts(discovery, config, codes, progress)
    index = ProjectIndex(modules)
    singletons, caches = find_singletons(index)
    inventory = build_inventory(index, singletons, caches)
    ctx = Context(modules, index, inventory, config.rule_options)
    by_path = {m.path: m for m in modules}
    findings: list[Finding] = []
    suppressed = 0
    for rule_cls in rules:
        rule = rule_cls(config.rule_options.get(rule_cls.code))
        for finding in rule.check(ctx):
            if _suppressed(finding, by_path):
                suppressed += 1
            else:
                findings.append(finding)
    _number_duplicates(findings)
    findings.sort(key=lambda f: f.sort_key)
    return AuditResult(
        root=str(discovery.root),
        files=len(modules),
        lines=sum(m.lines for m in modules),
        findings=findings,
        services=inventory.services,
        value_caches=sorted(caches, key=lambda c: (c.path, c.line)),
        cycles=inventory.cycles,
        edges=inventory.edges,
        rules=[rule.code for rule in rules],
        skipped=discovery.skipped,
        cached_files=cached,
        suppressed=suppressed,
        seconds=time.perf_counter() - started,
    )
