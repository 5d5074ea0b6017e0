"""RS001: a file that cannot be parsed."""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from rescope.audit._model import Finding, Severity
from rescope.audit.rules._base import Context, Example, Rule

__all__ = ["UnparsableFile"]


class UnparsableFile(Rule):
    """A file that is not valid UTF-8 or does not parse as Python.

    What it does:
        Reports each ``.py`` file the audit could not read as Python, at the line of the error.
        The rest of the project is still audited.

    Why is this bad?
        Nothing in the file is checked, so its singletons and hazards go unreported; a file that
        does not parse is usually a merge leftover or a generated file in the wrong place.

    Example:
        def broken(:
            pass

    Use instead:
        def fixed():
            pass
    """

    code = "RS001"
    name = "unparsable-file"
    severity = Severity.MEDIUM
    message = "`{file}` cannot be audited: {problem}"
    fix_title = "Fix the file, or exclude it with `exclude` in [tool.rescope]"
    VALID: ClassVar[list[Example]] = ["def fine() -> int:\n    return 1\n"]
    INVALID: ClassVar[list[Example]] = ["def broken(:\n    pass\n", "x = (1,\n"]

    def check(self, ctx: Context) -> Iterator[Finding]:
        """Yield one finding per file whose facts carry a parse problem."""
        for facts in ctx.modules:
            if facts.problem is not None:
                yield self.finding(
                    facts.path,
                    facts.problem.line,
                    "file",
                    column=facts.problem.column,
                    file=facts.path,
                    problem=facts.problem.message,
                )
