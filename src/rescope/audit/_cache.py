"""The on-disk cache of module facts: one packed file per audited root, keyed by content hash.

A pack holds, for every file of the last run, the facts (:func:`rescope.audit._facts.pack`)
under the hash of the file's bytes and everything the facts depend on, plus a manifest
``relative path -> (size, mtime_ns, hash)``. A file whose size and modification time match
the manifest is not even read; any other file is read and hashed, and its facts are reused
when the hash is in the pack. The content hash is what guarantees correctness: the
manifest only saves the hashing.

Beside the pack, the result of the last run is kept under a key made of every file's hash,
the rule selection and options, and a fingerprint of the audit's own code: a run whose
inputs are all unchanged reuses it without rebuilding the index (rules look across modules,
so any edited file means a full analysis over the cached facts).

Files are written whole to a temporary file and renamed into place, so concurrent runs
each read a complete file (the last writer wins); a damaged, truncated or foreign file
fails its checksum and counts as empty, never as an error.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import marshal
import os
import pickle
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from rescope._version import __version__

__all__ = ["RACY_NS", "FactsCache", "Manifest", "cache_key", "result_key"]

# Bump when the shape of the packed facts changes without a version change.
_FORMAT = "5"
_MAGIC = b"RSCP" + _FORMAT.encode()
_DIGEST = 32
#: A file modified less than this before the run started is re-hashed on the next run:
#: coarse file-system clocks could hide an edit made in the same tick.
RACY_NS = 2_000_000_000

Manifest = dict[str, tuple[int, int, str]]


def cache_key(data: bytes, *, rel: str, module: str, is_package: bool, codes: str) -> str:
    """The key of one file's facts: its bytes plus everything the facts depend on."""
    digest = hashlib.blake2b(data, digest_size=20)
    digest.update(f"\0{rel}\0{module}\0{is_package}\0{codes}".encode())
    return digest.hexdigest()


def result_key(
    keys: Sequence[tuple[str, str]], rules: Sequence[str], options: Mapping[str, object]
) -> str:
    """The key of a whole run's result: each file's ``(path, hash)``, the rules and options."""
    digest = hashlib.blake2b(digest_size=20)
    digest.update(json.dumps([list(rules), options], sort_keys=True, default=repr).encode())
    for rel, key in keys:
        digest.update(f"\0{rel}\0{key}".encode())
    return digest.hexdigest()


@functools.cache
def code_fingerprint() -> str:
    """A hash of the audit's own source files (names, sizes, mtimes): edits invalidate."""
    package = Path(__file__).parent
    digest = hashlib.blake2b(__version__.encode(), digest_size=12)
    for path in sorted(package.rglob("*.py")):
        with contextlib.suppress(OSError):
            stat = path.stat()
            digest.update(
                f"\0{path.relative_to(package)}\0{stat.st_size}\0{stat.st_mtime_ns}".encode()
            )
    return digest.hexdigest()


class FactsCache:
    """The pack and last result of one audited root under ``<directory>/<version>/``.

    Args:
        directory: The cache directory (``.rescope_cache``).
        root: The audited root; each root (and rule selection) has its own pack.
        codes: The codes of the rules whose ``collect`` results are part of the facts.
    """

    def __init__(self, directory: Path, root: Path, codes: str = "") -> None:
        self.directory = directory / f"{__version__}-{_FORMAT}"
        name = hashlib.blake2b(f"{root}\0{codes}".encode(), digest_size=12).hexdigest()
        self.path = self.directory / f"{name}.pack"
        self.result_path = self.directory / f"{name}.result"
        self.manifest: Manifest = {}
        self.blobs: dict[str, bytes] = {}

    def load(self) -> None:
        """Read the pack; a missing, damaged or foreign pack leaves the cache empty."""
        found = _read(self.path)
        if isinstance(found, tuple) and len(found) == 2:  # noqa: PLR2004
            manifest, blobs = found
            if isinstance(manifest, dict) and isinstance(blobs, dict):
                self.manifest, self.blobs = manifest, blobs

    def known_key(self, rel: str, size: int, mtime_ns: int) -> str | None:
        """The content hash recorded for ``rel`` when its size and mtime have not changed."""
        entry = self.manifest.get(rel)
        if entry is not None and entry[0] == size and entry[1] == mtime_ns and mtime_ns >= 0:
            return entry[2]
        return None

    def save(self, manifest: Manifest, blobs: dict[str, bytes]) -> None:
        """Replace the pack atomically; a full disk or a read-only tree only costs the cache."""
        _write(self.path, (manifest, blobs), self.directory)
        self.manifest, self.blobs = manifest, blobs

    def result(self, key: str) -> object | None:
        """The result stored under ``key`` by :meth:`save_result`, or ``None``."""
        found = _read(self.result_path)
        if not (isinstance(found, tuple) and len(found) == 2 and found[0] == key):  # noqa: PLR2004
            return None
        try:
            result: object = pickle.loads(found[1])  # noqa: S301 - checksummed, ours
        except (pickle.UnpicklingError, EOFError, AttributeError, ImportError, TypeError):
            return None
        return result

    def save_result(self, key: str, result: object) -> None:
        """Keep ``result`` as the result of the run whose inputs hash to ``key``."""
        blob = pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL)
        _write(self.result_path, (key, blob), self.directory)


def _read(path: Path) -> object:
    try:
        raw = path.read_bytes()
    except OSError:
        return None
    head = len(_MAGIC)
    body = memoryview(raw)[head + _DIGEST :]
    if raw[:head] != _MAGIC or raw[head : head + _DIGEST] != _digest(body):
        return None
    try:
        fingerprint, payload = marshal.loads(body)  # noqa: S302 - checksummed, ours
    except (EOFError, ValueError, TypeError):
        return None
    return payload if fingerprint == code_fingerprint() else None


def _write(path: Path, payload: Any, directory: Path) -> None:
    body = marshal.dumps((code_fingerprint(), payload), 4)
    try:
        directory.mkdir(parents=True, exist_ok=True)
        gitignore = directory.parent / ".gitignore"
        if not gitignore.exists():
            gitignore.write_text("# created by rescope\n*\n", encoding="utf-8")
        fd, tmp = tempfile.mkstemp(dir=directory, prefix=".tmp-")
    except OSError:
        return
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(_MAGIC)
            fh.write(_digest(body))
            fh.write(body)
        os.replace(tmp, path)  # noqa: PTH105
    except OSError:
        with contextlib.suppress(OSError):
            os.unlink(tmp)  # noqa: PTH108


def _digest(body: bytes | memoryview) -> bytes:
    return hashlib.blake2b(body, digest_size=_DIGEST).digest()
