"""RS303: services that depend on each other in a cycle."""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from rescope.audit._model import Finding, Severity
from rescope.audit.rules._base import Context, Example, Rule

__all__ = ["ServiceCycle"]


class ServiceCycle(Rule):
    """A cycle in the service dependency graph.

    What it does:
        Builds the graph of services (edges from getter calls, direct construction and
        constructor parameters) and reports each strongly connected group of services, drawn
        as a path ``A -> B -> A``, at the first service's ``class`` line.

    Why is this bad?
        Lazy getters hide the cycle until a code path builds both sides; with injection the
        container refuses it at startup. Either way it must be broken.

    Example:
        class CoachService:
            def reply(self):
                return get_session_manager().save()

        class SessionManager:
            def save(self):
                return get_coach_service().summary()

    Use instead:
        Move what both need into a third service, or pass data instead of the service.
    """

    code = "RS303"
    name = "service-cycle"
    severity = Severity.HIGH
    message = "services depend on each other in a cycle: {cycle}"
    fix_title = "Break the cycle: extract what both need into a third service"
    VALID: ClassVar[list[Example]] = [
        (
            "class A:\n    def run(self): return get_b().run()\n\n"
            "class B:\n    def run(self): ...\n\n"
            "_a = None\n_b = None\n\ndef get_a():\n    global _a\n    if _a is None:\n"
            "        _a = A()\n    return _a\n\ndef get_b():\n    global _b\n"
            "    if _b is None:\n        _b = B()\n    return _b\n"
        ),
    ]
    INVALID: ClassVar[list[Example]] = [
        (
            "class A:\n    def run(self): return get_b().run()\n\n"
            "class B:\n    def run(self): return get_a().run()\n\n"
            "_a = None\n_b = None\n\ndef get_a():\n    global _a\n    if _a is None:\n"
            "        _a = A()\n    return _a\n\ndef get_b():\n    global _b\n"
            "    if _b is None:\n        _b = B()\n    return _b\n"
        ),
    ]

    def check(self, ctx: Context) -> Iterator[Finding]:
        """Yield one finding per cycle."""
        by_name = {s.name: s for s in ctx.inventory.services}
        for cycle in ctx.inventory.cycles:
            first = by_name[cycle[0]]
            yield self.finding(
                first.path,
                first.line,
                " -> ".join(cycle),
                cycle=" -> ".join([*cycle, cycle[0]]),
            )
