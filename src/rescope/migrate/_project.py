"""The project being migrated: its files, module names, and a view with pending edits."""

from __future__ import annotations

import ast
import os
from collections.abc import Iterator
from pathlib import Path

from rescope.exceptions import MigrationError

__all__ = ["Project", "is_test_path", "module_name"]

_SKIP_DIRS = frozenset(
    {"__pycache__", "node_modules", "site-packages", "venv", "build", "dist", "env"}
)


def module_name(rel: str) -> str:
    """The dotted module name of a ``/``-separated path relative to the project root."""
    parts = rel.removesuffix(".py").split("/")
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def is_test_path(rel: str) -> bool:
    """Whether a file is test code (a ``tests`` directory, ``test_*.py`` or ``conftest.py``)."""
    parts = rel.split("/")
    name = parts[-1]
    return (
        any(p in {"tests", "test"} for p in parts[:-1])
        or name.startswith("test_")
        or name.endswith("_test.py")
        or name == "conftest.py"
    )


class Project:
    """The files of one project, read from disk with the edits of earlier phases laid over.

    Args:
        root: The project root (the directory module names are relative to).

    Raises:
        MigrationError: ``root`` is not a directory.
    """

    def __init__(self, root: Path) -> None:
        if not root.is_dir():
            raise MigrationError(
                f"{root} is not a directory: `rescope migrate` rewrites a project in place.",
                hint="passing the directory that holds your application package and its tests.",
            )
        self.root = root.resolve()
        self._pending: dict[str, str] = {}
        self._originals: dict[str, str | None] = {}
        self._files: list[str] | None = None
        self._trees: dict[str, ast.Module | None] = {}
        self._texts: dict[str, str] = {}  # on-disk texts, as read

    def files(self) -> list[str]:
        """Every ``.py`` file under the root, relative and ``/``-separated, sorted."""
        if self._files is None:
            found: list[str] = []
            for directory, dirs, names in os.walk(self.root):
                dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d not in _SKIP_DIRS)
                base = Path(directory).relative_to(self.root)
                found.extend((base / n).as_posix() for n in names if n.endswith(".py"))
            self._files = sorted(found)
        return [*self._files, *(p for p in self._pending if p not in self._files)]

    def modules(self) -> dict[str, str]:
        """Module name -> relative path, for every file."""
        return {module_name(rel): rel for rel in self.files()}

    def exists(self, rel: str) -> bool:
        """Whether the file exists on disk or is created by an earlier phase."""
        return rel in self._pending or (self.root / rel).is_file()

    def read(self, rel: str) -> str:
        """The file's text, with the edits of earlier phases of this run applied."""
        if rel in self._pending:
            return self._pending[rel]
        text = self._texts.get(rel)
        if text is None:  # several phases scan every file: read each from disk once
            text = self._texts[rel] = (self.root / rel).read_text(encoding="utf-8")
        return text

    def tree(self, rel: str) -> ast.Module | None:
        """The file parsed with :mod:`ast` (cached), or ``None`` when it does not parse."""
        if rel not in self._trees:
            try:
                self._trees[rel] = ast.parse(self.read(rel), filename=rel)
            except (SyntaxError, UnicodeDecodeError, ValueError):
                self._trees[rel] = None
        return self._trees[rel]

    def stage(self, rel: str, text: str) -> None:
        """Record a new text for a file; later phases of the run read it."""
        if rel not in self._originals:
            self._originals[rel] = (
                (self.root / rel).read_text(encoding="utf-8")
                if (self.root / rel).is_file()
                else None
            )
        self._pending[rel] = text
        self._trees.pop(rel, None)

    def staged(self) -> Iterator[tuple[str, str | None, str]]:
        """``(path, text on disk or None, new text)`` for every file that really changes."""
        for rel in sorted(self._pending):
            before = self._originals[rel]
            if before != self._pending[rel]:
                yield rel, before, self._pending[rel]
