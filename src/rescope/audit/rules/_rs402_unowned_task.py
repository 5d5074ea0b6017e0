"""RS402: a task started from sync code, or whose reference is dropped."""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from rescope.audit._model import Finding, Severity
from rescope.audit.rules._base import Context, Example, Rule
from rescope.audit.rules._rs4_hazard_facts import Site
from rescope.audit.rules._rs4_hazard_names import ChainResolver, hazard_modules
from rescope.audit.rules._rs4_hazard_scan import collect_hazards

__all__ = ["UnownedTask"]

_SPAWNERS = frozenset({"asyncio.create_task", "asyncio.ensure_future"})
_LOOPS = ("asyncio.get_event_loop()", "asyncio.get_running_loop()", "asyncio.new_event_loop()")


def _is_loop_spawn(qualified: str) -> bool:
    receiver = qualified.rpartition(".")[0]
    last = receiver.rpartition(".")[2]
    return receiver.endswith(_LOOPS) or last in {"loop", "_loop", "event_loop"}


# What each spawner does when its sync caller runs outside an event loop.
_NO_LOOP = {
    "asyncio.create_task": "outside a running loop it raises `RuntimeError: no running event loop`",
    "asyncio.ensure_future": (
        "outside a running loop it binds the task to a loop nobody runs, so it never starts "
        "(Python 3.14 raises `RuntimeError`)"
    ),
}
_NEW_LOOP = "the new loop is not running, so the task never starts"
_OTHER_LOOP = "when `{loop}` is not running, the task never starts"
_DROPPED = (
    "the loop holds the task only weakly, so it can be garbage-collected mid-flight and its "
    "exception is never seen"
)
_KEEP = (
    "a set the owner awaits or cancels on shutdown "
    "(`tasks.add(task)`, `task.add_done_callback(tasks.discard)`)"
)
_FIX_DROPPED = f"Try starting it in an `asyncio.TaskGroup`, or keep it in {_KEEP}"
_FIX_SYNC = (
    "Try making `{function}` async and starting the task in an `asyncio.TaskGroup`; if it must "
    f"stay sync, take the loop from `asyncio.get_running_loop()` and keep the task in {_KEEP}"
)
_FIX_NEW_LOOP = (
    "Try starting the task from async code in an `asyncio.TaskGroup`, or run the coroutine "
    "with `asyncio.run()` where the program starts"
)
_FIX_OTHER_LOOP = (
    "Try starting the task from async code on `asyncio.get_running_loop()` and keeping it in "
    f"{_KEEP}; from another thread, use `asyncio.run_coroutine_threadsafe(coro, loop)`"
)


def _hazard(qualified: str, site: Site, *, sync: bool, dropped: bool) -> tuple[str, str]:
    """The message's ``why`` and the fix, for what the flagged call actually risks.

    Called from sync code, the caller may run outside the loop, where each spawner fails in
    its own way; a dropped task inside a running loop is the other hazard. One call can have
    both.
    """
    if not sync:
        return f"drops its task: {_DROPPED}", _FIX_DROPPED
    receiver = qualified.rpartition(".")[0]
    if qualified in _NO_LOOP:
        no_loop, fix = _NO_LOOP[qualified], _FIX_SYNC.format(function=site.function)
    elif receiver.endswith("new_event_loop()"):
        no_loop, fix = _NEW_LOOP, _FIX_NEW_LOOP
    else:
        no_loop, fix = _OTHER_LOOP.format(loop=site.name.rpartition(".")[0]), _FIX_OTHER_LOOP
    if dropped:
        why = f"is called from a sync function and drops its task: {no_loop}; in a running loop, "
        return why + _DROPPED, fix
    return f"is called from a sync function: {no_loop}", fix


