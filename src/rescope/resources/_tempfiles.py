"""Temporary files and directories that are removed on every exit path.

One object serves ``with`` and ``async with``: creating and removing a few paths on the local
disk takes microseconds, so both run inline, with no ``await`` in between. That leaves no
point where a cancellation could land between creating a path and owning its removal.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
from pathlib import Path
from types import TracebackType

from rescope.exceptions import ResourceError

__all__ = ["TempDir", "TempFiles", "managed_temp_dir", "managed_temp_files"]

logger = logging.getLogger("rescope.resources")

_PREFIX = "rescope-"


def _remove(path: Path) -> None:
    """Remove a file or a directory tree; log, never raise, when that fails."""
    try:
        try:
            path.unlink(missing_ok=True)
        except (IsADirectoryError, PermissionError):
            if not path.is_dir() or path.is_symlink():
                raise
            shutil.rmtree(path)
    except Exception as exc:  # noqa: BLE001 - a failed removal must not mask the body's error
        logger.warning("could not remove temporary path %s: %s", path, exc)


class _Managed:
    """Shared enter/exit protocol: create paths, hand them out once, remove them on exit."""

    _paths: list[Path]
    _entered: bool

    def _create(self) -> None:
        raise NotImplementedError

    def _enter(self) -> None:
        if self._entered:
            msg = (
                f"{type(self).__name__} was entered twice; each call of managed_temp_files()"
                " or managed_temp_dir() makes paths for one `with` block."
            )
            raise ResourceError(msg, hint="calling the function again for a second block.")
        self._entered = True
        try:
            self._create()
        except BaseException:
            self._cleanup()
            raise

    def _cleanup(self) -> None:
        paths, self._paths = self._paths, []
        for path in paths:
            _remove(path)


class TempFiles(_Managed):
    """Empty temporary files, yielded as a tuple of paths and removed on exit.

    Returned by :func:`managed_temp_files`; see there.
    """

    def __init__(self, suffixes: tuple[str, ...], *, prefix: str, directory: Path | None) -> None:
        self._suffixes = suffixes
        self._prefix = prefix
        self._directory = directory
        self._paths = []
        self._entered = False

    def _create(self) -> None:
        for suffix in self._suffixes:
            fd, name = tempfile.mkstemp(suffix=suffix, prefix=self._prefix, dir=self._directory)
            self._paths.append(Path(name))
            os.close(fd)

    @property
    def paths(self) -> tuple[Path, ...]:
        """The paths created on entry (empty before entry and after exit)."""
        return tuple(self._paths)

    def __enter__(self) -> tuple[Path, ...]:
        self._enter()
        return self.paths

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._cleanup()

    async def __aenter__(self) -> tuple[Path, ...]:
        return self.__enter__()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._cleanup()


class TempDir(_Managed):
    """A temporary directory, yielded as a path and removed with its contents on exit.

    Returned by :func:`managed_temp_dir`; see there.
    """

    def __init__(self, *, prefix: str, directory: Path | None) -> None:
        self._prefix = prefix
        self._directory = directory
        self._paths = []
        self._entered = False

    def _create(self) -> None:
        self._paths.append(Path(tempfile.mkdtemp(prefix=self._prefix, dir=self._directory)))

    @property
    def path(self) -> Path | None:
        """The directory created on entry (``None`` before entry and after exit)."""
        return self._paths[0] if self._paths else None

    def __enter__(self) -> Path:
        self._enter()
        return self._paths[0]

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._cleanup()

    async def __aenter__(self) -> Path:
        return self.__enter__()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._cleanup()

    def __repr__(self) -> str:
        return f"<TempDir {self.path}>"


def managed_temp_files(
    *suffixes: str, prefix: str = _PREFIX, directory: str | os.PathLike[str] | None = None
) -> TempFiles:
    """Create one empty temporary file per suffix and remove them all when the block exits.

    Use it with ``with`` or ``async with``; it yields a tuple of :class:`~pathlib.Path`, one
    per suffix, in order. The files are removed on every exit path: success, exception,
    ``asyncio.CancelledError`` and ``KeyboardInterrupt``. A file the block already removed
    is fine; a removal that fails is logged on the ``rescope.resources`` logger and never
    replaces the exception the block raised.

    Args:
        *suffixes: One suffix per file (``".mp3"``); pass ``""`` for none.
        prefix: The start of each file name.
        directory: Where to create the files (default: the system temporary directory).

    Raises:
        ResourceError: The returned object was entered a second time.
        OSError: A file could not be created (those created before it are removed).
    """
    where = Path(directory) if directory is not None else None
    return TempFiles(suffixes, prefix=prefix, directory=where)


def managed_temp_dir(
    *, prefix: str = _PREFIX, directory: str | os.PathLike[str] | None = None
) -> TempDir:
    """Create a temporary directory and remove it, with everything in it, when the block exits.

    Use it with ``with`` or ``async with``; it yields the directory's
    :class:`~pathlib.Path`. Removal follows the rules of :func:`managed_temp_files`. The tree
    is removed inline, so keep what goes into it to the size of a job's scratch files.

    Args:
        prefix: The start of the directory name.
        directory: Where to create it (default: the system temporary directory).

    Raises:
        ResourceError: The returned object was entered a second time.
        OSError: The directory could not be created.
    """
    where = Path(directory) if directory is not None else None
    return TempDir(prefix=prefix, directory=where)
