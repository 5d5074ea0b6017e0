"""Resolving the hazard scan's call chains, and matching them against name patterns.

A chain such as ``SessionLocal().execute`` is resolved through the module's imports
(``backend.database.session.SessionLocal().execute``) and then through project-level
assignments of calls (``SessionLocal = sessionmaker(...)``), giving
``sqlalchemy.orm.sessionmaker()().execute``, which the patterns can recognise.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

from rescope.audit._facts import ModuleAssign, ModuleFacts
from rescope.audit.rules._base import Context
from rescope.audit.rules._rs4_hazard_facts import HazardFacts, load_hazards

__all__ = ["ChainResolver", "PatternSet", "compile_pattern", "hazard_modules"]

_MAX_EXPANSIONS = 4


def hazard_modules(ctx: Context, code: str) -> Iterator[tuple[ModuleFacts, HazardFacts]]:
    """Each parsed module with the hazard scan stored for rule ``code``."""
    for facts in ctx.modules:
        if facts.problem is not None:
            continue
        raw = facts.extra.get(code)
        if raw:
            yield facts, load_hazards(raw)


class ChainResolver:
    """Resolve chains as written in a module to qualified names, following project aliases.

    Args:
        ctx: The rule context (its index resolves imports).
    """

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self._assigns: dict[str, dict[str, ModuleAssign]] = {}
        self._cache: dict[tuple[str, str], str] = {}

    def _assign(self, qualified: str) -> tuple[ModuleFacts, ModuleAssign, str] | None:
        module, rest = self.ctx.index.module_of(qualified)
        if module is None or not rest:
            return None
        first, dot, tail = rest.partition(".")
        table = self._assigns.get(module.module)
        if table is None:
            table = {a.name: a for a in module.assigns}
            self._assigns[module.module] = table
        found = table.get(first)
        return (module, found, dot + tail) if found is not None else None

    def resolve(self, facts: ModuleFacts, chain: str) -> str:
        """The qualified name of ``chain`` as written in ``facts``' module."""
        key = (facts.module, chain)
        cached = self._cache.get(key)
        if cached is not None:
            return cached
        head, paren, rest = chain.partition("(")
        qualified = self.ctx.index.resolve(facts, head) + paren + rest
        for _ in range(_MAX_EXPANSIONS):
            head, paren, rest = qualified.partition("(")
            if not self.ctx.index.is_project_name(head):
                break
            found = self._assign(head)
            if found is None or found[1].value.kind != "call":
                break
            module, assign, tail = found
            callee = self.ctx.index.resolve(module, assign.value.callee)
            qualified = f"{callee}(){tail}{paren}{rest}"
        self._cache[key] = qualified
        return qualified


def compile_pattern(pattern: str) -> str:
    """Translate a name pattern to a regular expression.

    ``*`` matches any run of characters (dots and calls included) and ``{a,b}`` matches one
    of the alternatives; everything else is literal. ``()`` in a pattern stands for a call in
    the chain: ``subprocess.Popen().communicate``.
    """
    out: list[str] = []
    i = 0
    while i < len(pattern):
        char = pattern[i]
        if char == "*":
            out.append(".*")
        elif char == "{":
            end = pattern.find("}", i)
            if end < 0:
                out.append(re.escape(char))
            else:
                options = pattern[i + 1 : end].split(",")
                out.append("(?:" + "|".join(re.escape(o.strip()) for o in options) + ")")
                i = end
        else:
            out.append(re.escape(char))
        i += 1
    return "".join(out)


class PatternSet:
    """Name patterns, each with a value, matched in one regular-expression pass.

    Args:
        patterns: ``(pattern, value)`` pairs; a later pattern wins over an earlier one.
    """

    def __init__(self, patterns: Iterable[tuple[str, str]]) -> None:
        self._patterns = list(dict(patterns).items())
        self._all = re.compile(
            "|".join(f"(?:{compile_pattern(p)})" for p, _ in self._patterns) or "(?!)"
        )
        self._each = [(re.compile(compile_pattern(p)), p, v) for p, v in self._patterns]

    def match(self, name: str) -> tuple[str, str] | None:
        """The ``(pattern, value)`` of the last pattern matching all of ``name``, if any."""
        if self._all.fullmatch(name) is None:
            return None
        for regex, pattern, value in reversed(self._each):
            if regex.fullmatch(name):
                return pattern, value
        return None
