"""The `rescope` command as users run it: a real subprocess of the installed console script."""

from __future__ import annotations

import subprocess
import sys

import rescope
from rescope.cli import main


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "rescope", *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_version_prints_the_package_version() -> None:
    """`rescope --version` prints the version and exits 0."""
    result = _run("--version")
    assert result.returncode == 0
    assert rescope.__version__ in result.stdout


def test_help_lists_the_subcommands() -> None:
    """`rescope --help` names audit and migrate."""
    result = _run("--help")
    assert result.returncode == 0
    assert "audit" in result.stdout
    assert "migrate" in result.stdout


def test_unknown_option_is_a_usage_error_without_traceback() -> None:
    """A wrong option exits 2 with a message and no traceback."""
    result = _run("--no-such-option")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "no-such-option" in result.stderr


def test_main_returns_exit_codes_instead_of_exiting(capsys) -> None:
    """`main()` returns the exit code so it can be called from Python."""
    assert main(["--version"]) == 0
    assert rescope.__version__ in capsys.readouterr().out
