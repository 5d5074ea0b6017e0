"""Subprocesses run without a shell, in their own group, and never outlive the call."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import threading

import pytest

from rescope.exceptions import ProcessError, ProcessTimeoutError, ResourceError
from rescope.resources import arun_process, run_process
from tests.resources._procs import read_pids, stubborn_argv, wait_gone


async def _run(mode: str, *args, **kwargs):
    if mode == "sync":
        return run_process(*args, **kwargs)
    return await arun_process(*args, **kwargs)


MODES = pytest.mark.parametrize("mode", ["sync", "async"])


@MODES
@pytest.mark.anyio
async def test_result_has_output_exit_code_and_input(mode, tmp_path) -> None:
    """Stdout, stderr and the exit code come back; input reaches stdin; cwd and env apply."""
    script = "import os, sys; d = sys.stdin.read(); print(d.upper(), os.getcwd(), os.environ['X']);"
    script += "print('warn', file=sys.stderr)"
    result = await _run(
        mode, [sys.executable, "-c", script], input="abc", cwd=tmp_path, env={"X": "42"}
    )
    assert result.returncode == 0
    assert result.stdout_text.split() == ["ABC", str(tmp_path), "42"]
    assert result.stderr_text == "warn\n"
    assert result.argv[0] == sys.executable


@MODES
@pytest.mark.anyio
async def test_large_input_and_output_do_not_deadlock(mode) -> None:
    """Megabytes through stdin and stdout at once pass without the pipes blocking."""
    data = b"x" * (3 << 20)
    script = "import sys; sys.stdout.buffer.write(sys.stdin.buffer.read())"
    result = await _run(mode, [sys.executable, "-c", script], input=data, max_output=4 << 20)
    assert result.stdout == data


@MODES
@pytest.mark.anyio
async def test_output_is_capped_head_of_stdout_tail_of_stderr(mode) -> None:
    """Beyond max_output, stdout keeps its head, stderr its tail, and both say truncated."""
    script = (
        "import sys; sys.stdout.write('A' * 5000 + 'B' * 5000);"
        "sys.stderr.write('C' * 5000 + 'D' * 5000)"
    )
    result = await _run(mode, [sys.executable, "-c", script], max_output=1000)
    assert result.stdout == b"A" * 1000
    assert result.stderr == b"D" * 1000
    assert result.stdout_truncated
    assert result.stderr_truncated


@MODES
@pytest.mark.anyio
async def test_non_zero_exit_raises_with_argv_code_and_stderr_tail(mode) -> None:
    """check=True turns a failure into ProcessError carrying argv, exit code and stderr tail."""
    script = "import sys; sys.stderr.write('x' * 5000 + 'the real reason'); sys.exit(3)"
    argv = [sys.executable, "-c", script]
    with pytest.raises(ProcessError) as info:
        await _run(mode, argv)
    assert info.value.argv == argv
    assert info.value.returncode == 3
    assert info.value.stderr_tail.endswith("the real reason")
    assert len(info.value.stderr_tail) == 2000
    assert "exited with code 3" in str(info.value)
    result = await _run(mode, argv, check=False)
    assert result.returncode == 3


@MODES
@pytest.mark.anyio
async def test_missing_executable_says_how_to_fix(mode) -> None:
    """A program that is not installed raises ProcessError with no exit code and a hint."""
    with pytest.raises(ProcessError) as info:
        await _run(mode, ["rescope-no-such-program", "--help"])
    assert info.value.returncode is None
    assert "could not start" in str(info.value)
    assert "Try installing 'rescope-no-such-program'" in str(info.value)


@MODES
@pytest.mark.anyio
@pytest.mark.parametrize("argv", ["ls -l", []])
async def test_string_or_empty_argv_is_refused(mode, argv) -> None:
    """A string (shell-style) or empty argv is refused before anything starts."""
    with pytest.raises(ResourceError):
        await _run(mode, argv)


@MODES
@pytest.mark.anyio
async def test_timeout_kills_a_stubborn_child_and_its_grandchild(mode, tmp_path) -> None:
    """On timeout a child ignoring SIGTERM and its grandchild are both killed (checked by pid)."""
    pid_file = tmp_path / "pids"
    with pytest.raises(ProcessTimeoutError) as info:
        await _run(mode, stubborn_argv(pid_file), timeout=2.0, kill_grace=0.2)
    pids = read_pids(pid_file)
    assert wait_gone(pids) == []
    assert info.value.returncode == -9
    assert info.value.timeout == 2.0
    assert "child is stuck" in info.value.stderr_tail
    assert "timed out after 2s" in str(info.value)


@pytest.mark.anyio
async def test_cancellation_kills_a_stubborn_child_and_its_grandchild(tmp_path) -> None:
    """Cancelling the awaiting task kills the whole tree before CancelledError propagates."""
    pid_file = tmp_path / "pids"
    task = asyncio.create_task(arun_process(stubborn_argv(pid_file), kill_grace=0.2))
    while not pid_file.exists():
        await asyncio.sleep(0.01)
    pids = read_pids(pid_file)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert wait_gone(pids) == []


@MODES
@pytest.mark.anyio
async def test_leftovers_are_killed_when_the_command_exits(mode, tmp_path) -> None:
    """A background process left holding the pipes is killed when its parent exits."""
    script = (
        "import subprocess, sys;"
        "p = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(120)']);"
        "print(p.pid)"
    )
    result = await _run(mode, [sys.executable, "-c", script], timeout=30)
    assert wait_gone([int(result.stdout_text)]) == []


def test_keyboard_interrupt_kills_the_whole_tree(tmp_path) -> None:
    """Ctrl-C during run_process kills the child and grandchild before the interrupt goes on."""
    pid_file = tmp_path / "pids"

    def interrupt_when_started() -> None:
        read_pids(pid_file)
        os.kill(os.getpid(), signal.SIGINT)

    threading.Thread(target=interrupt_when_started, daemon=True).start()
    with pytest.raises(KeyboardInterrupt):
        run_process(stubborn_argv(pid_file), timeout=60, kill_grace=0.2)
    assert wait_gone(read_pids(pid_file)) == []


def test_without_pidfd_the_leader_is_polled(monkeypatch, tmp_path) -> None:
    """Where os.pidfd_open is missing (macOS, old kernels) output, exit and leftovers still work."""
    monkeypatch.delattr(os, "pidfd_open")
    script = (
        "import subprocess, sys;"
        "p = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(120)']);"
        "print(p.pid); sys.stdout.flush(); sys.exit(4)"
    )
    result = run_process([sys.executable, "-c", script], input="x" * 100_000, check=False)
    assert result.returncode == 4
    assert wait_gone([int(result.stdout_text)]) == []
    pid_file = tmp_path / "pids"
    with pytest.raises(ProcessTimeoutError):
        run_process(stubborn_argv(pid_file), timeout=2.0, kill_grace=0.2)
    assert wait_gone(read_pids(pid_file)) == []
