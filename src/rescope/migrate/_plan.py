"""The migration plan: what each service's provider is and which code changes, from the audit.

The audit (read-only, :mod:`ast`) decides everything here; libcst only parses the files
the plan names.
"""

from __future__ import annotations

import ast
import re
from collections import defaultdict, deque
from dataclasses import dataclass, field
from pathlib import Path

from rescope.audit import (
    AuditConfig,
    AuditResult,
    Finding,
    Service,
    Usage,
    find_pyproject,
    known_rule_options,
    load_config,
    run_audit,
)
from rescope.exceptions import MigrationError
from rescope.migrate._project import Project, is_test_path, module_name

__all__ = ["MigrationPlan", "ServicePlan", "build_plan", "snake_case"]

#: Shapes whose accessor is called to get the instance (``get_x()``, ``Cls()``, ``Cls.instance()``).
CALLED_SHAPES = frozenset(
    {"lazy_getter", "cached_getter", "new_singleton", "metaclass_singleton", "decorator_singleton"}
)
#: Shapes where calling the class itself builds a new object (so a test can make a fresh one).
_FRESH_SHAPES = frozenset({"lazy_getter", "cached_getter"})
_RULES = ("RS001", "RS201", "RS202", "RS203", "RS204")


def snake_case(name: str) -> str:
    """``CoachAnalyticsService`` -> ``coach_analytics_service``, ``LLMClient`` -> ``llm_client``."""
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", "_", name).lower()


@dataclass(frozen=True, slots=True)
class ServicePlan:
    """How one service is provided and injected.

    Args:
        service: The audit's inventory entry.
        provider: Name of the generated provider function (``provide_auth_service``).
        alias: Name of the ``Annotated`` alias (``AuthServiceDep``).
        param: The parameter name handlers get when no local name can be reused.
        is_async: The accessor is a coroutine function (the provider awaits it).
        lazy: The dependencies module imports the service inside the provider (an eager
            import would close an import cycle).
        fresh: ``Class()`` builds a new instance with no arguments, so tests can get a
            fresh one without resetting globals.
        holders: The module globals (``module.name``) the accessor keeps its instance in.
    """

    service: Service
    provider: str
    alias: str
    param: str
    is_async: bool
    lazy: bool
    fresh: bool
    holders: tuple[str, ...]

    @property
    def called(self) -> bool:
        """Whether callers get the instance by calling the accessor."""
        return self.service.shape in CALLED_SHAPES

    @property
    def accessor_head(self) -> str:
        """The name a caller imports to reach the accessor (the class, for a classmethod)."""
        return self.service.accessor.partition(".")[0]

    def accessor_call(self) -> str:
        """The expression that returns the instance, as the provider writes it."""
        shape, accessor = self.service.shape, self.service.accessor
        if shape == "module_instance":
            return accessor
        if shape == "class_cached_client":
            return accessor
        call = f"{accessor}()"
        return f"await {call}" if self.is_async else call

    def return_type(self) -> str:
        """The provider's return annotation."""
        name = self.service.name
        if self.service.shape == "class_cached_client":
            return f"type[{name}]"
        return name


@dataclass(slots=True)
class MigrationPlan:
    """Everything the phases need, decided before any file is rewritten.

    Args:
        project: The project's files.
        audit: The audit result the plan is built from.
        services: One entry per service that gets a provider.
        deps_module: Dotted name of the dependencies module.
        app_module: Dotted name of the module that holds the FastAPI app, if found.
        app_name: The app's variable name there.
        scopes: Service class name -> scope name (``app``, ``session``, ``request``) that
            the container phase uses instead of the audit's suggestion.
    """

    project: Project
    audit: AuditResult
    services: list[ServicePlan]
    deps_module: str
    app_module: str | None
    app_name: str = "app"
    route_findings: dict[str, list[Finding]] = field(default_factory=dict)
    reset_findings: dict[str, list[Finding]] = field(default_factory=dict)
    patch_findings: list[Finding] = field(default_factory=list)
    unparsable: list[Finding] = field(default_factory=list)
    scopes: dict[str, str] = field(default_factory=dict)

    @property
    def deps_path(self) -> str:
        """The dependencies module's path relative to the root."""
        modules = self.project.modules()
        if self.deps_module in modules:
            return modules[self.deps_module]
        return self.deps_module.replace(".", "/") + ".py"

    def for_accessor(self, module: str, name: str) -> ServicePlan | None:
        """The service whose accessor is ``name`` in ``module`` (``Cls.instance`` for methods)."""
        for plan in self.services:
            if plan.service.accessor_module == module and plan.service.accessor == name:
                return plan
        matches = [p for p in self.services if p.service.accessor == name]
        return matches[0] if len(matches) == 1 else None

    def for_holder(self, qualified: str) -> ServicePlan | None:
        """The service that keeps its instance in ``module.global`` (or ``module.Class.attr``)."""
        for plan in self.services:
            if qualified in plan.holders:
                return plan
        return None

    def patched_targets(self) -> dict[str, list[Finding]]:
        """``module.getter`` patched by tests -> the findings that patch it."""
        targets: dict[str, list[Finding]] = defaultdict(list)
        for finding in self.patch_findings:
            targets[finding.symbol.partition(":")[2]].append(finding)
        return dict(targets)


