"""RS402 names the hazard of the call it flags: no running loop, a dropped task, or both."""

from __future__ import annotations

from pathlib import Path

import pytest

from rescope.audit import AuditConfig, Finding, run_audit
from tests.audit._helpers import write_tree

_WEAK = "garbage-collected mid-flight"


def _finding(tmp_path: Path, source: str) -> Finding:
    """The one RS402 finding in ``source``."""
    write_tree(tmp_path, "import asyncio\n\n" + source)
    result = run_audit([tmp_path], AuditConfig(use_cache=False, select=("RS402",)))
    (finding,) = result.findings
    return finding


@pytest.mark.parametrize(
    "source",
    [
        pytest.param("async def handler(send):\n    asyncio.create_task(send())\n", id="async"),
        pytest.param("async def handler(send):\n    asyncio.ensure_future(send())\n", id="future"),
        pytest.param(
            "def send(work):\n    asyncio.get_running_loop()\n    asyncio.create_task(work())\n",
            id="sync-that-checks-the-loop",
        ),
        pytest.param(
            "async def main(fut, work):\n    def done(_):\n"
            "        asyncio.create_task(work())\n    fut.add_done_callback(done)\n",
            id="callback-in-async",
        ),
    ],
)
def test_dropped_task_in_a_running_loop(tmp_path: Path, source: str) -> None:
    """Inside a running loop the message is only about the dropped task, not a missing loop."""
    finding = _finding(tmp_path, source)
    assert "drops its task" in finding.message
    assert _WEAK in finding.message
    assert "sync function" not in finding.message
    assert "RuntimeError" not in finding.message
    assert "never starts" not in finding.message
    assert finding.fix.startswith("Try ")
    assert "TaskGroup" in finding.fix
    assert "add_done_callback" in finding.fix


@pytest.mark.parametrize(
    ("call", "outside"),
    [
        ("asyncio.create_task", "raises `RuntimeError: no running event loop`"),
        ("asyncio.ensure_future", "binds the task to a loop nobody runs, so it never starts"),
    ],
)
def test_dropped_task_in_sync_code_names_both_hazards(
    tmp_path: Path, call: str, outside: str
) -> None:
    """From sync code the message says what happens outside a loop and inside one."""
    finding = _finding(tmp_path, f"def process(job, notify):\n    {call}(notify(job))\n")
    assert finding.message.startswith(f"`{call}()` in `process` is called from a sync function")
    assert f"outside a running loop it {outside}" in finding.message
    assert f"in a running loop, the loop holds the task only weakly, so it can be {_WEAK}" in (
        finding.message
    )
    assert finding.fix.startswith("Try making `process` async")
    assert "asyncio.get_running_loop()" in finding.fix


def test_sync_task_that_is_not_dropped_only_names_the_missing_loop(tmp_path: Path) -> None:
    """A sync call whose task is neither kept nor dropped is about the missing loop only."""
    finding = _finding(
        tmp_path,
        "def process(work, flag):\n    t = None if flag else asyncio.create_task(work())\n"
        "    return 1\n",
    )
    assert "is called from a sync function: outside a running loop it raises" in finding.message
    assert _WEAK not in finding.message


def test_task_on_a_new_loop_never_starts(tmp_path: Path) -> None:
    """`new_event_loop().create_task` says the loop is not running and suggests `asyncio.run`."""
    finding = _finding(
        tmp_path,
        "def schedule(work):\n    loop = asyncio.new_event_loop()\n    loop.create_task(work())\n",
    )
    assert "the new loop is not running, so the task never starts" in finding.message
    assert "RuntimeError" not in finding.message
    assert finding.fix.startswith("Try ")
    assert "asyncio.run()" in finding.fix


def test_task_on_the_current_loop_names_that_loop(tmp_path: Path) -> None:
    """`get_event_loop().create_task` names the loop and offers the thread-safe call."""
    finding = _finding(
        tmp_path,
        "def schedule(work):\n    loop = asyncio.get_event_loop()\n    loop.create_task(work())\n",
    )
    assert "when `asyncio.get_event_loop()` is not running, the task never starts" in (
        finding.message
    )
    assert _WEAK in finding.message
    assert "run_coroutine_threadsafe" in finding.fix
