"""Phase ``routes``: handlers receive services as parameters instead of calling getters."""

# LibCST's visitor protocol names methods after node classes and fixes their arguments.
# ruff: noqa: N802, ARG002

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import libcst as cst

from rescope.migrate._imports import add_imports, dotted, leading_lines, remove_imports
from rescope.migrate._params import add_param
from rescope.migrate._plan import MigrationPlan, ServicePlan
from rescope.migrate._project import module_name

__all__ = ["ROUTE_DECORATORS", "InjectRouteServices", "is_route", "module_bindings"]

#: ``@app.<name>`` / ``@router.<name>`` decorators that make a function a route handler.
ROUTE_DECORATORS = frozenset(
    {
        "get",
        "post",
        "put",
        "patch",
        "delete",
        "head",
        "options",
        "trace",
        "api_route",
        "route",
        "websocket",
        "websocket_route",
    }
)


def is_route(fn: cst.FunctionDef) -> bool:
    """Whether ``fn`` is decorated as a FastAPI/Starlette route (``@router.get(...)``)."""
    for decorator in fn.decorators:
        expr = decorator.decorator
        if isinstance(expr, cst.Call):
            expr = expr.func
        if isinstance(expr, cst.Attribute) and expr.attr.value in ROUTE_DECORATORS:
            return True
    return False


def module_bindings(module: cst.Module, name: str, *, is_package: bool) -> dict[str, str]:
    """Local name -> qualified name for the module's top-level imports and definitions."""
    found: dict[str, str] = {}
    for stmt in module.body:
        if isinstance(stmt, cst.FunctionDef | cst.ClassDef):
            found[stmt.name.value] = f"{name}.{stmt.name.value}"
        if not isinstance(stmt, cst.SimpleStatementLine):
            continue
        for small in stmt.body:
            if isinstance(small, cst.Import):
                for alias in small.names:
                    target = dotted(alias.name)
                    if isinstance(alias.asname, cst.AsName):
                        found[dotted(alias.asname.name)] = target
                    else:
                        found[target.partition(".")[0]] = target.partition(".")[0]
            elif isinstance(small, cst.ImportFrom):
                found.update(_from_bindings(small, name, is_package=is_package))
    return found


def _from_bindings(node: cst.ImportFrom, name: str, *, is_package: bool) -> dict[str, str]:
    if isinstance(node.names, cst.ImportStar):
        return {}
    base = dotted(node.module) if node.module is not None else ""
    if node.relative:
        parts = name.split(".")
        keep = len(parts) - len(node.relative) + (1 if is_package else 0)
        base = ".".join([*parts[: max(keep, 0)], *([base] if base else [])])
    found: dict[str, str] = {}
    for alias in node.names:
        imported = dotted(alias.name)
        local = dotted(alias.asname.name) if alias.asname else imported
        found[local] = f"{base}.{imported}"
    return found


@dataclass(slots=True)
class _Call:
    plan: ServicePlan
    head: str


@dataclass(slots=True)
class HandlerChange:
    """One handler that now receives services (for the phase's notes)."""

    handler: str
    params: list[str] = field(default_factory=list)


