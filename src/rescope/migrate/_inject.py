"""Phase ``container``: aliases of moved services become ``Inject[...]``; their patches follow.

Once a provider only returns ``app_container().get(X)``, FastAPI's dependency solver has
nothing left to do for it: the alias becomes ``XDep = Inject[X]`` (``rescope.fastapi``),
which ``setup`` resolves straight from the container, and the provider goes. The tests
phase's ``with mock.patch.dict(app.dependency_overrides, {provide_x: lambda: stub}):``
would no longer reach the handler, so it becomes ``with app_container().override(X,
stub):`` in the same run. A provider that anything else still names (a ``Depends``, a
test in another form) keeps its ``Depends`` alias and is reported.
"""

# LibCST's visitor protocol names methods after node classes.
# ruff: noqa: N802, ARG002

from __future__ import annotations

import re

import libcst as cst

from rescope.migrate._imports import (
    add_imports,
    bound_names,
    dotted,
    is_docstring,
    leading_lines,
    remove_imports,
)
from rescope.migrate._model import PhaseReport
from rescope.migrate._phases import parse, stage
from rescope.migrate._plan import MigrationPlan

__all__ = ["container_providers", "inject_aliases", "rewrite_users"]


def _returned_get(fn: cst.FunctionDef) -> str:
    """``X`` when the function's body is ``return app_container().get(X)`` (after a docstring)."""
    body = [s for s in fn.body.body if not is_docstring(s)]
    if len(body) != 1 or not isinstance(body[0], cst.SimpleStatementLine):
        return ""
    ret = body[0].body[0]
    if not isinstance(ret, cst.Return) or not isinstance(ret.value, cst.Call):
        return ""
    call = ret.value
    if not (
        isinstance(call.func, cst.Attribute)
        and call.func.attr.value == "get"
        and isinstance(call.func.value, cst.Call)
        and dotted(call.func.value.func) == "app_container"
    ):
        return ""
    if len(call.args) != 1 or call.args[0].keyword is not None:
        return ""
    return dotted(call.args[0].value)


def container_providers(module: cst.Module) -> dict[str, str]:
    """Provider name -> class, for every provider that resolves from the app container.

    Args:
        module: The dependencies module.
    """
    found: dict[str, str] = {}
    for stmt in module.body:
        if isinstance(stmt, cst.FunctionDef):
            cls = _returned_get(stmt)
            if cls:
                found[stmt.name.value] = cls
    return found


class _Patches(cst.CSTTransformer):
    """``patch.dict(app.dependency_overrides, {provide_x: lambda: stub})`` -> container override."""

    def __init__(self, providers: dict[str, str]) -> None:
        self.providers = providers
        self.rewritten: list[str] = []
        self.heads: set[str] = set()

    def _entry(self, item: cst.WithItem) -> tuple[cst.Call, cst.DictElement] | None:
        call = item.item
        if item.asname is not None or not isinstance(call, cst.Call):
            return None
        if not dotted(call.func).endswith("patch.dict") or len(call.args) != 2:  # noqa: PLR2004
            return None
        target, mapping = call.args[0].value, call.args[1].value
        if not dotted(target).endswith(".dependency_overrides"):
            return None
        if not isinstance(mapping, cst.Dict) or len(mapping.elements) != 1:
            return None
        element = mapping.elements[0]
        if not isinstance(element, cst.DictElement) or dotted(element.key) not in self.providers:
            return None
        return call, element

    def leave_WithItem(
        self, original_node: cst.WithItem, updated_node: cst.WithItem
    ) -> cst.WithItem:
        found = self._entry(updated_node)
        if found is None:
            return updated_node
        call, element = found
        provider = dotted(element.key)
        value = element.value
        arg = cst.Arg(value)
        if isinstance(value, cst.Lambda) and not value.params.params:
            arg = cst.Arg(value.body)
        elif not isinstance(value, cst.Lambda):
            arg = cst.Arg(value, keyword=cst.Name("factory"))
        self.rewritten.append(provider)
        self.heads.add(dotted(call.func).split(".", 1)[0])
        new = cst.Call(
            func=cst.parse_expression("app_container().override"),
            args=[cst.Arg(cst.Name(self.providers[provider])), arg],
        )
        return updated_node.with_changes(item=new)


class _Depends(cst.CSTTransformer):
    """``Depends(provide_x)`` -> ``from_container(X)``."""

    def __init__(self, providers: dict[str, str]) -> None:
        self.providers = providers
        self.rewritten: list[str] = []

    def leave_Call(self, original_node: cst.Call, updated_node: cst.Call) -> cst.Call:
        if dotted(updated_node.func).rsplit(".", 1)[-1] != "Depends":
            return updated_node
        args = updated_node.args
        if len(args) != 1 or args[0].keyword is not None:
            return updated_node
        provider = dotted(args[0].value)
        if provider not in self.providers:
            return updated_node
        self.rewritten.append(provider)
        return updated_node.with_changes(
            func=cst.Name("from_container"),
            args=[args[0].with_changes(value=cst.Name(self.providers[provider]))],
        )


