"""The audit's results: findings, services, value caches and the whole report."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

__all__ = [
    "AuditResult",
    "Finding",
    "Scope",
    "Service",
    "Severity",
    "Usage",
    "ValueCache",
]


class Severity(enum.Enum):
    """How much a finding matters; ``--fail-on`` compares against it."""

    INFO = "info"
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"

    @property
    def rank(self) -> int:
        """0 for info up to 3 for high."""
        return _RANK[self]

    @classmethod
    def parse(cls, text: str) -> Severity:
        """Return the severity called ``text`` (case-insensitive).

        Raises:
            ValueError: ``text`` names no severity.
        """
        return cls(text.strip().lower())


_RANK = {Severity.INFO: 0, Severity.LOW: 1, Severity.MEDIUM: 2, Severity.HIGH: 3}


class Scope(enum.Enum):
    """The lifetime rescope suggests for a service once it is injected."""

    APP = "APP"
    SESSION = "SESSION"
    REQUEST = "REQUEST"


@dataclass(slots=True)
class Finding:
    """One problem at one place.

    Args:
        rule: The rule's code (``RS101``).
        path: The file, relative to the audit root, ``/``-separated.
        line: 1-based line of the anchor the rule documents.
        message: What is wrong.
        fix: What to do about it.
        severity: How much it matters.
        symbol: The name the finding is about (a getter, class, handler), stable across edits.
        column: 0-based column, when known.
        fingerprint: A hash of rule, path and symbol that survives line shifts.
    """

    rule: str
    path: str
    line: int
    message: str
    fix: str
    severity: Severity
    symbol: str = ""
    column: int = 0
    fingerprint: str = ""

    @property
    def sort_key(self) -> tuple[str, int, str, str]:
        """Order by path, line, rule, symbol."""
        return (self.path, self.line, self.rule, self.symbol)


@dataclass(slots=True)
class Usage:
    """Where a service is used and how (``direct`` call of its accessor, or ``injected``)."""

    kind: str  # route | service | test | function
    where: str  # qualified name of the using function
    path: str
    line: int
    how: str  # direct | injected


@dataclass(slots=True)
class Service:
    """A service the code makes global, with what the inventory knows about it."""

    name: str
    module: str
    path: str
    line: int
    shape: str
    accessor: str
    accessor_module: str
    scope: Scope
    scope_reason: str
    depends_on: list[str] = field(default_factory=list)
    clients: list[str] = field(default_factory=list)
    users: list[Usage] = field(default_factory=list)
    holder: str = ""  # the global / class attribute that keeps the instance
    anchor_line: int = 0  # the line the shape's finding points at
    external: bool = False

    @property
    def key(self) -> str:
        """``module.Name`` of the class (external clients keep their library module)."""
        return f"{self.module}.{self.name}" if self.module else self.name


@dataclass(slots=True)
class ValueCache:
    """A lazy global or cached getter that keeps a value (a path, a dict, settings)."""

    name: str
    module: str
    path: str
    line: int
    shape: str
    holds: str
    holders: tuple[str, ...] = ()


@dataclass(slots=True)
class AuditResult:
    """Everything one audit run produced, ready for the reporters."""

    root: str
    files: int
    lines: int
    findings: list[Finding]
    services: list[Service]
    value_caches: list[ValueCache]
    cycles: list[list[str]]
    edges: list[tuple[str, str]]
    rules: list[str]
    skipped: list[tuple[str, str]] = field(default_factory=list)
    cached_files: int = 0
    suppressed: int = 0
    baselined: int = 0
    seconds: float = 0.0
