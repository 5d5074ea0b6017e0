"""Phase ``container``: constructors receive the moved services they fetched with getters.

``self.jwt = get_jwt_service()`` in the ``__init__(self)`` of a moved service becomes a
``jwt: JWTService`` parameter (``self.jwt = jwt``): the container builds the class and
passes the same APP instance the shim would have returned, without the deprecation
warning. The class is skipped, and reported, when anything but the container may build
it: a ``Class(...)`` call anywhere in the project, or the class as a dict value (an
override fixture that calls it). The service's type is imported from the module the
getter already came from, so no new import cycle appears. A getter a test patches in the
service's module (``patch("app.services.mail.get_auth", ...)``) stays called: the patch
needs it there.
"""

# LibCST's visitor protocol names methods after node classes.
# ruff: noqa: N802, ARG002

from __future__ import annotations

import re
from dataclasses import dataclass, field

import libcst as cst

from rescope.migrate._imports import add_imports, bound_names, dotted, remove_imports
from rescope.migrate._model import PhaseReport
from rescope.migrate._phases import parse, stage
from rescope.migrate._plan import MigrationPlan, ServicePlan

__all__ = ["inject_constructors"]

#: ``(getter module, getter name)`` -> ``(class module, class name)``.
Getters = dict[tuple[str, str], tuple[str, str]]


@dataclass(slots=True)
class _Rewrite:
    """What rewriting one class's ``__init__`` did."""

    params: list[tuple[str, str]] = field(default_factory=list)  # (name, class)
    getters: list[str] = field(default_factory=list)
    imports: list[tuple[str, str]] = field(default_factory=list)


def _getter_call(
    stmt: cst.BaseStatement, bound: dict[str, tuple[str, str]], module: str, getters: Getters
) -> tuple[str, str, tuple[str, str]] | None:
    """``(attribute, getter, (class module, class))`` for ``self.attr = getter()``."""
    if not isinstance(stmt, cst.SimpleStatementLine) or len(stmt.body) != 1:
        return None
    assign = stmt.body[0]
    if not isinstance(assign, cst.Assign) or len(assign.targets) != 1:
        return None
    target = assign.targets[0].target
    if not isinstance(target, cst.Attribute) or dotted(target.value) != "self":
        return None
    call = assign.value
    if not isinstance(call, cst.Call) or call.args or not isinstance(call.func, cst.Name):
        return None
    getter = call.func.value
    origin = bound.get(getter, (module, getter))
    service = getters.get(origin)
    return (target.attr.value, getter, service) if service else None


def _rewrite_init(
    init: cst.FunctionDef,
    bound: dict[str, tuple[str, str]],
    module: str,
    getters: Getters,
    patched: set[str],
) -> tuple[cst.FunctionDef, _Rewrite]:
    done = _Rewrite()
    params = init.params
    if (
        len(params.params) != 1
        or params.star_arg is not cst.MaybeSentinel.DEFAULT
        or params.kwonly_params
        or params.star_kwarg is not None
        or params.posonly_params
        or not isinstance(init.body, cst.IndentedBlock)
    ):
        return init, done
    taken = {"self"}
    body: list[cst.BaseStatement] = []
    for stmt in init.body.body:
        found = _getter_call(stmt, bound, module, getters)
        name = found[0].lstrip("_") if found else ""
        if found is None or not name or name in taken or f"{module}.{found[1]}" in patched:
            body.append(stmt)
            continue
        attr, getter, (cls_module, cls) = found
        local = bound.get(cls)
        if local is not None and local != (cls_module, cls):
            body.append(stmt)  # the name means something else here
            continue
        taken.add(name)
        done.params.append((name, cls))
        done.getters.append(getter)
        if cls_module != module:
            done.imports.append((cls_module, cls))
        body.append(
            cst.parse_statement(f"self.{attr} = {name}\n").with_changes(
                leading_lines=stmt.leading_lines
                if isinstance(stmt, cst.SimpleStatementLine)
                else ()
            )
        )
    if not done.params:
        return init, done
    new_params = [
        *params.params,
        *(cst.Param(cst.Name(n), cst.Annotation(cst.Name(c))) for n, c in done.params),
    ]
    commas = [p.with_changes(comma=cst.MaybeSentinel.DEFAULT) for p in new_params]
    separated = [
        p.with_changes(comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" ")))
        for p in commas[:-1]
    ]
    return (
        init.with_changes(
            params=params.with_changes(params=[*separated, commas[-1]]),
            body=init.body.with_changes(body=body),
        ),
        done,
    )


