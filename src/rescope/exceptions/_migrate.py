"""Errors of ``rescope migrate``: a phase that cannot run, or tests that got worse."""

from __future__ import annotations

from collections.abc import Sequence

from rescope.exceptions._base import RescopeError

__all__ = ["MigrationError", "VerificationError"]


class MigrationError(RescopeError):
    """Raised when a migration cannot run (not a directory, a bad option, a failed ``--verify``)."""


class VerificationError(MigrationError):
    """Raised when tests that passed before a migration do not pass after it.

    Args:
        regressions: The tests (``module::name``) that passed before and not after.
        command: The test command that was run before and after.
    """

    def __init__(self, regressions: Sequence[str], *, command: str) -> None:
        shown = ", ".join(regressions[:10])
        if len(regressions) > 10:  # noqa: PLR2004 - the message lists ten
            shown += f" and {len(regressions) - 10} more"
        super().__init__(
            f"`{command}` passed these tests before the migration and not after: {shown}.",
            hint="reading the diff along those tests' code paths; the files are written, so"
            " revert them with your version control and run the phases one at a time.",
        )
        self.regressions = tuple(regressions)
        self.command = command