class _Analyse(cst.CSTVisitor):
    """Find getter calls, assignments and names in a handler body (nested scopes skipped)."""

    def __init__(self, resolve: Callable[[cst.BaseExpression], _Call | None]) -> None:
        self.lookup = resolve
        self.calls: list[_Call] = []
        self.names: set[str] = set()
        self.stores: dict[str, int] = {}
        self.unawaited_async: list[_Call] = []
        self._awaited: set[int] = set()

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        self.names.add(node.name.value)
        return False

    def visit_ClassDef(self, node: cst.ClassDef) -> bool:
        self.names.add(node.name.value)
        return False

    def visit_Lambda(self, node: cst.Lambda) -> bool:
        return False

    def visit_Name(self, node: cst.Name) -> None:
        self.names.add(node.value)

    def _store(self, target: cst.BaseExpression) -> None:
        if isinstance(target, cst.Name):
            self.stores[target.value] = self.stores.get(target.value, 0) + 1
        elif isinstance(target, cst.Tuple | cst.List):
            for element in target.elements:
                self._store(element.value)

    def visit_AssignTarget(self, node: cst.AssignTarget) -> None:
        self._store(node.target)

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        self._store(node.target)

    def visit_AugAssign(self, node: cst.AugAssign) -> None:
        self._store(node.target)

    def visit_For(self, node: cst.For) -> None:
        self._store(node.target)

    def visit_AsName(self, node: cst.AsName) -> None:
        self._store(node.name)

    def visit_NamedExpr(self, node: cst.NamedExpr) -> None:
        self._store(node.target)

    def visit_Await(self, node: cst.Await) -> None:
        self._awaited.add(id(node.expression))

    def visit_Call(self, node: cst.Call) -> None:
        found = self.lookup(node)
        if found is None:
            return
        if found.plan.is_async and id(node) not in self._awaited:
            self.unawaited_async.append(found)
            return
        self.calls.append(found)


def _assigned_call(
    stmt: cst.BaseStatement, resolve: Callable[[cst.BaseExpression], _Call | None]
) -> tuple[str, _Call] | None:
    if not isinstance(stmt, cst.SimpleStatementLine) or len(stmt.body) != 1:
        return None
    small = stmt.body[0]
    if not isinstance(small, cst.Assign) or len(small.targets) != 1:
        return None
    target = small.targets[0].target
    value = small.value
    if isinstance(value, cst.Await):
        value = value.expression
    found = resolve(value)
    if not isinstance(target, cst.Name) or found is None:
        return None
    if found.plan.is_async != isinstance(small.value, cst.Await):
        return None
    return target.value, found


class _Replace(cst.CSTTransformer):
    def __init__(
        self,
        resolve: Callable[[cst.BaseExpression], _Call | None],
        names: dict[str, str],
        remove: set[int],
    ) -> None:
        self.lookup = resolve
        self.names = names
        self.remove = remove

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        return False

    def visit_ClassDef(self, node: cst.ClassDef) -> bool:
        return False

    def visit_Lambda(self, node: cst.Lambda) -> bool:
        return False

    def _swap(self, node: cst.BaseExpression) -> cst.BaseExpression | None:
        found = self.lookup(node)
        if found is None or found.plan.service.key not in self.names:
            return None
        name = cst.Name(self.names[found.plan.service.key])
        return name.with_changes(lpar=node.lpar, rpar=node.rpar)

    def leave_Await(self, original_node: cst.Await, updated_node: cst.Await) -> cst.BaseExpression:
        swapped = self._swap(original_node.expression)
        if swapped is None:
            return updated_node
        return swapped.with_changes(lpar=updated_node.lpar, rpar=updated_node.rpar)

    def leave_Call(self, original_node: cst.Call, updated_node: cst.Call) -> cst.BaseExpression:
        found = self.lookup(original_node)
        if found is None or found.plan.is_async:
            return updated_node
        return self._swap(original_node) or updated_node

    def leave_IndentedBlock(
        self, original_node: cst.IndentedBlock, updated_node: cst.IndentedBlock
    ) -> cst.IndentedBlock:
        if not any(id(s) in self.remove for s in original_node.body):
            return updated_node
        body: list[cst.BaseStatement] = []
        carried: list[cst.EmptyLine] = []
        for original, child in zip(original_node.body, updated_node.body, strict=True):
            updated = child
            if id(original) in self.remove:
                carried.extend(line for line in leading_lines(original) if line.comment)
                continue
            if carried:
                updated = updated.with_changes(leading_lines=[*carried, *leading_lines(updated)])
                carried = []
            body.append(updated)
        return updated_node.with_changes(body=body)


def _uses_depends_default(fn: cst.FunctionDef) -> bool:
    for param in [*fn.params.params, *fn.params.kwonly_params]:
        default = param.default
        if isinstance(default, cst.Call) and dotted(default.func).rsplit(".", 1)[-1] == "Depends":
            return True
    return False


