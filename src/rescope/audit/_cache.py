"""The on-disk cache of module facts, keyed by content hash and rescope version.

Entries are written to a temporary file and renamed into place, so concurrent runs never
read a half-written entry; a damaged or foreign entry is a miss, never an error.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import pickle
import tempfile
from pathlib import Path

from rescope._version import __version__
from rescope.audit._facts import ModuleFacts

__all__ = ["FactsCache", "cache_key"]

# Bump when the shape of ModuleFacts changes without a version change (development builds).
_FORMAT = "4"


def cache_key(data: bytes, *, rel: str, module: str, is_package: bool, codes: str) -> str:
    """The key of one file's facts: its bytes plus everything the facts depend on."""
    digest = hashlib.blake2b(data, digest_size=20)
    digest.update(f"\0{rel}\0{module}\0{is_package}\0{codes}".encode())
    return digest.hexdigest()


class FactsCache:
    """Facts stored under ``<directory>/<version>/<key[:2]>/<key>``.

    Args:
        directory: The cache directory (``.rescope_cache``).
    """

    def __init__(self, directory: Path) -> None:
        self.directory = directory / f"{__version__}-{_FORMAT}"

    def _path(self, key: str) -> Path:
        return self.directory / key[:2] / key

    def get(self, key: str) -> ModuleFacts | None:
        """Return the cached facts for ``key``, or ``None`` on a miss or a damaged entry."""
        try:
            with self._path(key).open("rb") as fh:
                facts = pickle.load(fh)  # noqa: S301 - our own cache, written by put()
        except (OSError, EOFError, pickle.UnpicklingError, AttributeError, ImportError, TypeError):
            return None
        return facts if isinstance(facts, ModuleFacts) else None

    def put(self, key: str, facts: ModuleFacts) -> None:
        """Store ``facts`` atomically; a full disk or a read-only tree only costs the cache."""
        target = self._path(key)
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            gitignore = self.directory.parent / ".gitignore"
            if not gitignore.exists():
                gitignore.write_text("# created by rescope\n*\n", encoding="utf-8")
            fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
        except OSError:
            return
        try:
            with os.fdopen(fd, "wb") as fh:
                pickle.dump(facts, fh, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(tmp, target)  # noqa: PTH105
        except OSError:
            with contextlib.suppress(OSError):
                os.unlink(tmp)  # noqa: PTH108
