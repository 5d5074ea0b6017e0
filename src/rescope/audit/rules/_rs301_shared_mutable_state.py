"""RS301: a singleton that keeps per-user mutable state."""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from rescope.audit._model import Finding, Severity
from rescope.audit.rules._base import Context, Example, Rule

__all__ = ["SharedMutableState"]


class SharedMutableState(Rule):
    """A singleton service whose methods add to dicts, lists or sets on ``self``.

    What it does:
        Finds services reached through a singleton (any shape) whose ``__init__`` creates a
        container (``self.connections = {}``) that other methods key into or append to:
        connections, run ids, sessions, per-user caches.

    Why is this bad?
        One instance serves every user, so what one user's request stores is visible to the
        next user's; under concurrency events and data cross between users.

    Example:
        class SessionManager:
            def __init__(self):
                self.sessions = {}

            def start(self, user_id):
                self.sessions[user_id] = Session()

    Use instead:
        container.register(SessionManager, scope=Scope.SESSION)  # one per user
    """

    code = "RS301"
    name = "shared-mutable-state"
    severity = Severity.HIGH
    message = "singleton `{symbol}` keeps mutable state in {attrs} shared by every user"
    fix_title = (
        "Give `{symbol}` scope SESSION or REQUEST, or move the state to a store keyed by user"
    )
    VALID: ClassVar[list[Example]] = [
        (
            "class Pure:\n    def __init__(self):\n        self.items = []\n\n"
            "    def total(self):\n        return sum(self.items)\n\npure = Pure()\n"
        ),
        (
            "class Builder:\n    def __init__(self):\n        self.parts = []\n\n"
            "    def add(self, p):\n        self.parts.append(p)\n\n"
            "def make():\n    return Builder()\n"
        ),
    ]
    INVALID: ClassVar[list[Example]] = [
        (
            "class SessionManager:\n    def __init__(self):\n        self.sessions = {}\n\n"
            "    def start(self, user_id, s):\n        self.sessions[user_id] = s\n\n"
            "_manager = None\n\ndef get_manager():\n    global _manager\n"
            "    if _manager is None:\n        _manager = SessionManager()\n    return _manager\n"
        ),
    ]

    def check(self, ctx: Context) -> Iterator[Finding]:
        """Yield one finding per singleton class with mutable per-user state."""
        seen: set[str] = set()
        for service in ctx.inventory.services:
            state = ctx.inventory.mutable_state.get(f"{service.module}.{service.name}")
            if not state or service.key in seen:
                continue
            seen.add(service.key)
            yield self.finding(
                service.path,
                service.line,
                service.name,
                attrs=", ".join(f"`self.{a}`" for a in state),
            )
