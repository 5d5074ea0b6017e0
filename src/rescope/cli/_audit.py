"""``rescope audit``: find singletons and hazards and report the service inventory."""

from __future__ import annotations

from pathlib import Path

import click

from rescope.exceptions import NotImplementedYetError

__all__ = ["audit"]


@click.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
def audit(paths: tuple[Path, ...]) -> int:
    """Find every singleton and related hazard under PATHS and report the inventory."""
    del paths
    msg = "`rescope audit` is not available in this version yet."
    raise NotImplementedYetError(msg)
