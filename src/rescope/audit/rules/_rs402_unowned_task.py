"""RS402: a task started from sync code, or whose reference is dropped."""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from rescope.audit._model import Finding, Severity
from rescope.audit.rules._base import Context, Example, Rule
from rescope.audit.rules._rs4_hazard_names import ChainResolver, hazard_modules
from rescope.audit.rules._rs4_hazard_scan import collect_hazards

__all__ = ["UnownedTask"]

_SPAWNERS = frozenset({"asyncio.create_task", "asyncio.ensure_future"})
_LOOPS = ("asyncio.get_event_loop()", "asyncio.get_running_loop()", "asyncio.new_event_loop()")


def _is_loop_spawn(qualified: str) -> bool:
    receiver = qualified.rpartition(".")[0]
    last = receiver.rpartition(".")[2]
    return receiver.endswith(_LOOPS) or last in {"loop", "_loop", "event_loop"}


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
        From sync code there may be no running loop (``RuntimeError: no running event
        loop``, or a task on a loop nobody runs). A dropped task is only weakly referenced by
        the loop: it can be garbage-collected mid-flight, its exception is never seen, and
        shutdown cannot wait for it. Completion notifications silently vanish.

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
    fix_title = (
        "Start the task from async code and keep it: an `asyncio.TaskGroup`, or a set of tasks "
        "the owner awaits or cancels on shutdown"
    )
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
                why = []
                if "sync" in tags:
                    why.append("is called from a sync function, where no loop may be running")
                if "dropped" in tags:
                    why.append("drops the task, so it can be garbage-collected or fail unseen")
                yield self.finding(
                    facts.path,
                    site.line,
                    f"{site.function}:{site.name.rpartition('.')[2]}",
                    call=site.name,
                    function=site.function,
                    why=", and ".join(why),
                )
