"""Subprocess edges: cancellation while spawning, and descendants that leave the group."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import sys
import uuid
from pathlib import Path

import anyio
import pytest

from rescope.exceptions import ProcessTimeoutError
from rescope.resources import arun_process, run_process
from tests.resources._procs import alive, wait_gone

# A shell whose background children fork at once: a group of three within a millisecond.
TREE = ["/bin/sh", "-c", "sleep 30 & sleep 30 & wait"]

# The leader starts a grandchild that calls setsid() (leaving the leader's group and
# session), writes its pid to argv[1] and keeps stdout/stderr open; once the pid is there
# the leader prints and exits 0 (or, with argv[2] == "hang", sleeps past any timeout).
SETSID = """
import os, subprocess, sys, time
stray = (
    "import os, sys, time; os.setsid(); path = sys.argv[1];"
    "open(path + '.tmp', 'w').write(str(os.getpid())); os.rename(path + '.tmp', path);"
    "time.sleep(60)"
)
subprocess.Popen([sys.executable, "-c", stray, sys.argv[1]])
while not os.path.exists(sys.argv[1]):
    time.sleep(0.005)
print("leader done", flush=True)
if sys.argv[2] == "hang":
    time.sleep(60)
"""


def _marked(marker: str) -> list[int]:
    """Pids of live processes whose environment carries ``marker``."""
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError):
            if marker.encode() in (entry / "environ").read_bytes() and alive(int(entry.name)):
                pids.append(int(entry.name))
    return pids


def _env(marker: str) -> dict[str, str]:
    return {**os.environ, "RESCOPE_TEST_MARKER": marker}


async def _settled(task: asyncio.Task[object]) -> None:
    """Wait for ``task``, failing if it waits for the tree's 30 s sleeps instead of ending it."""
    done, _ = await asyncio.wait({task}, timeout=10)
    assert task in done, "the cancelled call waited for the process tree to exit by itself"


@pytest.mark.anyio
@pytest.mark.parametrize("yields", [0, 1, 2, 3, 5, 8])
async def test_native_cancellation_while_spawning_leaves_no_process(yields) -> None:
    """Task.cancel() a few loop turns into arun_process kills whatever was spawned."""
    marker = uuid.uuid4().hex
    task = asyncio.create_task(arun_process(TREE, env=_env(marker), kill_grace=0.2))
    for _ in range(yields):
        await asyncio.sleep(0)
    task.cancel()
    await _settled(task)
    with pytest.raises(asyncio.CancelledError):
        task.result()
    assert wait_gone(_marked(marker), within=0.5) == []


@pytest.mark.anyio
async def test_cancel_scope_cancelled_before_spawning_leaves_no_process() -> None:
    """An anyio scope already cancelled on entry still has the spawned group killed."""
    marker = uuid.uuid4().hex
    with anyio.CancelScope() as scope:
        scope.cancel()
        await arun_process(TREE, env=_env(marker), kill_grace=0.2)
    assert scope.cancelled_caught
    assert wait_gone(_marked(marker), within=0.5) == []


@pytest.mark.anyio
@pytest.mark.parametrize("timeout", [0.0005, 0.002, 0.01])
async def test_a_timeout_around_a_spawning_call_leaves_no_process(timeout) -> None:
    """asyncio.wait_for expiring around arun_process at spawn time leaves no process."""
    marker = uuid.uuid4().hex
    call = arun_process(TREE, env=_env(marker), kill_grace=0.2)
    task = asyncio.create_task(asyncio.wait_for(call, timeout))
    await _settled(task)
    with pytest.raises(TimeoutError):
        task.result()
    assert wait_gone(_marked(marker), within=0.5) == []


async def _run(mode: str, *args, **kwargs):
    if mode == "sync":
        return run_process(*args, **kwargs)
    return await arun_process(*args, **kwargs)


def _open_fds() -> int:
    return len(list(Path("/proc/self/fd").iterdir()))


def _kill(pid_file: Path) -> int:
    pid = int(pid_file.read_text())
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)
    return pid


@pytest.mark.anyio
@pytest.mark.parametrize("mode", ["sync", "async"])
async def test_a_setsid_descendant_holding_the_pipes_does_not_hold_the_call(
    mode, tmp_path, caplog
) -> None:
    """With no timeout, the call returns once the leader exits; the stray keeps running."""
    pid_file = tmp_path / "stray"
    fds = _open_fds()
    argv = [sys.executable, "-c", SETSID, str(pid_file), "exit"]
    with caplog.at_level(logging.WARNING, logger="rescope.resources"):
        result = await _run(mode, argv, kill_grace=0.3)
    try:
        assert result.returncode == 0
        assert result.stdout_text == "leader done\n"
        assert "left its process group" in caplog.text
        assert alive(int(pid_file.read_text()))  # outside the group: documented, not killed
        assert _open_fds() == fds
    finally:
        assert wait_gone([_kill(pid_file)]) == []


@pytest.mark.anyio
@pytest.mark.parametrize("mode", ["sync", "async"])
async def test_timeout_bounds_the_call_despite_a_setsid_descendant(mode, tmp_path) -> None:
    """A hanging leader with a stray holding the pipes still raises the timeout, pipes closed."""
    pid_file = tmp_path / "stray"
    fds = _open_fds()
    argv = [sys.executable, "-c", SETSID, str(pid_file), "hang"]
    with pytest.raises(ProcessTimeoutError) as info:
        await _run(mode, argv, timeout=1.5, kill_grace=0.2)
    try:
        assert info.value.returncode < 0  # killed by a signal
        assert alive(int(pid_file.read_text()))
        assert _open_fds() == fds
    finally:
        assert wait_gone([_kill(pid_file)]) == []
