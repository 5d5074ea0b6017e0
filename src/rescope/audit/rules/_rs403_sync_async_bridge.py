"""RS403: a sync wrapper over async code, or an async adapter next to its sync twin."""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from rescope.audit._facts import ModuleFacts
from rescope.audit._model import Finding, Severity
from rescope.audit.rules._base import Context, Example, Rule
from rescope.audit.rules._rs4_hazard_facts import Adapter
from rescope.audit.rules._rs4_hazard_names import ChainResolver, hazard_modules
from rescope.audit.rules._rs4_hazard_scan import collect_hazards

__all__ = ["SyncAsyncBridge"]

_ENTRY_MODULES = frozenset({"__main__", "main", "cli", "manage", "conftest"})
_SCRIPT_DIRS = frozenset({"scripts", "bin", "tools"})


def _is_library(facts: ModuleFacts) -> bool:
    parts = facts.path.split("/")
    stem = parts[-1].removesuffix(".py")
    return not (
        facts.is_test or stem in _ENTRY_MODULES or any(p in _SCRIPT_DIRS for p in parts[:-1])
    )


def _has_twin(facts: ModuleFacts, adapter: Adapter) -> bool:
    if adapter.owner:
        for cls in facts.classes:
            if cls.name == adapter.owner:
                twin = cls.method(adapter.wrapped)
                return twin is not None and not twin.is_async
        return False
    return any(fn.name == adapter.wrapped and not fn.is_async for fn in facts.functions)


class SyncAsyncBridge(Rule):
    """``asyncio.run``/``run_until_complete`` in library code, and async adapters of sync twins.

    What it does:
        Finds ``asyncio.run(...)`` and ``loop.run_until_complete(...)`` in library code (not
        in tests, ``__main__`` guards, ``main()``/CLI command functions or scripts), and the
        "async adapter": an ``async def`` whose whole body hands a sibling sync method or
        function to an executor (``run_in_executor``, ``asyncio.to_thread``,
        ``run_in_threadpool``, ...), so the same operation exists twice.

    Why is this bad?
        ``asyncio.run`` starts a second event loop: called from async code it fails with
        "cannot be called from a running event loop", and the clients it creates are bound
        to a loop that is closed right after. Twin sync/async APIs drift apart, double the
        tests, and invite calling the sync one from async code.

    Example:
        def normalize_sync(self, data):
            return asyncio.run(self.normalize(data))

        async def resize_async(self, data, w, h):
            loop = asyncio.get_running_loop()
            return await loop.run_in_executor(None, self.resize, data, w, h)

    Use instead:
        # keep one API; callers in async code offload the sync one where they need it
        thumbnail = await run_blocking(pipeline.resize, data, w, h)  # rescope.resources
    """

    code = "RS403"
    name = "sync-async-bridge"
    severity = Severity.MEDIUM
    message = "{what}"
    fix_title = "{fix}"
    collect = collect_hazards
    VALID: ClassVar[list[Example]] = [
        (
            "import asyncio\n\ndef notify(listener):\n    try:\n"
            "        loop = asyncio.get_running_loop()\n    except RuntimeError:\n"
            "        _run_detached(listener)\n        return\n    loop.create_task(listener())\n\n"
            "def _run_detached(listener):\n    asyncio.run(listener())\n"
        ),
        (
            "import asyncio\n\nasync def main():\n    ...\n\nif __name__ == '__main__':\n"
            "    asyncio.run(main())\n"
        ),
        (
            "import asyncio\nimport click\n\n@click.command()\ndef serve():\n"
            "    asyncio.run(start())\n\nasync def start():\n    ...\n"
        ),
        {"tests/test_x.py": "import asyncio\n\ndef test_x():\n    asyncio.run(asyncio.sleep(0))\n"},
        (
            "import asyncio\n\nclass Pipeline:\n    async def resize(self, data):\n"
            "        return await asyncio.to_thread(_resize_pixels, data)\n\n"
            "def _resize_pixels(data):\n    return data\n"
        ),
    ]
    INVALID: ClassVar[list[Example]] = [
        (
            "import asyncio\n\nclass Audio:\n    async def normalize(self, data):\n"
            "        return data\n\n"
            "    def normalize_sync(self, data):\n"
            "        return asyncio.run(self.normalize(data))\n"
        ),
        (
            "import asyncio\n\ndef fetch_all(urls):\n    loop = asyncio.new_event_loop()\n"
            "    return loop.run_until_complete(gather(urls))\n\nasync def gather(urls):\n"
            "    return urls\n"
        ),
        (
            "import asyncio\n\nclass Images:\n    def resize(self, data, w, h):\n"
            "        return data\n\n"
            "    async def resize_async(self, data, w, h):\n"
            "        loop = asyncio.get_running_loop()\n"
            "        return await loop.run_in_executor(None, self.resize, data, w, h)\n"
        ),
    ]

    def check(self, ctx: Context) -> Iterator[Finding]:
        """Yield loop runners in library code and async adapters with a sync twin."""
        resolver = ChainResolver(ctx)
        for facts, hazards in hazard_modules(ctx, self.code):
            if _is_library(facts):
                for site in hazards.runners:
                    if site.tag == "entry":
                        continue
                    qualified = resolver.resolve(facts, site.name)
                    last = qualified.rpartition(".")[2]
                    if qualified != "asyncio.run" and last != "run_until_complete":
                        continue
                    yield self.finding(
                        facts.path,
                        site.line,
                        f"{site.function}:{last}",
                        what=f"`{site.function}` runs async code synchronously with "
                        f"`{site.name}()`, which fails inside a running event loop",
                        fix="Make the caller async and `await` it; keep `asyncio.run` to the "
                        "program's entry point",
                    )
            for adapter in hazards.adapters:
                if not _has_twin(facts, adapter):
                    continue
                owner = f"{adapter.owner}." if adapter.owner else ""
                yield self.finding(
                    facts.path,
                    adapter.line,
                    adapter.function,
                    what=f"`{adapter.function}` only runs its sync twin `{owner}"
                    f"{adapter.wrapped}` in an executor: the same operation exists twice",
                    fix=f"Keep one API: drop `{adapter.function.rpartition('.')[2]}` and offload "
                    f"`{adapter.wrapped}` where async callers need it "
                    "(`await rescope.resources.run_blocking(...)`)",
                )
