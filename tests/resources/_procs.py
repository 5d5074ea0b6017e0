"""Helpers for the subprocess tests: stubborn process trees and pid liveness."""

from __future__ import annotations

import sys
import time
from pathlib import Path

# A child that ignores SIGTERM, spawns a grandchild that ignores it too, writes both pids
# to the file named by argv[1], then sleeps.
STUBBORN = """
import os, signal, subprocess, sys, time
signal.signal(signal.SIGTERM, signal.SIG_IGN)
grandchild = subprocess.Popen([sys.executable, "-c",
    "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); time.sleep(120)"])
with open(sys.argv[1] + ".tmp", "w") as fh:
    fh.write(f"{os.getpid()} {grandchild.pid}")
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
sys.stderr.write("child is stuck\\n")
sys.stderr.flush()
time.sleep(120)
"""


def stubborn_argv(pid_file: Path) -> list[str]:
    """The argv of a process tree that ignores SIGTERM and writes its pids to ``pid_file``."""
    return [sys.executable, "-c", STUBBORN, str(pid_file)]


def alive(pid: int) -> bool:
    """Whether ``pid`` is a live process (a zombie waiting to be reaped counts as gone)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def wait_gone(pids: list[int], within: float = 5.0) -> list[int]:
    """Wait until no pid is alive; return those still alive after ``within`` seconds."""
    deadline = time.monotonic() + within
    while (left := [p for p in pids if alive(p)]) and time.monotonic() < deadline:
        time.sleep(0.01)
    return left


def read_pids(pid_file: Path, within: float = 10.0) -> list[int]:
    """Wait for the stubborn tree to write its pids and return them."""
    deadline = time.monotonic() + within
    while not pid_file.exists():
        if time.monotonic() > deadline:
            raise AssertionError("the child never wrote its pids")
        time.sleep(0.01)
    return [int(p) for p in pid_file.read_text().split()]
