"""RS404: a loop that sleeps and re-reads a status until it changes."""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from rescope.audit._model import Finding, Severity
from rescope.audit.rules._base import Context, Example, Rule
from rescope.audit.rules._rs4_hazard_names import hazard_modules
from rescope.audit.rules._rs4_hazard_scan import collect_hazards

__all__ = ["PollingLoop"]


class PollingLoop(Rule):
    """A ``while`` loop that sleeps and re-reads a status until it says done.

    What it does:
        Finds ``while`` loops whose body sleeps (``await asyncio.sleep``, ``time.sleep``,
        ``anyio.sleep``) on its normal path and leaves the loop (``return``/``break``) on a
        value it re-reads each round (``status = await get_status(job)``), or whose condition
        re-reads it. Retry loops (the sleep only in an ``except``), periodic jobs (the body
        does work between sleeps) and loops without a sleep are not findings.

    Why is this bad?
        Each waiter costs a read per interval (against Redis or the database) for as long as
        the job runs, every completion is seen up to one interval late, and many waiters
        multiply the load. The producer already knows when the job is done.

    Example:
        while True:
            result = await self.get_status(job_id)
            if result is not None:
                return result
            await asyncio.sleep(poll_interval)

    Use instead:
        # the webhook publishes, waiters wake up at once (rescope.events)
        return await notifier.wait_for(job_id, timeout=timeout)
    """

    code = "RS404"
    name = "polling-loop"
    severity = Severity.LOW
    message = "`{function}` polls: it sleeps with `{sleep}()` and re-reads a status until done"
    fix_title = (
        "Await a completion event instead (rescope.events' completion notifier, an "
        "`asyncio.Event`, or Redis pub/sub), with a timeout"
    )
    collect = collect_hazards
    VALID: ClassVar[list[Example]] = [
        (
            "import asyncio\n\nasync def retry(fetch):\n    while True:\n        try:\n"
            "            return await fetch()\n        except OSError:\n"
            "            await asyncio.sleep(1)\n"
        ),
        (
            "import asyncio\n\nasync def heartbeat(beat, running):\n    while running():\n"
            "        await beat()\n        await asyncio.sleep(30)\n"
        ),
        (
            "async def serve(ws):\n    while True:\n        message = await ws.receive_json()\n"
            "        if message == 'bye':\n            break\n"
        ),
    ]
    INVALID: ClassVar[list[Example]] = [
        (
            "import asyncio\n\nasync def wait_for_completion(store, job_id):\n    while True:\n"
            "        result = await store.get_status(job_id)\n        if result is not None:\n"
            "            return result\n        await asyncio.sleep(0.5)\n"
        ),
        (
            "import time\n\ndef wait_done(client, job):\n"
            "    while client.status(job) != 'done':\n        time.sleep(2)\n"
        ),
    ]

    def check(self, ctx: Context) -> Iterator[Finding]:
        """Yield one finding per polling loop, at its ``while``."""
        for facts, hazards in hazard_modules(ctx, self.code):
            for site in hazards.polls:
                yield self.finding(
                    facts.path,
                    site.line,
                    f"{site.function}:while",
                    function=site.function,
                    sleep=site.name,
                )
