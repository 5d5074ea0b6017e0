"""``rescope migrate``: rewrite singleton access into dependency injection, phase by phase."""

from __future__ import annotations

from pathlib import Path

import click

from rescope.exceptions import UsageError, VerificationError
from rescope.migrate import MigrationResult, Phase
from rescope.migrate import migrate as run_migration

__all__ = ["migrate"]

_PHASE_NAMES = [p.value for p in Phase]


def _phases(values: tuple[str, ...]) -> list[Phase]:
    if not values or "all" in values:
        return list(Phase.ordered())
    return [Phase(v) for v in values]


def _summary(result: MigrationResult) -> None:
    verb = "changed" if result.written else "would change"
    for report in result.reports:
        paths = {n.path for n in report.notes}
        click.echo(
            f"rescope migrate: phase {report.phase.value}: parsed {report.parsed} of"
            f" {report.scanned} files with libcst; {len(paths)} files noted",
            err=True,
        )
        for note in sorted(report.notes, key=lambda n: (n.path, n.line, n.kind)):
            click.echo(f"  {note.render()}", err=True)
    click.echo(
        f"rescope migrate: {len(result.changes)} files {verb} in {result.seconds:.2f}s"
        + ("" if result.written or not result.changes else " (pass --write to apply)"),
        err=True,
    )


@click.command()
@click.argument(
    "path", required=False, default=".", type=click.Path(path_type=Path, file_okay=False)
)
@click.option(
    "--phase",
    "phases",
    multiple=True,
    type=click.Choice([*_PHASE_NAMES, "all"]),
    help="Phase to run (repeatable): deps, routes, tests, container, or all (the first"
    " three; container is opt-in) [default: all].",
)
@click.option(
    "--diff/--write",
    "dry_run",
    default=True,
    help="Print a unified diff (the default) or write the files (atomically).",
)
@click.option(
    "--verify",
    metavar="COMMAND",
    help='Run this test command before and after writing ("python -m pytest -q");'
    " fail when a test that passed before fails after.",
)
@click.option(
    "--deps-module",
    metavar="MODULE",
    help="Dotted name of the dependencies module [default: <app package>.service_dependencies].",
)
@click.option("--app", "app", metavar="MODULE:ATTR", help="The FastAPI app [default: found].")
@click.option(
    "--scope",
    "scopes",
    multiple=True,
    metavar="CLASS=SCOPE",
    help="Container phase: register CLASS in SCOPE (app, session, request) instead of the"
    " audit's suggestion (repeatable).",
)
def migrate(  # noqa: PLR0913, PLR0917 - one parameter per command-line option
    path: Path,
    phases: tuple[str, ...],
    dry_run: bool,  # noqa: FBT001
    verify: str | None,
    deps_module: str | None,
    app: str | None,
    scopes: tuple[str, ...],
) -> int:
    r"""Rewrite the project at PATH from global singletons to injected dependencies.

    \b
    Phases, each safe alone and idempotent:
      deps    generate <app package>/service_dependencies.py: providers and aliases
      routes  route handlers receive services as parameters instead of calling getters
      tests   singleton resets and getter patches become dependency overrides
      container  (opt-in) services move into a rescope container; getters become
              deprecated shims; the app is set up with rescope.fastapi
    Exit codes: 0 done, 1 --verify found a test that passed before and fails after,
    2 usage or configuration error.
    """
    if verify and dry_run:
        msg = "--verify runs the tests on the migrated code, so it needs --write."
        raise UsageError(msg, hint='`rescope migrate --write --verify "python -m pytest -q"`.')
    chosen: dict[str, str] = {}
    for item in scopes:
        name, sep, scope = item.partition("=")
        if not sep or not name.isidentifier():
            msg = f"--scope {item!r} does not name a class and a scope as CLASS=SCOPE."
            raise UsageError(msg, hint="`--scope SessionManager=app`.")
        chosen[name] = scope
    result = run_migration(
        path,
        _phases(phases),
        write=not dry_run,
        deps_module=deps_module,
        app=app,
        verify=verify,
        scopes=chosen,
    )
    if dry_run:
        click.echo(result.diff(), nl=False)
    _summary(result)
    if result.verification is not None:
        click.echo(f"rescope migrate: {result.verification.summary()}", err=True)
        if not result.verification.ok:
            error = VerificationError(result.verification.regressions, command=verify or "")
            click.echo(f"rescope: error: {error}", err=True)
            return 1
    return 0
