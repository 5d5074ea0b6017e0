"""The click group behind ``rescope``; each subcommand lives in its own module."""

from __future__ import annotations

import click

from rescope._version import __version__
from rescope.cli._audit import audit
from rescope.cli._migrate import migrate

__all__ = ["cli"]


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "-V", "--version", prog_name="rescope")
def cli() -> None:
    r"""Move a Python async backend from global singletons to scoped, injected services.

    \b
    rescope audit PATH     find singletons and hazards, report the service inventory
    rescope migrate PATH   rewrite the code onto dependency injection
    """


cli.add_command(audit)
cli.add_command(migrate)
