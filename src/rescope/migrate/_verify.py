"""``--verify``: run the project's tests before and after a migration and compare them.

The command runs as given (no shell). When it runs pytest, a JUnit XML report is asked
for through ``PYTEST_ADDOPTS`` and every test's outcome is compared; otherwise only the
exit status is.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import tempfile
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

from rescope.exceptions import MigrationError

__all__ = ["TestRun", "Verification", "compare", "run_tests"]


@dataclass(frozen=True, slots=True)
class TestRun:
    """One run of the test command.

    Args:
        returncode: The command's exit status.
        outcomes: Test id -> ``passed``, ``failed``, ``error`` or ``skipped`` (empty when
            the command did not run pytest).
        output: The tail of what the command printed.
    """

    __test__ = False  # not a pytest class, despite the name

    returncode: int
    outcomes: dict[str, str] = field(default_factory=dict)
    output: str = ""

    @property
    def passed(self) -> int:
        """How many tests passed."""
        return sum(1 for o in self.outcomes.values() if o == "passed")


@dataclass(frozen=True, slots=True)
class Verification:
    """The difference between the runs before and after.

    Args:
        before: The run on the code as it was.
        after: The run on the migrated code.
        regressions: Tests that passed before and do not pass after (or ``<exit status>``
            when only exit statuses could be compared).
        fixed: Tests that did not pass before and pass after.
    """

    before: TestRun
    after: TestRun
    regressions: list[str]
    fixed: list[str]

    @property
    def ok(self) -> bool:
        """Whether no test got worse."""
        return not self.regressions

    def summary(self) -> str:
        """One line: counts before and after, and what regressed."""
        text = (
            f"tests before: {self.before.passed} passed (exit {self.before.returncode});"
            f" after: {self.after.passed} passed (exit {self.after.returncode})"
        )
        if self.regressions:
            text += "; regressed: " + ", ".join(self.regressions[:10])
        return text


def _outcomes(report: Path) -> dict[str, str]:
    if not report.is_file():
        return {}
    try:
        root = ET.parse(report).getroot()  # noqa: S314 - written by the project's own pytest
    except ET.ParseError:
        return {}
    outcomes: dict[str, str] = {}
    for case in root.iter("testcase"):
        name = f"{case.get('classname', '')}::{case.get('name', '')}"
        outcome = "passed"
        for child in case:
            if child.tag in {"failure", "error", "skipped"}:
                outcome = "failed" if child.tag == "failure" else child.tag
                break
        outcomes[name] = outcome
    return outcomes


def run_tests(command: str, cwd: Path, *, timeout: float = 1800) -> TestRun:
    """Run ``command`` in ``cwd`` and collect each test's outcome.

    Args:
        command: The test command, split like a shell would (``"python -m pytest -q"``).
        cwd: The directory to run it in.
        timeout: Seconds before the command is killed.

    Raises:
        MigrationError: The command is empty, cannot be started, or runs past ``timeout``.
    """
    argv = shlex.split(command)
    if not argv:
        raise MigrationError("--verify was given an empty command.", hint='`--verify "pytest -q"`.')
    with tempfile.TemporaryDirectory(prefix="rescope-verify-") as scratch:
        report = Path(scratch) / "junit.xml"
        addopts = os.environ.get("PYTEST_ADDOPTS", "")
        env = {**os.environ, "PYTEST_ADDOPTS": f"{addopts} --junitxml={report}".strip()}
        try:
            done = subprocess.run(  # noqa: S603 - the user's own test command
                argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False
            )
        except FileNotFoundError as exc:
            raise MigrationError(
                f"--verify could not start {argv[0]!r}: {exc.strerror}.",
                hint="a command that runs from the project root, such as `python -m pytest -q`.",
            ) from exc
        except subprocess.TimeoutExpired as exc:
            raise MigrationError(
                f"--verify command {command!r} ran for more than {timeout:g}s and was stopped."
            ) from exc
        output = (done.stdout + done.stderr)[-4000:]
        return TestRun(done.returncode, _outcomes(report), output)


def compare(before: TestRun, after: TestRun) -> Verification:
    """What got worse and what got better between two runs."""
    if before.outcomes or after.outcomes:
        regressions = [
            t
            for t, o in sorted(before.outcomes.items())
            if o == "passed" and after.outcomes.get(t) != "passed"
        ]
        fixed = [
            t
            for t, o in sorted(after.outcomes.items())
            if o == "passed" and before.outcomes.get(t) != "passed"
        ]
        if not after.outcomes and before.outcomes:
            regressions = ["<no test ran after the migration>"]
    else:
        regressions = ["<exit status>"] if before.returncode == 0 != after.returncode else []
        fixed = []
    return Verification(before, after, regressions, fixed)