class InjectRouteServices(cst.CSTTransformer):
    """Give route handlers their services as parameters instead of getter calls in the body.

    ``svc = get_svc()`` lines go and ``svc`` becomes the parameter; other calls are
    replaced by a parameter named after the service. Handlers that already take
    ``x: T = Depends(f)`` parameters get ``svc: Service = Depends(provide_svc)``; the others
    get ``svc: ServiceDep``. Getter imports go when nothing else in the module uses them.

    Args:
        plan: The migration plan.
        path: The file's path relative to the root.
        select: Called with ``(getter name as written, service)``; calls it rejects are left.
    """

    DESCRIPTION = "Route handlers receive services as parameters instead of calling getters."

    def __init__(
        self,
        plan: MigrationPlan,
        path: str,
        select: Callable[[str, ServicePlan], bool] = lambda _head, _plan: True,
    ) -> None:
        super().__init__()
        self.plan = plan
        self.path = path
        self.module = module_name(path)
        self.select = select
        self.bindings: dict[str, str] = {}
        self.imports: list[tuple[str, str]] = []
        self.heads: set[str] = set()
        self.changed: list[HandlerChange] = []
        self.skipped: list[tuple[str, str]] = []
        self._by_key = {
            f"{p.service.accessor_module}.{p.service.accessor}": p
            for p in plan.services
            if p.called
        }

    def visit_Module(self, node: cst.Module) -> None:
        self.bindings = module_bindings(
            node, self.module, is_package=self.path.endswith("__init__.py")
        )

    def _resolve(self, node: cst.BaseExpression) -> _Call | None:
        if not isinstance(node, cst.Call) or node.args:
            return None
        text = dotted(node.func)
        if not text:
            return None
        head, dot, rest = text.partition(".")
        target = self.bindings.get(head)
        if target is None:
            return None
        full = f"{target}{dot}{rest}"
        found = self._by_key.get(full)
        if found is None:
            accessor = f"{target.rsplit('.', 1)[-1]}{dot}{rest}"
            matches = [p for p in self._by_key.values() if p.service.accessor == accessor]
            found = matches[0] if len(matches) == 1 else None
        if found is None or not self.select(head, found):
            return None
        return _Call(found, head)

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        # Handlers are analysed and rewritten as a whole in leave_FunctionDef, so the
        # generic walk never descends into function bodies (nor classes): that walk is
        # most of libcst's cost on a large module.
        return False

    def visit_ClassDef(self, node: cst.ClassDef) -> bool:
        return False

    def leave_FunctionDef(
        self, original_node: cst.FunctionDef, updated_node: cst.FunctionDef
    ) -> cst.FunctionDef:
        if not is_route(original_node):
            return updated_node
        return self._handler(updated_node)

    def _existing(self, fn: cst.FunctionDef) -> dict[str, str]:
        found: dict[str, str] = {}
        by_alias = {p.alias: p for p in self.plan.services}
        by_provider = {p.provider: p for p in self.plan.services}
        for param in [*fn.params.params, *fn.params.kwonly_params]:
            annotation = param.annotation.annotation if param.annotation else None
            name = param.name.value
            if annotation is not None and dotted(annotation) in by_alias:
                found[by_alias[dotted(annotation)].service.key] = name
            default = param.default
            if isinstance(default, cst.Call) and default.args:
                ref = dotted(default.args[0].value)
                if ref in by_provider:
                    found[by_provider[ref].service.key] = name
                elif ref:
                    fake = cst.Call(func=default.args[0].value)
                    resolved = self._resolve(fake)
                    if resolved is not None:
                        found[resolved.plan.service.key] = name
        return found

    def _handler(self, fn: cst.FunctionDef) -> cst.FunctionDef:
        analyse = _Analyse(self._resolve)
        fn.body.visit(analyse)
        for call in analyse.unawaited_async:
            self.skipped.append((fn.name.value, call.head))
        if not analyse.calls:
            return fn
        params = {p.name.value for p in [*fn.params.params, *fn.params.kwonly_params]}
        taken = analyse.names | params
        names = self._existing(fn)
        remove = self._reused(fn, names, params, analyse.stores)
        order: list[ServicePlan] = []
        for call in analyse.calls:
            key = call.plan.service.key
            self.heads.add(call.head)
            if key not in names:
                names[key] = _free_name(call.plan.param, taken)
                taken.add(names[key])
            if call.plan not in order:
                order.append(call.plan)
        existing = self._existing(fn)
        body = fn.body.visit(_Replace(self._resolve, names, remove))
        fn = fn.with_changes(body=body)
        change = HandlerChange(fn.name.value)
        default_style = _uses_depends_default(fn)
        for service in order:
            key = service.service.key
            if key in existing:
                continue
            fn = add_param(fn, self._param(names[key], service, default_style=default_style))
            change.params.append(names[key])
        self.changed.append(change)
        return fn

    def _reused(
        self, fn: cst.FunctionDef, names: dict[str, str], params: set[str], stores: dict[str, int]
    ) -> set[int]:
        """Mark ``svc = get_svc()`` lines whose name can become the parameter (in ``names``)."""
        remove: set[int] = set()
        for stmt, block_size in _statements(fn.body):
            found = _assigned_call(stmt, self._resolve)
            if found is None or block_size < 2:  # noqa: PLR2004 - a block keeps one statement
                continue
            local, call = found
            key = call.plan.service.key
            if key in names or local in params or stores.get(local, 0) != 1:
                continue
            names[key] = local
            remove.add(id(stmt))
        return remove

    def _param(self, name: str, service: ServicePlan, *, default_style: bool) -> cst.Param:
        deps = self.plan.deps_module
        if default_style:
            self.imports.append((deps, service.provider))
            self.imports.append((service.service.module, service.service.name))
            return cst.Param(
                name=cst.Name(name),
                annotation=cst.Annotation(cst.parse_expression(service.return_type())),
                default=cst.parse_expression(f"Depends({service.provider})"),
            )
        self.imports.append((deps, service.alias))
        return cst.Param(
            name=cst.Name(name),
            annotation=cst.Annotation(cst.Name(service.alias)),
        )

    def leave_Module(self, original_node: cst.Module, updated_node: cst.Module) -> cst.Module:
        if not self.changed:
            return updated_node
        module = add_imports(updated_node, self.imports)
        module, _ = remove_imports(module, self.heads)
        return module