def _function(tree: ast.Module, accessor: str) -> ast.FunctionDef | ast.AsyncFunctionDef | None:
    head, _, method = accessor.partition(".")
    for node in ast.walk(tree):
        if method and isinstance(node, ast.ClassDef) and node.name == head:
            for item in node.body:
                if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef) and item.name == method:
                    return item
        if (
            not method
            and isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
            and node.name == head
        ):
            return node
    return None


def _builds_fresh(tree: ast.Module, name: str) -> bool:
    for node in tree.body:
        if isinstance(node, ast.ClassDef) and node.name == name:
            if node.decorator_list or node.keywords:
                return False
            for item in node.body:
                if isinstance(item, ast.FunctionDef) and item.name == "__init__":
                    args = item.args
                    positional = [*args.posonlyargs, *args.args][1:]
                    required = len(positional) - len(args.defaults)
                    kw_required = sum(1 for d in args.kw_defaults if d is None)
                    return required <= 0 and kw_required == 0
                if isinstance(item, ast.FunctionDef) and item.name == "__new__":
                    return False
            return True
    return False


def _top_imports(tree: ast.Module, module: str, *, is_package: bool) -> set[str]:
    found: set[str] = set()
    for node in tree.body:
        stack: list[ast.stmt] = [node]
        while stack:
            stmt = stack.pop()
            if isinstance(stmt, ast.Import):
                found.update(alias.name for alias in stmt.names)
            elif isinstance(stmt, ast.ImportFrom):
                base = stmt.module or ""
                if stmt.level:
                    parts = module.split(".")
                    keep = len(parts) - stmt.level + (1 if is_package else 0)
                    base = ".".join([*parts[: max(keep, 0)], *([base] if base else [])])
                found.add(base)
                found.update(f"{base}.{alias.name}" for alias in stmt.names)
            elif isinstance(stmt, ast.If | ast.Try):
                stack.extend(stmt.body)
                stack.extend(stmt.orelse)
    return found


def _import_graph(project: Project) -> dict[str, set[str]]:
    modules = project.modules()
    graph: dict[str, set[str]] = {}
    for name, rel in modules.items():
        if is_test_path(rel):
            continue
        tree = project.tree(rel)
        edges: set[str] = set()
        if tree is not None:
            for target in _top_imports(tree, name, is_package=rel.endswith("__init__.py")):
                parts = target.split(".")
                edges.update(
                    ".".join(parts[:i])
                    for i in range(1, len(parts) + 1)
                    if ".".join(parts[:i]) in modules
                )
        parts = name.split(".")
        edges.update(
            ".".join(parts[:i]) for i in range(1, len(parts)) if ".".join(parts[:i]) in modules
        )
        edges.discard(name)
        graph[name] = edges
    return graph


def _reaches(graph: dict[str, set[str]], start: str, targets: set[str]) -> bool:
    seen, todo = {start}, deque([start])
    while todo:
        current = todo.popleft()
        if current in targets:
            return True
        for nxt in graph.get(current, ()):
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return False


def _find_app(project: Project) -> tuple[str, str] | None:
    candidates: list[tuple[int, str]] = []
    for rel in project.files():
        if is_test_path(rel):
            continue
        text = project.read(rel)
        if "fastapi" not in text.lower() and "app" not in rel:
            continue
        tree = project.tree(rel)
        if tree is None:
            continue
        for node in tree.body:
            if (
                isinstance(node, ast.Assign)
                and isinstance(node.value, ast.Call)
                and any(isinstance(t, ast.Name) and t.id == "app" for t in node.targets)
            ):
                rank = 0 if rel.endswith(("main.py", "app.py")) else 1
                candidates.append((rank, module_name(rel)))
    if not candidates:
        return None
    return min(candidates)[1], "app"


def _unique_names(services: list[Service]) -> dict[str, str]:
    counts: dict[str, int] = defaultdict(int)
    for service in services:
        counts[service.name] += 1
    names: dict[str, str] = {}
    for service in services:
        name = service.name
        if counts[name] > 1:
            parent = service.module.rsplit(".", 2)[-2] if "." in service.module else "app"
            name = f"{parent.title().replace('_', '')}{name}"
        names[service.key] = name
    return names


