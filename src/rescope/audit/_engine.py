"""Run an audit: discover, parse (in parallel, cached), index, detect, check, report."""

from __future__ import annotations

import gc
import os
import time
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path

from rescope.audit._cache import FactsCache, result_key
from rescope.audit._config import AuditConfig, find_pyproject, load_config
from rescope.audit._discovery import Discovery, discover
from rescope.audit._facts import ModuleFacts
from rescope.audit._index import ProjectIndex
from rescope.audit._inventory import build_inventory
from rescope.audit._load import PARALLEL_THRESHOLD, Progress, file_keys, load_facts
from rescope.audit._model import AuditResult, Finding
from rescope.audit._singletons import find_singletons
from rescope.audit.rules import ALL_RULES, Context, Rule

__all__ = ["PARALLEL_THRESHOLD", "Progress", "known_rule_options", "run_audit", "select_rules"]


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
    # The facts are millions of acyclic objects: cycle collections would only re-walk them.
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _run(paths, config, progress)
    finally:
        if collecting:
            gc.enable()


def _run(
    paths: Sequence[Path], config: AuditConfig | None, progress: Progress | None
) -> AuditResult:
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
    cache: FactsCache | None = None
    keys: dict[str, str] = {}
    run_key = ""
    if config.use_cache:
        cache = FactsCache(
            config.cache_dir or discovery.root / ".rescope_cache", discovery.root, ",".join(codes)
        )
        cache.load()
        if cache.blobs:  # an empty cache can hit nothing: the workers hash what they read
            keys = file_keys(discovery, cache, ",".join(codes))
            run_key = _run_key(discovery, keys, rules, config)
            hit = _cached_result(cache, run_key, discovery, progress, started) if run_key else None
            if hit is not None:
                return hit
    loaded = load_facts(
        discovery,
        codes,
        cache=cache,
        keys=keys,
        jobs=max(1, config.jobs or os.cpu_count() or 1),
        progress=progress,
    )
    result = _analyse(loaded.modules, config, rules, discovery)
    result.cached_files = loaded.cached
    if cache is not None:
        if loaded.parsed or loaded.manifest != cache.manifest:
            cache.save(loaded.manifest, loaded.blobs)
        run_key = run_key or _run_key(
            discovery, {rel: key for rel, (_, _, key) in loaded.manifest.items()}, rules, config
        )
        if run_key:
            cache.save_result(run_key, result)
    result.seconds = time.perf_counter() - started
    return result


def _run_key(
    discovery: Discovery, keys: dict[str, str], rules: list[type[Rule]], config: AuditConfig
) -> str:
    """The key of this run's result, or ``""`` when a file has no content hash."""
    if len(keys) != len(discovery.files):
        return ""
    return result_key(
        [(f.rel, keys[f.rel]) for f in discovery.files],
        [rule.code for rule in rules],
        config.rule_options,
    )


def _cached_result(
    cache: FactsCache,
    key: str,
    discovery: Discovery,
    progress: Progress | None,
    started: float,
) -> AuditResult | None:
    """The stored result of a run with exactly these inputs, with this run's details."""
    hit = cache.result(key)
    if not isinstance(hit, AuditResult):
        return None
    if progress is not None:
        progress(len(discovery.files), len(discovery.files))
    hit.root = str(discovery.root)
    hit.skipped = discovery.skipped
    hit.cached_files = len(discovery.files)
    hit.seconds = time.perf_counter() - started
    return hit


def _analyse(
    modules: list[ModuleFacts],
    config: AuditConfig,
    rules: list[type[Rule]],
    discovery: Discovery,
) -> AuditResult:
    """Index the modules, find the singletons, build the inventory and run the rules."""
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
        suppressed=suppressed,
    )
