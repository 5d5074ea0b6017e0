"""Phase ``container``, in the tests: the override fixture moves onto the app container.

The tests phase gave each test fresh services with a ``service_overrides`` fixture that
puts ``_built_once(Class)`` into ``app.dependency_overrides[provide_x]``. Once a service
is registered with the container, that fixture replaces it there instead::

    @pytest.fixture(autouse=True)
    def service_overrides(clean_singletons):
        with Overrides(app_container()) as override:
            for service in (AuditService, LogoService):
                override(service, factory=service)
            yield override

Injected code and the deprecated getters both resolve from the container, so they share
the test's fresh instance (the ``dependency_overrides`` version reached injected code
only), and every replacement ends on teardown. A test can take ``service_overrides`` and
call it to put its own fake in: ``service_overrides(Mailer, FakeMailer())``. Services
that are not registered keep their ``dependency_overrides`` entry.
"""

# LibCST's visitor protocol names methods after node classes.
# ruff: noqa: N802

from __future__ import annotations

import ast

import libcst as cst

from rescope.migrate._imports import add_imports, bound_names, dotted, remove_imports
from rescope.migrate._model import PhaseReport
from rescope.migrate._phases import parse, stage
from rescope.migrate._plan import MigrationPlan
from rescope.migrate._project import is_test_path

__all__ = ["move_override_fixtures", "registered_services"]

_FIXTURE = "service_overrides"
_HELPER = "_built_once"
_WIDTH = 60  # longer tuples of services go one per line


def registered_services(plan: MigrationPlan, registry: str) -> set[tuple[str, str]]:
    """``(module, class)`` of every service the registry module registers with ``registry.add``.

    Args:
        plan: The migration plan (its project holds the registry module, staged or on disk).
        registry: The registry module's dotted name.
    """
    path = registry.replace(".", "/") + ".py"
    if not plan.project.exists(path):
        return set()
    tree = plan.project.tree(path)
    if tree is None:
        return set()
    imported: dict[str, str] = {}
    added: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            for alias in node.names:
                imported[alias.asname or alias.name] = node.module
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "add"
            and node.args
            and isinstance(node.args[0], ast.Name)
        ):
            added.add(node.args[0].id)
    return {(imported[name], name) for name in added if name in imported}


def _fresh_entries(fn: cst.FunctionDef) -> list[tuple[str, str]] | None:
    """``(provider, class)`` names of the fixture's ``fresh = {...}`` dict, or ``None``."""
    for stmt in fn.body.body:
        if not isinstance(stmt, cst.SimpleStatementLine) or len(stmt.body) != 1:
            continue
        assign = stmt.body[0]
        if not isinstance(assign, cst.Assign) or len(assign.targets) != 1:
            continue
        if dotted(assign.targets[0].target) != "fresh" or not isinstance(assign.value, cst.Dict):
            continue
        entries: list[tuple[str, str]] = []
        for element in assign.value.elements:
            if not isinstance(element, cst.DictElement):
                return None
            key, value = dotted(element.key), dotted(element.value)
            if not key or not value:
                return None
            entries.append((key, value))
        return entries
    return None


def _already_moved(fn: cst.FunctionDef) -> list[str]:
    """The classes a rewritten fixture already overrides (``for service in (A, B):``)."""
    found: list[str] = []

    class _Find(cst.CSTVisitor):
        def visit_For(self, node: cst.For) -> None:
            if dotted(node.target) == "service" and isinstance(node.iter, cst.Tuple):
                found.extend(dotted(e.value) for e in node.iter.elements)

    fn.visit(_Find())
    return [name for name in found if name]


def _app_of(fn: cst.FunctionDef) -> str:
    found = ""

    class _Find(cst.CSTVisitor):
        def visit_Attribute(self, node: cst.Attribute) -> None:
            nonlocal found
            if node.attr.value == "dependency_overrides" and not found:
                found = dotted(node.value)

    fn.visit(_Find())
    return found


