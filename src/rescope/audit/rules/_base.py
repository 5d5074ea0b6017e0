"""What every rule is: a code, a severity, docs, examples, and a ``check`` over the project.

A rule reads the project index and the inventory that the engine builds once. A rule that
needs facts the engine does not extract sets ``collect`` to a function run on each module's
AST in the parsing processes; its picklable result is cached with the module's other facts
and found in ``ModuleFacts.extra[code]``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import ClassVar

from rescope.audit._extract import Collector
from rescope.audit._facts import ModuleFacts
from rescope.audit._index import ProjectIndex
from rescope.audit._inventory import Inventory
from rescope.audit._model import Finding, Severity

__all__ = ["Context", "Example", "Rule"]

# A snippet (written to ``app/module.py``) or a dict of path -> source for multi-module cases.
Example = str | dict[str, str]


@dataclass(slots=True)
class Context:
    """What rules read: every module, the index across them, and the inventory."""

    modules: list[ModuleFacts]
    index: ProjectIndex
    inventory: Inventory
    options: Mapping[str, Mapping[str, object]] = field(default_factory=dict)


class Rule:
    """Base class of the audit's rules; subclasses set the class attributes and ``check``."""

    code: ClassVar[str]
    name: ClassVar[str]
    since: ClassVar[str] = "0.1.0"
    severity: ClassVar[Severity]
    message: ClassVar[str]
    fix_title: ClassVar[str]
    VALID: ClassVar[list[Example]] = []
    INVALID: ClassVar[list[Example]] = []
    OPTIONS: ClassVar[dict[str, object]] = {}
    collect: ClassVar[Collector | None] = None

    def __init__(self, options: Mapping[str, object] | None = None) -> None:
        self.options = {**self.OPTIONS, **(options or {})}

    def check(self, ctx: Context) -> Iterator[Finding]:
        """Yield this rule's findings for the project."""
        raise NotImplementedError

    def finding(
        self,
        path: str,
        line: int,
        symbol: str,
        *,
        column: int = 0,
        severity: Severity | None = None,
        **values: object,
    ) -> Finding:
        """Build a finding with this rule's message and fix title filled in with ``values``."""
        values.setdefault("symbol", symbol)
        digest = hashlib.sha1(f"{self.code}\0{path}\0{symbol}".encode(), usedforsecurity=False)
        return Finding(
            rule=self.code,
            path=path,
            line=line,
            column=column,
            message=self.message.format(**values),
            fix=self.fix_title.format(**values),
            severity=severity or self.severity,
            symbol=symbol,
            fingerprint=digest.hexdigest()[:20],
        )