class UnownedTask(Rule):
    """``asyncio.create_task``/``ensure_future`` called from sync code, or with its task dropped.

    What it does:
        Finds ``asyncio.create_task``, ``asyncio.ensure_future`` and ``loop.create_task``
        called in a plain ``def`` (not nested in an ``async def``, such as a done-callback)
        that neither keeps the task (assigns, returns or passes it on) nor checks for a running loop
        with ``asyncio.get_running_loop()``, and calls whose task is thrown away (the call is
        a bare statement). ``TaskGroup.create_task`` is not a finding: the group owns its
        tasks.

    Why is this bad?
        A sync function may be called outside the event loop: there ``create_task`` raises
        ``RuntimeError: no running event loop``, while ``ensure_future`` and
        ``loop.create_task`` put the task on a loop nobody runs, so it never starts. Inside a
        running loop the call works, but a dropped task is only weakly referenced by the
        loop: it can be garbage-collected mid-flight, its exception is never seen, and
        shutdown cannot wait for it. Completion notifications silently vanish. The message
        names the hazards of the call it flags.

    Example:
        def process_webhook_result(job_id, result):
            asyncio.create_task(notifier.notify_completion(job_id, result))

    Use instead:
        async def process_webhook_result(job_id, result, tasks: TaskGroup):
            tasks.create_task(notifier.notify_completion(job_id, result))
    """

    code = "RS402"
    name = "unowned-task"
    severity = Severity.MEDIUM
    message = "`{call}()` in `{function}` {why}"
    fix_title = "{fix}"
    collect = collect_hazards
    VALID: ClassVar[list[Example]] = [
        (
            "import asyncio\n\nclass Hub:\n    def send(self, work):\n"
            "        asyncio.get_running_loop()\n        self.main = asyncio.create_task(work())\n"
        ),
        (
            "import asyncio\n\nasync def main(work):\n    task = asyncio.create_task(work())\n"
            "    await task\n"
        ),
        (
            "import asyncio\n\nasync def main(work):\n    async with asyncio.TaskGroup() as tg:\n"
            "        tg.create_task(work())\n"
        ),
        (
            "import asyncio\n\nclass Runner:\n    def __init__(self):\n"
            "        self.tasks = set()\n\n"
            "    async def start(self, work):\n        task = asyncio.create_task(work())\n"
            "        self.tasks.add(task)\n        task.add_done_callback(self.tasks.discard)\n"
        ),
        (
            "import asyncio\n\nasync def main(fut, work):\n    def done(_):\n"
            "        tasks.append(asyncio.create_task(work()))\n    tasks = []\n"
            "    fut.add_done_callback(done)\n"
        ),
    ]
    INVALID: ClassVar[list[Example]] = [
        (
            "import asyncio\n\ndef process(job_id, notifier):\n"
            "    asyncio.create_task(notifier.notify(job_id))\n    return True\n"
        ),
        "import asyncio\n\nasync def handler(send):\n    asyncio.ensure_future(send())\n",
        (
            "import asyncio\n\ndef schedule(work):\n    loop = asyncio.get_event_loop()\n"
            "    loop.create_task(work())\n"
        ),
        (  # outside a loop: a task on a loop nobody runs; inside one: dropped
            "import asyncio\n\ndef on_message(handler, message):\n"
            "    asyncio.ensure_future(handler(message))\n"
        ),
    ]

    def check(self, ctx: Context) -> Iterator[Finding]:
        """Yield one finding per unowned task spawn."""
        resolver = ChainResolver(ctx)
        for facts, hazards in hazard_modules(ctx, self.code):
            for site in hazards.tasks:
                qualified = resolver.resolve(facts, site.name)
                if qualified not in _SPAWNERS and not _is_loop_spawn(qualified):
                    continue
                tags = set(site.tag.split(","))
                why, fix = _hazard(qualified, site, sync="sync" in tags, dropped="dropped" in tags)
                yield self.finding(
                    facts.path,
                    site.line,
                    f"{site.function}:{site.name.rpartition('.')[2]}",
                    call=site.name,
                    function=site.function,
                    why=why,
                    fix=fix,
                )