def _fixture_text(fn: cst.FunctionDef, kept: list[tuple[str, str]], moved: list[str]) -> str:
    empty = cst.Module([])
    decorators = "".join(f"@{empty.code_for_node(d.decorator)}\n" for d in fn.decorators)
    params = empty.code_for_node(fn.params)
    services = ", ".join(moved) + ("," if len(moved) == 1 else "")
    if len(services) > _WIDTH:
        services = "\n" + "".join(f"        {name},\n" for name in moved) + "    "
    container = (
        f"with Overrides(app_container()) as override:\n"
        f"    for service in ({services}):\n"
        f"        override(service, factory=service)\n"
        f"    yield override\n"
    )
    if not kept:
        doc = "Each test gets fresh services from the app container; replacements end after it."
        body = container
    else:
        app = _app_of(fn) or "app"
        entries = "".join(f"    {p}: {c},\n" for p, c in kept)
        doc = "Each test gets fresh services (container overrides and ``dependency_overrides``)."
        body = (
            f"fresh = {{\n{entries}}}\n"
            f"saved = {{p: {app}.dependency_overrides[p] for p in fresh"
            f" if p in {app}.dependency_overrides}}\n"
            f"for provider, factory in fresh.items():\n"
            f"    {app}.dependency_overrides[provider] = {_HELPER}(factory)\n"
            f"{container}"
            f"for provider in fresh:\n"
            f"    {app}.dependency_overrides.pop(provider, None)\n"
            f"{app}.dependency_overrides.update(saved)\n"
        )
    indented = "".join(f"    {line}\n" if line else "\n" for line in body.splitlines())
    return f'{decorators}def {fn.name.value}({params}):\n    """{doc}"""\n{indented}'


class _MoveFixture(cst.CSTTransformer):
    """Rewrite the ``service_overrides`` fixture; drop ``_built_once`` when nothing uses it."""

    def __init__(self, registered: set[tuple[str, str]], bound: dict[str, tuple[str, str]]) -> None:
        self.registered = registered
        self.bound = bound
        self.moved: list[str] = []
        self.dropped: list[str] = []
        self.kept: list[tuple[str, str]] = []

    def leave_FunctionDef(
        self, original_node: cst.FunctionDef, updated_node: cst.FunctionDef
    ) -> cst.FunctionDef:
        if original_node.name.value != _FIXTURE:
            return updated_node
        entries = _fresh_entries(original_node)
        if not entries:
            return updated_node
        for provider, cls in entries:
            if self.bound.get(cls) in self.registered:
                self.moved.append(cls)
                self.dropped.append(provider)
            else:
                self.kept.append((provider, cls))
        if not self.moved:
            return updated_node
        moved = [*_already_moved(original_node), *self.moved]
        text = _fixture_text(original_node, self.kept, list(dict.fromkeys(moved)))
        new = cst.parse_statement(text)
        if not isinstance(new, cst.FunctionDef):  # pragma: no cover - the template is one def
            return updated_node
        return new.with_changes(leading_lines=original_node.leading_lines)


def _drop_helper(module: cst.Module) -> cst.Module:
    uses = 0

    class _Count(cst.CSTVisitor):
        def visit_Name(self, node: cst.Name) -> None:
            nonlocal uses
            if node.value == _HELPER:
                uses += 1

    module.visit(_Count())
    if uses != 1:  # only its own definition is left
        return module
    body = [
        s for s in module.body if not (isinstance(s, cst.FunctionDef) and s.name.value == _HELPER)
    ]
    return module.with_changes(body=body)


def _candidates(plan: MigrationPlan) -> list[str]:
    found: list[str] = []
    for path in plan.project.files():
        if not is_test_path(path):
            continue
        try:
            text = plan.project.read(path)
        except (OSError, UnicodeDecodeError):
            continue
        if f"def {_FIXTURE}(" in text and "dependency_overrides" in text:
            found.append(path)
    return found


def move_override_fixtures(report: PhaseReport, plan: MigrationPlan, registry: str) -> None:
    """Rewrite every ``service_overrides`` fixture for the services the registry holds.

    Args:
        report: The container phase's report (one note per rewritten fixture).
        plan: The migration plan.
        registry: The registry module's dotted name.
    """
    registered = registered_services(plan, registry)
    if not registered:
        return
    for path in _candidates(plan):
        module = parse(report, plan, path)
        if module is None:
            continue
        mover = _MoveFixture(registered, bound_names(module))
        after = module.visit(mover)
        if not mover.moved:
            continue
        after, _ = remove_imports(after, mover.dropped)
        after = _drop_helper(after)
        after = add_imports(after, [("rescope.testing", "Overrides"), (registry, "app_container")])
        if not stage(plan, path, module, after):
            continue
        report.note(
            "fixture",
            path,
            0,
            f"`{_FIXTURE}` overrides {len(mover.moved)} services in the app container"
            + (f"; {len(mover.kept)} keep `dependency_overrides`" if mover.kept else ""),
        )
