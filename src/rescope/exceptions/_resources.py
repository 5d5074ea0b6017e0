"""Resource-safety errors (``rescope.resources``): subprocesses and databases."""

from __future__ import annotations

from collections.abc import Sequence

from rescope.exceptions._base import RescopeError

__all__ = ["DatabaseError", "ProcessError", "ProcessTimeoutError", "ResourceError"]


class ResourceError(RescopeError):
    """Base class for resource-safety errors."""


class ProcessError(ResourceError):
    """Raised when a subprocess cannot start, or exits with a non-zero code and ``check=True``.

    Args:
        argv: The command that ran.
        returncode: Its exit code (negative: killed by that signal; ``None``: never started).
        stderr_tail: The last part of what it wrote to stderr.
        message: What happened, when it is not a plain non-zero exit.
        hint: The fix, when there is one.
    """

    def __init__(
        self,
        argv: Sequence[str],
        *,
        returncode: int | None,
        stderr_tail: str = "",
        message: str | None = None,
        hint: str | None = None,
    ) -> None:
        text = message or f"`{' '.join(argv)}` exited with code {returncode}"
        if stderr_tail:
            text = f"{text}\n--- stderr (tail) ---\n{stderr_tail}"
        super().__init__(text, hint=hint)
        self.argv = list(argv)
        self.returncode = returncode
        self.stderr_tail = stderr_tail


class ProcessTimeoutError(ProcessError):
    """Raised when a subprocess ran past its timeout; its whole process group was killed.

    Args:
        argv: The command that ran.
        returncode: The exit code after the kill (negative: the signal that ended it).
        stderr_tail: The last part of what it wrote to stderr before it was killed.
        timeout: The timeout in seconds, if known.
    """

    def __init__(
        self,
        argv: Sequence[str],
        *,
        returncode: int | None,
        stderr_tail: str = "",
        timeout: float | None = None,
    ) -> None:
        after = f" after {timeout:g}s" if timeout is not None else ""
        super().__init__(
            argv,
            returncode=returncode,
            stderr_tail=stderr_tail,
            message=f"`{' '.join(argv)}` timed out{after}; its process group was killed",
            hint="a longer `timeout`, or find out why the command hangs (the stderr tail above).",
        )
        self.timeout = timeout


class DatabaseError(ResourceError):
    """Raised when a database session, transaction or engine cannot do what was asked."""
