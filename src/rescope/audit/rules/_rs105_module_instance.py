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
        times at module level (table cells, markers) are left alone.

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
    ]
    INVALID: ClassVar[list[Example]] = [
        "class WebhookNotifier:\n    def send(self): ...\n\nnotifier = WebhookNotifier()\n",
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
