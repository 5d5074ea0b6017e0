"""RS105: a service instantiated at module level."""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from rescope.audit._model import Finding, Severity
from rescope.audit.rules._base import Context, Example, Rule

__all__ = ["ModuleInstance"]


class ModuleInstance(Rule):
    """A module-level variable holding an instance of a service class or external client.

    What it does:
        Finds ``notifier = WebhookNotifier()`` at module level when the class has behaviour
        (public methods or a service-like name). External clients built at module level are
        reported by the client rules, not here. Constants, loggers, locks, sentinels and classes instantiated three or more
        times at module level (table cells, markers) are left alone, and so is what only looks
        like a service: code under ``if __name__ == "__main__":`` (a script, not a module), a
        stand-in for a failed import (``core = DeferredError(ex)`` where ``core`` is also
        imported), an instance of a class with ``__call__`` (a function object such as
        ``chain = Chain()``), and a value built from a type (``TypeAdapter(Model)``). An
        instance counts as a service when its class is named like one (``...Service``,
        ``...Client``, ``...Manager``) or when some function calls a method on it
        (``notifier.send()``); one that is only passed around or compared is a value
        (``void_rtype = RVoid()``, ``DeadNode = TreeNode()``).

    Why is this bad?
        The object is built at import time, before configuration is loaded, and shared by
        every user and test; importing the module has side effects.

    Example:
        notifier = WebhookNotifier()

    Use instead:
        container.register(WebhookNotifier, scope=Scope.APP)
    """  # noqa: E501

    code = "RS105"
    name = "module-instance"
    severity = Severity.MEDIUM
    message = "`{symbol}` is a `{cls}` built at import time and shared by everyone"
    fix_title = "Register `{cls}` with the container and inject it where `{symbol}` is used"
    OPTIONS: ClassVar[dict[str, object]] = {"ignore-names": []}
    VALID: ClassVar[list[Example]] = [
        (
            "import logging\nimport threading\nlogger = logging.getLogger(__name__)\n"
            "lock = threading.Lock()\nMAX = 3\n"
        ),
        (
            "class Default:\n    def __repr__(self): return 'Default'\n\n"
            "A = Default()\nB = Default()\nC = Default()\n"
        ),
        "import redis\n\nredis_client = redis.Redis(host='localhost')\n",
        (
            "from dataclasses import dataclass\n\n@dataclass\nclass Point:\n    x: int\n\n"
            "origin = Point(0)\n"
        ),
        (
            "class Notifier:\n    def send(self): ...\n\n"
            "if __name__ == '__main__':\n    notifier = Notifier()\n    notifier.send()\n"
        ),
        (
            "class DeferredError:\n    def __init__(self, ex): self.ex = ex\n"
            "    def __getattr__(self, name): raise self.ex\n    def new(self): ...\n\n"
            "try:\n    from app import _speedups as core\nexcept ImportError as ex:\n"
            "    core = DeferredError(ex)\n"
        ),
        (
            "class Chain:\n    def __call__(self, *its): return self.from_iterable(its)\n"
            "    def from_iterable(self, its): ...\n\nchain = Chain()\n"
        ),
        (
            "class TypeAdapter:\n    def __init__(self, tp): self.tp = tp\n"
            "    def validate_python(self, data): ...\n\nclass Limits:\n    size: int\n\n"
            "limits_adapter = TypeAdapter(Limits)\n"
        ),
        (
            "class RVoid:\n    def accept(self, visitor): ...\n\nvoid_rtype = RVoid()\n\n"
            "def is_void(rtype):\n    return rtype is void_rtype\n"
        ),
    ]
    INVALID: ClassVar[list[Example]] = [
        "class WebhookNotifier:\n    def send(self): ...\n\nnotifier = WebhookNotifier()\n",
        {
            "app/registry.py": "class CollectorRegistry:\n    def register(self, c): ...\n\n"
            "REGISTRY = CollectorRegistry()\n",
            "app/metrics.py": "from app.registry import REGISTRY\n\n"
            "def track(collector):\n    REGISTRY.register(collector)\n",
        },
    ]

    def check(self, ctx: Context) -> Iterator[Finding]:
        """Yield one finding per module-level service instance."""
        ignored = self.options["ignore-names"]
        names = set(ignored) if isinstance(ignored, list) else set()
        for single in ctx.inventory.singletons:
            if single.shape == "module_instance" and single.accessor not in names:
                yield self.finding(
                    single.facts.path, single.anchor, single.accessor, cls=single.target.name
                )
