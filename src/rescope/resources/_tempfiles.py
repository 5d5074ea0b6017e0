"""Temporary files and directories that are removed on every exit path.

One object serves ``with`` and ``async with``. Creating paths takes microseconds, so it runs
inline, with no ``await`` between creating a path and owning its removal: no cancellation
can land there. Removing temporary files is inline too. Removing a directory tree with
``async with`` runs in a worker thread (unless the directory holds only a few files),
shielded from cancellation, so a tree of thousands of files does not stall the event loop
and is still removed when the task is cancelled.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
from pathlib import Path
from types import TracebackType

import anyio
import anyio.to_thread

from rescope.exceptions import ResourceError
from rescope.resources._uncancelled import run_uncancelled

__all__ = ["TempDir", "TempFiles", "managed_temp_dir", "managed_temp_files"]

logger = logging.getLogger("rescope.resources")

_PREFIX = "rescope-"
_INLINE_ENTRIES = 32


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


def _small(path: Path | None) -> bool:
    """Whether ``path`` holds few enough entries, and no directory, to remove inline."""
    if path is None:
        return True
    try:
        with os.scandir(path) as entries:
            for count, entry in enumerate(entries):
                if count >= _INLINE_ENTRIES or entry.is_dir(follow_symlinks=False):
                    return False
    except OSError:
        return True  # nothing to list; removal reports what is wrong
    return True


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
        if _small(self.path):
            self._cleanup()  # a few files: faster inline than a trip to a worker thread
            return
        _, cancelled = await run_uncancelled(lambda: anyio.to_thread.run_sync(self._cleanup))
        if cancelled is not None:
            raise cancelled

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
    :class:`~pathlib.Path`. Removal follows the rules of :func:`managed_temp_files`. With
    ``async with`` the tree is removed in a worker thread (a directory of a few files and no
    subdirectories inline, which is faster), so a large one does not block the event loop;
    that removal is shielded from cancellation, so the directory is gone before
    ``CancelledError`` propagates. With ``with`` it is removed inline.

    Args:
        prefix: The start of the directory name.
        directory: Where to create it (default: the system temporary directory).

    Raises:
        ResourceError: The returned object was entered a second time.
        OSError: The directory could not be created.
    """
    where = Path(directory) if directory is not None else None
    return TempDir(prefix=prefix, directory=where)