def rewrite_users(
    report: PhaseReport, plan: MigrationPlan, providers: dict[str, str], registry: str
) -> None:
    """Code naming a container-backed provider resolves from the container instead.

    ``Depends(provide_x)`` becomes ``from_container(X)``, and the tests phase's
    ``patch.dict(app.dependency_overrides, {provide_x: ...})`` becomes
    ``app_container().override(X, ...)``.

    Args:
        report: The container phase's report (one note per file).
        plan: The migration plan.
        providers: Provider name -> class, for the providers that resolve from the container.
        registry: The registry module's dotted name.
    """
    pattern = re.compile(r"\b(" + "|".join(map(re.escape, providers)) + r")\b")
    origins = _origins(plan)
    for path in plan.project.files():
        if path == plan.deps_path or not pattern.search(plan.project.read(path)):
            continue
        module = parse(report, plan, path)
        if module is None:
            continue
        patches, depends = _Patches(providers), _Depends(providers)
        after = module.visit(patches).visit(depends)
        if not patches.rewritten and not depends.rewritten:
            continue
        names = [*patches.rewritten, *depends.rewritten]
        after, _ = remove_imports(after, [*names, *patches.heads, "Depends"])
        after = _no_blank_top(after)
        wanted = [(origins.get(providers[p], ""), providers[p]) for p in names]
        if patches.rewritten:
            wanted.append((registry, "app_container"))
        if depends.rewritten:
            wanted.append(("rescope.fastapi", "from_container"))
        after = add_imports(after, [w for w in wanted if w[0]])
        if stage(plan, path, module, after):
            what = [f"`{p}`" for p in sorted(set(names))]
            report.note(
                "container-user", path, 0, f"{', '.join(what)} -> resolved from the app container"
            )


def _no_blank_top(module: cst.Module) -> cst.Module:
    """Drop blank lines a removed first import left at the top of the file."""
    if module.header or not module.body:
        return module
    first = module.body[0]
    lines = leading_lines(first)
    if not lines or any(line.comment is not None for line in lines):
        return module
    return module.with_changes(body=[first.with_changes(leading_lines=[]), *module.body[1:]])


def _origins(plan: MigrationPlan) -> dict[str, str]:
    """Local name -> the module the dependencies module imports it from."""
    module = cst.parse_module(plan.project.read(plan.deps_path))
    return {local: origin for local, (origin, _) in bound_names(module).items()}


def _alias_of(stmt: cst.BaseStatement, provider: str) -> cst.Assign | None:
    """The assignment when ``stmt`` is ``XDep = Annotated[X, Depends(provider)]``."""
    if not isinstance(stmt, cst.SimpleStatementLine) or len(stmt.body) != 1:
        return None
    assign = stmt.body[0]
    if not isinstance(assign, cst.Assign) or not isinstance(assign.value, cst.Subscript):
        return None
    sub = assign.value
    if dotted(sub.value) != "Annotated" or len(sub.slice) != 2:  # noqa: PLR2004
        return None
    second = sub.slice[1].slice
    if not isinstance(second, cst.Index) or not isinstance(second.value, cst.Call):
        return None
    depends = second.value
    if dotted(depends.func) != "Depends" or len(depends.args) != 1:
        return None
    return assign if dotted(depends.args[0].value) == provider else None


def _served_type(assign: cst.Assign) -> str:
    sub = assign.value
    if isinstance(sub, cst.Subscript) and isinstance(sub.slice[0].slice, cst.Index):
        return dotted(sub.slice[0].slice.value)
    return ""


def _referenced_elsewhere(plan: MigrationPlan, providers: dict[str, str]) -> dict[str, str]:
    """Provider -> the first other file that still names it."""
    pattern = re.compile(r"\b(" + "|".join(map(re.escape, providers)) + r")\b")
    found: dict[str, str] = {}
    for path in plan.project.files():
        if path == plan.deps_path:
            continue
        try:
            text = plan.project.read(path)
        except (OSError, UnicodeDecodeError):
            continue
        for match in pattern.finditer(text):
            found.setdefault(match.group(1), path)
    return found


def inject_aliases(report: PhaseReport, plan: MigrationPlan, providers: dict[str, str]) -> None:
    """Switch the aliases of container-backed providers to ``Inject[X]``; drop the providers.

    Args:
        report: The container phase's report.
        plan: The migration plan.
        providers: Provider name -> class, for the providers that resolve from the container.
    """
    if not providers:
        return
    path = plan.deps_path
    module = parse(report, plan, path)
    if module is None:
        return
    used = _referenced_elsewhere(plan, providers)
    for provider, where in sorted(used.items()):
        report.note(
            "left-alone",
            where,
            0,
            f"`{provider}` is still named here: `{providers[provider]}` keeps its `Depends` alias",
        )
    switch = {p: c for p, c in providers.items() if p not in used}
    body: list[cst.BaseStatement] = []
    switched: list[str] = []
    for stmt in module.body:
        if isinstance(stmt, cst.FunctionDef) and stmt.name.value in switch:
            continue
        new = stmt
        for provider, cls in switch.items():
            assign = _alias_of(stmt, provider)
            if assign is not None and _served_type(assign) == cls:
                value = cst.parse_expression(f"Inject[{cls}]")
                new = cst.SimpleStatementLine(
                    body=[assign.with_changes(value=value)], leading_lines=leading_lines(stmt)
                )
                switched.append(cls)
                break
        body.append(new)
    if not switched:
        return
    after = module.with_changes(body=body)
    after, _ = remove_imports(after, ["Annotated", "Depends", "app_container"])
    after = add_imports(after, [("rescope.fastapi", "Inject")])
    stage(plan, path, module, after)
    report.note(
        "inject", path, 0, f"{len(switched)} aliases are `Inject[...]` now; their providers went"
    )
