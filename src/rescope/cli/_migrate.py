"""``rescope migrate``: rewrite singleton access into dependency injection."""

from __future__ import annotations

from pathlib import Path

import click

from rescope.exceptions import NotImplementedYetError

__all__ = ["migrate"]


@click.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
def migrate(paths: tuple[Path, ...]) -> int:
    """Rewrite the code under PATHS from global singletons to injected dependencies."""
    del paths
    msg = "`rescope migrate` is not available in this version yet."
    raise NotImplementedYetError(msg)
