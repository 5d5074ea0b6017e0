"""``reset_singletons()`` in the dependencies module: the globals tests must still reset.

While services reach each other through getters, some globals stay shared between tests.
Rather than every test suite naming module internals, the dependencies module lists them
once (``SINGLETON_GLOBALS``) and resets them in one call; the list shrinks as services
move into a container, and goes with the last global.
"""

from __future__ import annotations

import ast

import libcst as cst

from rescope.migrate._imports import add_imports
from rescope.migrate._model import PhaseReport
from rescope.migrate._plan import MigrationPlan

__all__ = ["add_shared_resets"]

_FUNCTION = '''

def reset_singletons() -> None:
    """Set every global in ``SINGLETON_GLOBALS`` back, so the next getter call builds anew."""
    for module_name, attribute, value in SINGLETON_GLOBALS:
        owner = import_module(module_name)
        *path, name = attribute.split(".")
        for part in path:
            owner = getattr(owner, part)
        setattr(owner, name, value)
'''

_COMMENT = (
    "\n\n# The globals services still share through their getters, as (module, attribute,"
    " value):\n# tests reset them with reset_singletons() until the services move into a"
    " container.\n"
)


def _render(entries: list[tuple[str, str, str]]) -> str:
    rows = "".join(f"    ({m!r}, {a!r}, {v}),\n" for m, a, v in entries)
    return f"SINGLETON_GLOBALS = (\n{rows})\n"


def _existing(module: cst.Module) -> tuple[int, list[tuple[str, str, str]]] | None:
    for index, stmt in enumerate(module.body):
        if not isinstance(stmt, cst.SimpleStatementLine) or len(stmt.body) != 1:
            continue
        small = stmt.body[0]
        if (
            isinstance(small, cst.Assign)
            and len(small.targets) == 1
            and isinstance(small.targets[0].target, cst.Name)
            and small.targets[0].target.value == "SINGLETON_GLOBALS"
        ):
            code = cst.Module([]).code_for_node(small.value)
            try:
                rows = ast.literal_eval(code)
            except (ValueError, SyntaxError):
                return index, []
            return index, [(str(m), str(a), repr(v)) for m, a, v in rows]
    return None


def add_shared_resets(
    report: PhaseReport, plan: MigrationPlan, entries: list[tuple[str, str, str]]
) -> None:
    """Add ``entries`` to the dependencies module's ``SINGLETON_GLOBALS`` (creating it).

    Args:
        report: The phase report (counts the parse).
        plan: The migration plan.
        entries: ``(module, attribute, value source)`` triples.
    """
    path = plan.deps_path
    if not plan.project.exists(path):
        report.note("left-alone", path, 0, "run the deps phase first: resets stay in the tests")
        return
    text = plan.project.read(path)
    module = cst.parse_module(text)
    report.parsed += 1
    found = _existing(module)
    current = found[1] if found else []
    merged = list(dict.fromkeys([*current, *entries]))
    if found is not None:
        if merged == current:
            return
        body = list(module.body)
        replacement = cst.parse_statement(_render(merged))
        body[found[0]] = replacement.with_changes(leading_lines=body[found[0]].leading_lines)
        module = module.with_changes(body=body)
        plan.project.stage(path, module.code)
        return
    module = add_imports(module, [("importlib", "import_module")])
    code = module.code.rstrip("\n") + "\n" + _COMMENT + _render(merged) + _FUNCTION
    plan.project.stage(path, code)