def _free_name(base: str, taken: set[str]) -> str:
    if base not in taken:
        return base
    for suffix in ("_dep", "_service", "_injected"):
        if f"{base}{suffix}" not in taken:
            return f"{base}{suffix}"
    n = 2
    while f"{base}_{n}" in taken:
        n += 1
    return f"{base}_{n}"


def _statements(block: cst.BaseSuite) -> list[tuple[cst.BaseStatement, int]]:
    found: list[tuple[cst.BaseStatement, int]] = []
    if not isinstance(block, cst.IndentedBlock):
        return found
    for stmt in block.body:
        found.append((stmt, len(block.body)))
        if isinstance(stmt, cst.FunctionDef | cst.ClassDef):
            continue
        for child in _suites(stmt):
            found.extend(_statements(child))
    return found


def _suites(stmt: cst.BaseStatement) -> list[cst.BaseSuite]:
    suites: list[cst.BaseSuite] = []
    body = getattr(stmt, "body", None)
    if isinstance(body, cst.BaseSuite):
        suites.append(body)
    for attr in ("orelse", "finalbody"):
        other = getattr(stmt, attr, None)
        if isinstance(other, cst.Else | cst.Finally):
            suites.append(other.body)
        elif isinstance(other, cst.If):
            suites.extend(_suites(other))
    suites.extend(handler.body for handler in getattr(stmt, "handlers", ()))
    return suites
