"""RS104: a zero-argument ``functools.cache`` getter that returns a service."""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from rescope.audit._model import Finding, Severity
from rescope.audit.rules._base import Context, Example, Rule

__all__ = ["CachedGetter"]


class CachedGetter(Rule):
    """A ``@functools.cache``/``@lru_cache`` function without arguments that builds a service.

    What it does:
        Finds zero-argument functions under ``cache`` or ``lru_cache`` whose return value is
        an instance of a service: an external client, a class named like one (``...Service``,
        ``...Engine``), or a class some code calls a method on through the getter
        (``get_outbox().send()``). Cached values (settings, paths, strategy objects) are listed
        as value caches, not reported here.

    Why is this bad?
        The cache makes the first instance global: ``cache_clear()`` in tests is the only way
        to replace it, and the service's dependencies are invisible to callers.

    Example:
        @lru_cache
        def get_storage():
            return StorageService()

    Use instead:
        container.register(StorageService, scope=Scope.APP)
    """

    code = "RS104"
    name = "cached-getter"
    severity = Severity.MEDIUM
    message = "`{symbol}()` caches one `{cls}` for the whole process"
    fix_title = "Register `{cls}` with the container and inject it"
    VALID: ClassVar[list[Example]] = [
        "from functools import lru_cache\n\n@lru_cache\ndef square(n):\n    return n * n\n",
        (
            "from functools import cache\nfrom pydantic_settings import BaseSettings\n\n"
            "class Settings(BaseSettings):\n    url: str = ''\n\n@cache\ndef get_settings():\n"
            "    return Settings()\n"
        ),
        (  # a cached value: a strategy object, not a service anything calls through
            "from functools import lru_cache\n\nclass OneOfStrategy:\n"
            "    def do_draw(self, data): ...\n\n@lru_cache\ndef timezones():\n"
            "    return OneOfStrategy()\n"
        ),
    ]
    INVALID: ClassVar[list[Example]] = [
        (
            "import functools\n\nclass StorageService:\n    def put(self): ...\n\n"
            "@functools.lru_cache(maxsize=None)\ndef get_storage():\n    return StorageService()\n"
        ),
        (  # not named like a service, but used as one: a method is called on the result
            "from functools import cache\n\nclass Outbox:\n    def send(self, m): ...\n\n"
            "@cache\ndef get_outbox():\n    return Outbox()\n\n"
            "def notify(m):\n    get_outbox().send(m)\n"
        ),
    ]

    def check(self, ctx: Context) -> Iterator[Finding]:
        """Yield one finding per cached getter that returns a service."""
        for single in ctx.inventory.singletons:
            if single.shape == "cached_getter":
                yield self.finding(
                    single.facts.path, single.anchor, single.accessor, cls=single.target.name
                )
