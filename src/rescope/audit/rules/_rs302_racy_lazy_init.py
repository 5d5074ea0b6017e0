"""RS302: a lazy initialisation that two callers can run at once."""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from rescope.audit._model import Finding, Severity
from rescope.audit.rules._base import Context, Example, Rule

__all__ = ["RacyLazyInit"]


class RacyLazyInit(Rule):
    """A check-then-set lazy initialisation with an ``await`` in between, or without a lock
    in threaded code.

    What it does:
        Finds singleton getters whose check (``if _x is None``) and assignment are separated
        by an ``await`` (including ``_x = await make()``) outside any lock, and sync getters
        without a lock in modules that start threads (``threading``); offloading with
        ``run_in_executor`` or ``to_thread`` runs other functions in threads, not the getter.

    Why is this bad?
        Two requests both see ``None`` and both build the service: two connection pools, one
        of them leaked, and state split between two instances.

    Example:
        async def get_pool():
            global _pool
            if _pool is None:
                _pool = await create_pool()
            return _pool

    Use instead:
        container.register(create_pool, scope=Scope.APP)  # built once, at startup
    """  # noqa: D205

    code = "RS302"
    name = "racy-lazy-init"
    severity = Severity.HIGH
    message = "`{symbol}()` can build `{cls}` twice: {why}"
    fix_title = "Build `{cls}` once at startup in the container (or guard the check with a lock)"
    VALID: ClassVar[list[Example]] = [
        (
            "import asyncio\nimport asyncpg\n_pool = None\n_lock = asyncio.Lock()\n\n"
            "async def get_pool():\n    global _pool\n    async with _lock:\n"
            "        if _pool is None:\n            _pool = await asyncpg.create_pool()\n"
            "    return _pool\n"
        ),
    ]
    INVALID: ClassVar[list[Example]] = [
        (
            "import asyncpg\n_pool = None\n\nasync def get_pool():\n    global _pool\n"
            "    if _pool is None:\n        _pool = await asyncpg.create_pool()\n    return _pool\n"
        ),
        (
            "import threading\n\nclass Worker:\n    def run(self): ...\n\n_w = None\n\n"
            "def get_worker():\n    global _w\n    if _w is None:\n        _w = Worker()\n"
            "    return _w\n\nthreading.Thread(target=get_worker).start()\n"
        ),
    ]

    def check(self, ctx: Context) -> Iterator[Finding]:
        """Yield one finding per racy getter, at its ``def`` line."""
        for single in ctx.inventory.singletons:
            fn = single.function
            if fn is None or not single.is_service or single.shape == "cached_getter":
                continue
            holder = single.holder if single.cls is None else f"cls.{single.holder}"
            writes = [w for w in fn.global_writes if w.name == holder and w.value.kind == "call"]
            if not writes or writes[0].locked:
                continue
            write = writes[0]
            why = ""
            if fn.is_async:
                start = min(fn.check_lines, default=fn.line)
                if write.value.awaited or any(start <= a < write.line for a in fn.awaits):
                    why = "an `await` runs between the check and the assignment"
            elif single.facts.uses_threads:
                why = "the module uses threads and the check-then-set holds no lock"
            if why:
                yield self.finding(
                    single.facts.path, fn.line, fn.qualname, cls=single.target.name, why=why
                )
