"""Get every module's facts: from the cache when the file is unchanged, else by parsing.

Parsing runs in a pool of processes (``spawn``, so it is safe in threaded programs), the
biggest files first, in chunks of similar weight; each worker sends back packed facts that
are decoded here and kept, as they are, for the cache.
"""

from __future__ import annotations

import multiprocessing
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field

from rescope.audit._cache import RACY_NS, FactsCache, Manifest, cache_key
from rescope.audit._discovery import Discovery, SourceFile
from rescope.audit._facts import ModuleFacts, unpack
from rescope.audit._worker import Job, Parsed, init_worker, parse_many

__all__ = ["PARALLEL_THRESHOLD", "Loaded", "Progress", "file_keys", "load_facts"]

#: Fewer files than this are parsed in-process: starting workers would cost more.
PARALLEL_THRESHOLD = 96
# A chunk of work for one worker: a share of the bytes, at most this many files.
_MAX_CHUNK = 96
_CHUNKS_PER_WORKER = 12
_FILE_WEIGHT = 2_000

Progress = Callable[[int, int], None]


@dataclass(slots=True)
class Loaded:
    """The facts of every file, how many came from the cache, and what to cache next."""

    modules: list[ModuleFacts]
    cached: int
    manifest: Manifest = field(default_factory=dict)
    blobs: dict[str, bytes] = field(default_factory=dict)
    parsed: int = 0


def file_keys(discovery: Discovery, cache: FactsCache, codes: str) -> dict[str, str]:
    """The content hash of each readable file: from the manifest when its size and mtime
    match, else by reading and hashing it.
    """  # noqa: D205
    keys: dict[str, str] = {}
    for file in discovery.files:
        key = cache.known_key(file.rel, file.size, file.mtime_ns)
        if key is None:
            try:
                data = file.path.read_bytes()
            except OSError:
                continue
            key = cache_key(
                data, rel=file.rel, module=file.module, is_package=file.is_package, codes=codes
            )
        keys[file.rel] = key
    return keys


def load_facts(  # noqa: C901, PLR0913 - one pass over the files, every input named
    discovery: Discovery,
    codes: tuple[str, ...],
    *,
    cache: FactsCache | None,
    keys: dict[str, str],
    jobs: int,
    progress: Progress | None,
) -> Loaded:
    """Decode the cached facts of files whose hash is in ``cache``; parse the others.

    Args:
        discovery: The files to audit.
        codes: Codes of the rules whose ``collect`` runs on each module.
        cache: The loaded cache, or ``None`` when caching is off.
        keys: Content hashes from :func:`file_keys` (empty without a cache).
        jobs: Worker processes to use for parsing.
        progress: Called with ``(files done, files total)``.
    """
    trusted_before = time.time_ns() - RACY_NS
    by_rel = {f.rel: f for f in discovery.files}
    loaded = Loaded(modules=[], cached=0)
    facts: dict[str, ModuleFacts] = {}

    def keep(file: SourceFile, key: str, blob: bytes) -> None:
        mtime = file.mtime_ns if file.mtime_ns < trusted_before else -1
        loaded.manifest[file.rel] = (file.size, mtime, key)
        loaded.blobs[key] = blob

    misses: list[Job] = []
    for file in discovery.files:
        key = keys.get(file.rel)
        blob = cache.blobs.get(key) if cache is not None and key else None
        if key and blob is not None:
            try:
                facts[file.rel] = unpack(blob)
            except ValueError:
                pass
            else:
                keep(file, key, blob)
                continue
        misses.append((str(file.path), file.rel, file.module, file.is_package))
    loaded.cached = len(facts)
    total = len(discovery.files)
    if progress is not None:
        progress(len(facts), total)
    if len(misses) < PARALLEL_THRESHOLD or jobs <= 1:
        batches = _serially(misses, codes)
    else:
        batches = _in_pool(misses, by_rel, codes, jobs)

    def take(batches: Iterator[list[Parsed]]) -> None:
        for batch in batches:
            for rel, key, blob in batch:
                facts[rel] = unpack(blob)
                if key and cache is not None:  # the manifest and blobs feed the cache alone
                    keep(by_rel[rel], key, blob)
            if progress is not None:
                progress(len(facts), total)

    try:
        take(batches)
    except (BrokenProcessPool, OSError):
        # Workers could not start (no process support, or a script that starts the audit
        # at import time without an `if __name__ == "__main__":` guard): go on here.
        take(_serially([job for job in misses if job[1] not in facts], codes))
    loaded.parsed = len(misses)
    loaded.modules = [facts[f.rel] for f in discovery.files if f.rel in facts]
    return loaded


def _serially(jobs: list[Job], codes: tuple[str, ...]) -> Iterator[list[Parsed]]:
    for job in jobs:
        yield parse_many([job], codes)


def _in_pool(
    jobs: list[Job], files: dict[str, SourceFile], codes: tuple[str, ...], workers: int
) -> Iterator[list[Parsed]]:
    """Parse in ``workers`` processes, biggest files first, in chunks of similar weight."""
    jobs = sorted(jobs, key=lambda job: -files[job[1]].size)
    weight_of = {job[1]: files[job[1]].size + _FILE_WEIGHT for job in jobs}
    budget = max(1, sum(weight_of.values()) // (workers * _CHUNKS_PER_WORKER))
    chunks: list[list[Job]] = [[]]
    weight = 0
    for job in jobs:
        if chunks[-1] and (weight >= budget or len(chunks[-1]) >= _MAX_CHUNK):
            chunks.append([])
            weight = 0
        chunks[-1].append(job)
        weight += weight_of[job[1]]
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(
        max_workers=min(workers, len(chunks)), mp_context=context, initializer=init_worker
    ) as pool:
        futures = [pool.submit(parse_many, chunk, codes) for chunk in chunks]
        for future in as_completed(futures):
            yield future.result()
