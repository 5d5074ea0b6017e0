"""What a migration run produces: file changes and the notes that explain what was left."""

from __future__ import annotations

import difflib
import enum
from dataclasses import dataclass, field

__all__ = ["FileChange", "Note", "Phase", "PhaseReport"]


class Phase(enum.Enum):
    """The migration phases, in the order a team lands them."""

    DEPS = "deps"
    ROUTES = "routes"
    TESTS = "tests"
    CONTAINER = "container"

    @classmethod
    def ordered(cls) -> tuple[Phase, ...]:
        """The phases ``all`` runs, in the order they are applied (``container`` is opt-in)."""
        return (cls.DEPS, cls.ROUTES, cls.TESTS)


@dataclass(frozen=True, slots=True)
class Note:
    """Something a phase did or left alone that the team should know about.

    Args:
        kind: ``injected``, ``left-alone``, ``deferred``, ``stale-reset``, ``reset-kept``,
            ``override``, ``patch-rewritten``, ``patch-kept``, ``unparsable`` or ``created``.
        path: The file, relative to the project root, ``/``-separated.
        line: 1-based line in the file as it was before the phase (0 when not tied to a line).
        message: What happened and why.
    """

    kind: str
    path: str
    line: int
    message: str

    def render(self) -> str:
        """``path:line: [kind] message``."""
        where = f"{self.path}:{self.line}" if self.line else self.path
        return f"{where}: [{self.kind}] {self.message}"


@dataclass(frozen=True, slots=True)
class FileChange:
    """One file's text before and after a phase (``before`` is ``None`` for a new file).

    Args:
        path: The file, relative to the project root, ``/``-separated.
        before: The text it had, or ``None`` when the phase creates it.
        after: The text it gets.
    """

    path: str
    before: str | None
    after: str

    def diff(self) -> str:
        """The change as a unified diff (``a/`` and ``b/`` prefixes, like git)."""
        old = [] if self.before is None else self.before.splitlines(keepends=True)
        new = self.after.splitlines(keepends=True)
        source = "/dev/null" if self.before is None else f"a/{self.path}"
        return "".join(difflib.unified_diff(old, new, source, f"b/{self.path}"))


@dataclass(slots=True)
class PhaseReport:
    """What one phase changed and noted.

    Args:
        phase: The phase.
        changes: The files it changes, in path order.
        notes: What it did or left alone, in path and line order.
        parsed: How many files it parsed with libcst.
        scanned: How many files the audit read to plan it.
    """

    phase: Phase
    changes: list[FileChange] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)
    parsed: int = 0
    scanned: int = 0

    def note(self, kind: str, path: str, line: int, message: str) -> None:
        """Record a note."""
        self.notes.append(Note(kind, path, line, message))

    def count(self, kind: str) -> int:
        """How many notes of ``kind`` the phase recorded."""
        return sum(1 for n in self.notes if n.kind == kind)
