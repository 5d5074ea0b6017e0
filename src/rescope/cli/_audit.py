"""``rescope audit``: find singletons and hazards and report the service inventory."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from rescope.audit import (
    AuditResult,
    Severity,
    apply_baseline,
    find_pyproject,
    known_rule_options,
    load_config,
    read_baseline,
    run_audit,
    write_baseline,
)
from rescope.audit.reporters import REPORTERS, render
from rescope.exceptions import ConfigurationError

__all__ = ["audit"]

PIPED_WIDTH = 160

#: Trees with at least this many files get a progress bar (on a terminal only).
PROGRESS_FILES = 400


def _codes(values: tuple[str, ...]) -> tuple[str, ...] | None:
    codes = tuple(c.strip().upper() for v in values for c in v.split(",") if c.strip())
    return codes or None


def _check_codes(codes: tuple[str, ...] | None, option: str) -> None:
    known = known_rule_options()
    for code in codes or ():
        if code != "ALL" and not any(k.startswith(code) for k in known):
            raise ConfigurationError(
                f"{option} names {code!r}, which matches no rule.",
                setting=option,
                hint=f"one of {', '.join(sorted(known))} or a prefix such as RS1.",
            )


def _run(paths: list[Path], config_changes: dict[str, object], show_progress: bool) -> AuditResult:  # noqa: FBT001
    config = load_config(find_pyproject(paths[0]), known_rules=known_rule_options())
    config = config.with_overrides(**config_changes)
    if not show_progress:
        return run_audit(paths, config)
    from rich.progress import Progress

    with Progress(transient=True, console=None) as bar:
        task = bar.add_task("parsing", total=None)

        def progress(done: int, total: int) -> None:
            if total >= PROGRESS_FILES:
                bar.update(task, completed=done, total=total)

        return run_audit(paths, config, progress=progress)


@click.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(sorted(REPORTERS)),
    default="terminal",
    show_default=True,
    help="Report format.",
)
@click.option("-o", "--output", type=click.Path(path_type=Path), help="Write the report here.")
@click.option("--select", multiple=True, help="Only these rule codes or prefixes (RS1,RS201).")
@click.option("--ignore", multiple=True, help="Leave out these rule codes or prefixes.")
@click.option(
    "--fail-on",
    type=click.Choice(["info", "low", "medium", "high"]),
    default=None,
    help="Exit 1 when a finding is at or above this severity [default: low].",
)
@click.option(
    "--baseline",
    type=click.Path(path_type=Path),
    help="Accept the findings recorded in this file; fail only on new ones.",
)
@click.option(
    "--write-baseline",
    type=click.Path(path_type=Path),
    help="Record today's findings in this file (then exit 0).",
)
@click.option("--no-cache", is_flag=True, help="Neither read nor write .rescope_cache/.")
@click.option(
    "--jobs", type=click.IntRange(min=1), help="Parsing processes [default: one per core]."
)
def audit(  # noqa: PLR0913, PLR0917
    paths: tuple[Path, ...],
    fmt: str,
    output: Path | None,
    select: tuple[str, ...],
    ignore: tuple[str, ...],
    fail_on: str | None,
    baseline: Path | None,
    write_baseline: Path | None,
    no_cache: bool,  # noqa: FBT001
    jobs: int | None,
) -> int:
    """Find every singleton and related hazard under PATHS and report the inventory.

    \b
    Exit codes: 0 no finding at or above --fail-on, 1 findings, 2 usage or configuration error.
    The code is only read, never imported or run.
    """  # noqa: D301
    selected, ignored = _codes(select), _codes(ignore)
    _check_codes(selected, "--select")
    _check_codes(ignored, "--ignore")
    targets = list(paths) or [Path()]
    show_progress = fmt == "terminal" and output is None and sys.stderr.isatty()
    result = _run(
        targets,
        {
            "select": selected,
            "ignore": ignored,
            "use_cache": False if no_cache else None,
            "jobs": jobs,
            "fail_on": fail_on,
        },
        show_progress,
    )
    if write_baseline is not None:
        count = write_baseline_file(result, write_baseline)
        click.echo(f"rescope: wrote {count} findings to {write_baseline}", err=True)
        return 0
    if baseline is not None:
        apply_baseline(result, read_baseline(baseline))
    if output is not None:
        output.write_text(render(result, fmt), encoding="utf-8")
    elif fmt == "terminal":
        from rich.console import Console

        from rescope.audit.reporters._terminal import print_report

        # Piped output (CI logs, `| less`) gets the wide layout rather than rich's 80 columns.
        width = None if sys.stdout.isatty() else PIPED_WIDTH
        print_report(result, Console(highlight=False, width=width))
    else:
        click.echo(render(result, fmt), nl=False)
    threshold = Severity.parse(fail_on or _configured_fail_on(targets))
    failing = [f for f in result.findings if f.severity.rank >= threshold.rank]
    return 1 if failing else 0


def _configured_fail_on(paths: list[Path]) -> str:
    return load_config(find_pyproject(paths[0]), known_rules=known_rule_options()).fail_on


write_baseline_file = write_baseline
