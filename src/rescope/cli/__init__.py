"""The ``rescope`` command.

``rescope audit`` reads a codebase and reports its singletons and hazards; ``rescope
migrate`` rewrites it. Exit codes: 0 success, 1 findings or a failed check, 2 usage or
configuration error.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

from rescope.exceptions import MissingExtraError, RescopeError, UsageError

__all__ = ["main"]

EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_USAGE = 2


def _error(message: str) -> None:
    sys.stderr.write(f"rescope: error: {message}\n")


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line and return its exit code.

    Args:
        argv: The arguments after the program name; ``sys.argv[1:]`` when omitted.
    """
    try:
        import click

        from rescope.cli._app import cli
    except ModuleNotFoundError as exc:
        _error(
            str(MissingExtraError("cli", module="the rescope command", missing=exc.name or "click"))
        )
        return EXIT_USAGE
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        result = cli.main(args=args, prog_name="rescope", standalone_mode=False)
    except click.exceptions.ClickException as exc:
        exc.show()
        return EXIT_USAGE if isinstance(exc, click.UsageError) else exc.exit_code
    except click.exceptions.Abort:
        _error("aborted.")
        return EXIT_FINDINGS
    except UsageError as exc:
        _error(str(exc))
        return EXIT_USAGE
    except RescopeError as exc:
        _error(str(exc))
        return EXIT_USAGE
    return result if isinstance(result, int) else EXIT_OK
