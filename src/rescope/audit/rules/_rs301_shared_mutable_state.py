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
        container (``self.connections = {}``) that other methods key into or append to, when
        that container holds per-user state: its name says whose entries it holds
        (connections, sessions, runs, subscribers), a public method that mutates it takes an
        owner's identifier (``user_id``, ``session_id``, ``websocket``), or it is a buffer
        one public method fills and another drains. Process-wide registries (collectors,
        hooks, type caches) are shared on purpose and are not reported.

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
        (  # a process-wide registry: collectors are registered once, not per user
            "class CollectorRegistry:\n    def __init__(self):\n"
            "        self._collector_to_names = {}\n        self._names = {}\n\n"
            "    def register(self, collector):\n"
            "        self._collector_to_names[collector] = collector.names()\n\n"
            "    def unregister(self, collector):\n"
            "        self._collector_to_names.pop(collector)\n\n"
            "REGISTRY = CollectorRegistry()\n"
        ),
        (  # a console's hook stack: pushed and popped around rendering, shared on purpose
            "class Console:\n    def __init__(self):\n        self._render_hooks = []\n"
            "        self._record_buffer = []\n\n    def push_render_hook(self, hook):\n"
            "        self._render_hooks.append(hook)\n\n    def pop_render_hook(self):\n"
            "        self._render_hooks.pop()\n\n    def _check_buffer(self, segments):\n"
            "        self._record_buffer.extend(segments)\n\n"
            "_console = None\n\ndef get_console():\n    global _console\n"
            "    if _console is None:\n        _console = Console()\n    return _console\n"
        ),
        (  # a set of seen types, reset between runs of the checker
            "class ProtocolState:\n    def __init__(self):\n        self._rechecked = set()\n\n"
            "    def record(self, left):\n        self._rechecked.add(left)\n\n"
            "    def reset(self):\n        self._rechecked.clear()\n\nstate = ProtocolState()\n"
        ),
        (  # type caches of a checker, keyed by types
            "class TypeState:\n    def __init__(self):\n        self._subtype_caches = {}\n\n"
            "    def record_subtype(self, left, right):\n"
            "        self._subtype_caches[left] = right\n\ntype_state = TypeState()\n"
        ),
    ]
    INVALID: ClassVar[list[Example]] = [
        (  # keyed by a run id passed in, under a neutral container name
            "class Tracker:\n    def __init__(self):\n        self._state = {}\n\n"
            "    def begin(self, run_id, info):\n        self._state[run_id] = info\n\n"
            "tracker = Tracker()\n"
        ),
        (  # a buffer filled by one call and drained by the next: one request's data
            "class ResponseProcessor:\n    def __init__(self):\n        self._chunks = []\n\n"
            "    def feed(self, chunk):\n        self._chunks.append(chunk)\n\n"
            "    def finish(self):\n        text = ''.join(self._chunks)\n"
            "        self._chunks.clear()\n        return text\n\n"
            "_proc = None\n\ndef get_processor():\n    global _proc\n    if _proc is None:\n"
            "        _proc = ResponseProcessor()\n    return _proc\n"
        ),
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
            qualified = f"{service.module}.{service.name}"
            state = ctx.inventory.mutable_state.get(qualified)
            if not state or service.key in seen:
                continue
            seen.add(service.key)
            yield self.finding(
                service.path,
                service.line,
                service.name,
                attrs=", ".join(f"`self.{a}`" for a in state),
            )