def _plan_service(project: Project, service: Service, unique: str, *, lazy: bool) -> ServicePlan:
    modules = project.modules()
    accessor_tree = project.tree(modules.get(service.accessor_module, ""))
    class_tree = project.tree(modules.get(service.module, ""))
    fn = _function(accessor_tree, service.accessor) if accessor_tree is not None else None
    holders: list[str] = []
    if fn is not None:
        for node in ast.walk(fn):
            if isinstance(node, ast.Global):
                holders.extend(f"{service.accessor_module}.{n}" for n in node.names)
    if service.holder and service.shape in {"new_singleton", "class_cached_client"}:
        holders.append(f"{service.module}.{service.name}.{service.holder}")
    elif service.holder and f"{service.accessor_module}.{service.holder}" not in holders:
        holders.append(f"{service.accessor_module}.{service.holder}")
    fresh = (
        service.shape in _FRESH_SHAPES
        and class_tree is not None
        and _builds_fresh(class_tree, service.name)
    )
    snake = snake_case(unique)
    return ServicePlan(
        service=service,
        provider=f"provide_{snake}",
        alias=f"{unique}Dep",
        param=snake,
        is_async=isinstance(fn, ast.AsyncFunctionDef),
        lazy=lazy,
        fresh=fresh,
        holders=tuple(dict.fromkeys(holders)),
    )


def _default_deps_module(services: list[Service], app: tuple[str, str] | None) -> str:
    if app is not None and "." in app[0]:
        return f"{app[0].partition('.')[0]}.service_dependencies"
    tops = sorted({s.module.partition(".")[0] for s in services if "." in s.module})
    if not tops:
        return "service_dependencies"
    return f"{tops[0]}.service_dependencies"


def build_plan(
    root: Path,
    *,
    deps_module: str | None = None,
    app: str | None = None,
    audit: AuditResult | None = None,
) -> MigrationPlan:
    """Audit the project under ``root`` and decide what every phase will change.

    Args:
        root: The project root; module names are relative to it.
        deps_module: Dotted name of the dependencies module to generate; by default
            ``<app package>.service_dependencies``.
        app: The FastAPI app as ``module:attribute``; found by looking for a module-level
            ``app = ...`` when omitted.
        audit: An audit result of ``root`` to reuse; the project is audited when omitted.

    Raises:
        MigrationError: ``root`` is not a directory, or ``app`` is not ``module:attribute``.
    """
    project = Project(root)
    if audit is None:
        pyproject = find_pyproject(project.root)
        config = load_config(pyproject, known_rules=known_rule_options()) if pyproject else None
        base = config if config is not None else AuditConfig()
        audit = run_audit([project.root], base.with_overrides(select=_RULES, use_cache=False))
    app_ref: tuple[str, str] | None
    if app is not None:
        module, sep, attr = app.partition(":")
        if not sep or not module or not attr.isidentifier():
            raise MigrationError(
                f"--app {app!r} does not name an object as `module:attribute`.",
                hint="`--app backend.main:app`.",
            )
        app_ref = (module, attr)
    else:
        app_ref = _find_app(project)
    modules = project.modules()
    services = [s for s in audit.services if not s.external and s.accessor_module in modules]
    deps = deps_module or _default_deps_module(services, app_ref)
    findings: dict[str, dict[str, list[Finding]]] = defaultdict(lambda: defaultdict(list))
    for finding in audit.findings:
        findings[finding.rule][finding.path].append(finding)
    graph = _import_graph(project)
    importers = {deps, *(module_name(p) for p in findings["RS201"])}
    importers.update(m for m, edges in graph.items() if deps in edges)
    unique = _unique_names(services)
    plans = [
        _plan_service(
            project,
            s,
            unique[s.key],
            lazy=_reaches(graph, s.module, importers)
            or _reaches(graph, s.accessor_module, importers),
        )
        for s in sorted(services, key=lambda s: (s.module, s.name))
    ]
    return MigrationPlan(
        project=project,
        audit=audit,
        services=plans,
        deps_module=deps,
        app_module=app_ref[0] if app_ref else None,
        app_name=app_ref[1] if app_ref else "app",
        route_findings=dict(findings["RS201"]),
        reset_findings=dict(findings["RS203"]),
        patch_findings=[f for fs in findings["RS204"].values() for f in fs],
        unparsable=[f for fs in findings["RS001"].values() for f in fs],
    )


def direct_users(plan: ServicePlan, kinds: frozenset[str], *, exclude: str = "") -> list[Usage]:
    """The places that call the service's accessor directly, of the given kinds.

    Args:
        plan: The service.
        kinds: Usage kinds to keep (``route``, ``service``, ``function``, ``test``).
        exclude: A path whose usages do not count (the dependencies module's providers).
    """
    return [
        u for u in plan.service.users if u.how == "direct" and u.kind in kinds and u.path != exclude
    ]
