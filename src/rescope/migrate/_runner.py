"""Run migration phases over a project: plan once, chain the phases, write atomically."""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from rescope.exceptions import MigrationError
from rescope.migrate._container import container_phase
from rescope.migrate._deps import deps_phase
from rescope.migrate._model import FileChange, Phase, PhaseReport
from rescope.migrate._phases import routes_phase
from rescope.migrate._plan import MigrationPlan, build_plan
from rescope.migrate._settings import load_settings
from rescope.migrate._tests import tests_phase
from rescope.migrate._verify import Verification, compare, run_tests

__all__ = ["MigrationResult", "migrate", "write_atomic"]

_PHASES: dict[Phase, Callable[[MigrationPlan], PhaseReport]] = {
    Phase.DEPS: deps_phase,
    Phase.ROUTES: routes_phase,
    Phase.TESTS: tests_phase,
    Phase.CONTAINER: container_phase,
}
_SCOPES = frozenset({"app", "session", "request"})


@dataclass(slots=True)
class MigrationResult:
    """What a migration run did.

    Args:
        root: The project root.
        reports: One report per phase, in the order run.
        changes: Every file that changes (all phases together), in path order.
        written: Whether the changes were written to disk.
        verification: The before/after test comparison, when ``verify`` was given.
        seconds: Wall time of the run.
    """

    root: Path
    reports: list[PhaseReport]
    changes: list[FileChange]
    written: bool = False
    verification: Verification | None = None
    seconds: float = 0.0
    parsed: int = field(default=0)

    def diff(self) -> str:
        """Every change as one unified diff."""
        return "".join(change.diff() for change in self.changes)


def write_atomic(path: Path, text: str) -> None:
    """Replace ``path`` with ``text`` in one step, so the file is always either old or new.

    The text goes to a temporary file in the same directory, is flushed to disk, and the
    temporary file is renamed over ``path``.

    Args:
        path: The file to write (its directory is created when missing).
        text: The new content.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    mode = path.stat().st_mode & 0o7777 if path.exists() else 0o644
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        Path(temp).chmod(mode)
        Path(temp).replace(path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def migrate(  # noqa: PLR0913 - the options of `rescope migrate`, keyword-only
    root: Path,
    phases: Sequence[Phase] = Phase.ordered(),
    *,
    write: bool = False,
    deps_module: str | None = None,
    app: str | None = None,
    verify: str | None = None,
    scopes: Mapping[str, str] | None = None,
) -> MigrationResult:
    """Run ``phases`` (in their natural order: deps, routes, tests, container) under ``root``.

    Each phase sees the changes of the phases before it, so a dry run of all phases shows
    the whole migration. Only files that change are written, each atomically.

    Args:
        root: The project root.
        phases: The phases to run.
        write: Write the changes; otherwise only report them.
        deps_module: Dotted name of the dependencies module (default
            ``<app package>.service_dependencies``).
        app: The FastAPI app as ``module:attribute`` (found when omitted).
        verify: A test command to run before and after writing (needs ``write``).
        scopes: Service class name -> ``app``, ``session`` or ``request``: the scope the
            container phase registers it in, instead of the audit's suggestion.

    ``[tool.rescope.migrate]`` in pyproject.toml (``deps-module``, ``app``, ``scopes``)
    supplies the options not given here.

    Raises:
        MigrationError: The root is not a directory, an option is malformed, or the test
            command cannot run.
        ConfigurationError: ``[tool.rescope.migrate]`` is malformed.
    """
    started = time.perf_counter()
    settings = load_settings(root)
    deps_module = deps_module or settings.deps_module
    app = app or settings.app
    merged = {**settings.scopes, **(scopes or {})}
    chosen = {name: scope.lower() for name, scope in merged.items()}
    for name, scope in chosen.items():
        if scope not in _SCOPES:
            raise MigrationError(
                f"--scope {name}={scope}: {scope!r} is not a scope a service can be moved to.",
                hint=f"`--scope {name}=app` (or session, request).",
            )
    plan = build_plan(root, deps_module=deps_module, app=app)
    plan.scopes = chosen
    before = run_tests(verify, plan.project.root) if verify and write else None
    reports = [_PHASES[phase](plan) for phase in Phase if phase in phases]
    for finding in plan.unparsable:
        reports[0].note("unparsable", finding.path, finding.line, f"skipped: {finding.message}")
    changes = [FileChange(rel, old, new) for rel, old, new in plan.project.staged()]
    result = MigrationResult(plan.project.root, reports, changes)
    result.parsed = sum(r.parsed for r in reports)
    if write:
        for change in changes:
            write_atomic(plan.project.root / change.path, change.after)
        result.written = True
    if before is not None and verify is not None:
        result.verification = compare(before, run_tests(verify, plan.project.root))
    result.seconds = time.perf_counter() - started
    return result