class _InjectInit(cst.CSTTransformer):
    """Rewrite ``__init__`` of the named top-level classes."""

    def __init__(
        self,
        classes: set[str],
        module: str,
        getters: Getters,
        bound: dict[str, tuple[str, str]],
        patched: set[str],
    ) -> None:
        self.classes = classes
        self.patched = patched
        self.module = module
        self.getters = getters
        self.bound = bound
        self.done: dict[str, _Rewrite] = {}
        self._depth = 0

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        self._depth += 1

    def leave_ClassDef(
        self, original_node: cst.ClassDef, updated_node: cst.ClassDef
    ) -> cst.ClassDef:
        self._depth -= 1
        name = original_node.name.value
        if self._depth or name not in self.classes:
            return updated_node
        if not isinstance(updated_node.body, cst.IndentedBlock):
            return updated_node
        body: list[cst.BaseStatement] = []
        for stmt in updated_node.body.body:
            new = stmt
            if isinstance(stmt, cst.FunctionDef) and stmt.name.value == "__init__":
                rewritten, done = _rewrite_init(
                    stmt, self.bound, self.module, self.getters, self.patched
                )
                if done.params:
                    self.done[name] = done
                    new = rewritten
            body.append(new)
        return updated_node.with_changes(body=updated_node.body.with_changes(body=body))


def _built_elsewhere(plan: MigrationPlan, cls: str, registry_path: str) -> str:
    """A file that may build ``cls`` itself (a call or a dict value), or ``""``."""
    call = re.compile(rf"(?<!\w)(?<!class ){re.escape(cls)}\(")
    value = re.compile(rf":\s*{re.escape(cls)}\s*[,}}]")
    for path in plan.project.files():
        if path == registry_path:
            continue
        text = plan.project.read(path)
        if cls in text and (call.search(text) or value.search(text)):
            return path
    return ""


def inject_constructors(
    report: PhaseReport, plan: MigrationPlan, moving: list[ServicePlan], registry: str
) -> set[tuple[str, str]]:
    """Turn getter calls in moved services' ``__init__`` into constructor parameters.

    Args:
        report: The container phase's report.
        plan: The migration plan.
        moving: The services this run moves into the container.
        registry: The registry module's dotted name.

    Returns:
        ``(qualified class, getter)`` for every call that became a parameter.
    """
    getters: Getters = {
        (s.service.accessor_module, s.service.accessor): (s.service.module, s.service.name)
        for s in moving
    }
    registry_path = registry.replace(".", "/") + ".py"
    patched = set(plan.patched_targets())
    by_path: dict[str, list[ServicePlan]] = {}
    for service in moving:
        by_path.setdefault(service.service.path, []).append(service)
    rewritten: set[tuple[str, str]] = set()
    for path, services in sorted(by_path.items()):
        module = parse(report, plan, path)
        if module is None:
            continue
        name = services[0].service.module
        bound = bound_names(module)
        wanted = {s.service.name: s for s in services}
        probe = _InjectInit(set(wanted), name, getters, bound, patched)
        module.visit(probe)
        classes: set[str] = set()
        for cls in sorted(probe.done):
            elsewhere = _built_elsewhere(plan, cls, registry_path)
            if not elsewhere:
                classes.add(cls)
                continue
            report.note(
                "left-alone",
                path,
                wanted[cls].service.line,
                f"`{cls}.__init__` keeps calling getters: `{elsewhere}` may build `{cls}`"
                " itself, and would not pass the services",
            )
        if not classes:
            continue
        injector = _InjectInit(classes, name, getters, bound, patched)
        after = module.visit(injector)
        dropped = [g for done in injector.done.values() for g in done.getters]
        after = add_imports(after, [i for done in injector.done.values() for i in done.imports])
        after, _ = remove_imports(after, dropped)
        stage(plan, path, module, after)
        for cls, done in sorted(injector.done.items()):
            rewritten.update((f"{name}.{cls}", g) for g in done.getters)
            report.note(
                "constructor",
                path,
                0,
                f"`{cls}.__init__` receives "
                + ", ".join(f"`{n}: {c}`" for n, c in done.params)
                + " from the container",
            )
    return rewritten
