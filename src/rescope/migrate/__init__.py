"""``rescope migrate``: move a FastAPI backend from getter singletons to injected services.

The migration comes in phases a team can land one at a time, each safe alone::

    from rescope.migrate import Phase, migrate

    result = migrate(Path("."), [Phase.DEPS], write=False)
    print(result.diff())

``deps`` generates the dependencies module, ``routes`` gives handlers their services as
parameters, ``tests`` turns singleton resets and getter patches into dependency overrides,
and the opt-in ``container`` moves services into a rescope container behind deprecated shims.
The audit decides which files change; only those are parsed with libcst.
"""

from __future__ import annotations

from rescope.migrate._model import FileChange, Note, Phase, PhaseReport
from rescope.migrate._plan import MigrationPlan, ServicePlan, build_plan
from rescope.migrate._runner import MigrationResult, migrate, write_atomic
from rescope.migrate._verify import TestRun, Verification, compare, run_tests

__all__ = [
    "FileChange",
    "MigrationPlan",
    "MigrationResult",
    "Note",
    "Phase",
    "PhaseReport",
    "ServicePlan",
    "TestRun",
    "Verification",
    "build_plan",
    "compare",
    "migrate",
    "run_tests",
    "write_atomic",
]
