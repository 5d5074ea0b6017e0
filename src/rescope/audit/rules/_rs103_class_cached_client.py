"""RS103: a client cached in a class attribute."""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from rescope.audit._model import Finding, Severity
from rescope.audit.rules._base import Context, Example, Rule

__all__ = ["ClassCachedClient"]


class ClassCachedClient(Rule):
    """A class attribute that a classmethod fills with a client on first use.

    What it does:
        Finds class-level attributes initialised to ``None`` (``_client = None``) that a
        classmethod or staticmethod assigns a service or external client to. One finding per
        attribute, at the attribute's line.

    Why is this bad?
        It is a global in a class costume: one client for the whole process, created at an
        unpredictable moment, never closed, and replaced in tests by patching the class.

    Example:
        class ClientFactory:
            _anthropic = None

            @classmethod
            def get_anthropic(cls):
                if cls._anthropic is None:
                    cls._anthropic = Anthropic(api_key=settings.key)
                return cls._anthropic

    Use instead:
        async def anthropic_client(settings: Settings) -> AsyncIterator[Anthropic]:
            client = Anthropic(api_key=settings.key)
            yield client
            client.close()

        container.register(anthropic_client, scope=Scope.APP)
    """

    code = "RS103"
    name = "class-cached-client"
    severity = Severity.MEDIUM
    message = "`{symbol}` caches a `{client}` for the whole process"
    fix_title = "Provide the `{client}` from the container (scope APP) and close it at shutdown"
    VALID: ClassVar[list[Example]] = [
        (
            "class Settings:\n    debug = None\n\n    @classmethod\n    def load(cls):\n"
            "        return cls()\n"
        ),
    ]
    INVALID: ClassVar[list[Example]] = [
        (
            "import redis\n\nclass ClientFactory:\n    _redis = None\n\n    @classmethod\n"
            "    def get_redis(cls):\n        if cls._redis is None:\n"
            "            cls._redis = redis.Redis()\n        return cls._redis\n"
        ),
    ]

    def check(self, ctx: Context) -> Iterator[Finding]:
        """Yield one finding per cached class attribute."""
        for single in ctx.inventory.singletons:
            if single.shape == "class_cached_client":
                yield self.finding(
                    single.facts.path,
                    single.anchor,
                    f"{single.target.name}.{single.holder}",
                    client=single.target.holds,
                )
