"""Phase ``container`` (opt-in): move the services into a rescope container.

A service moves when the audit found it behind a lazy module-global getter that builds it
with ``Class()``, nothing else in its module touches the global, and its scope (the
audit's suggestion, or ``--scope Name=app``) is APP. Then, in one run:

* ``<app package>/service_registry.py`` registers it (``registry.add(Class, scope=...)``);
* its getter becomes a deprecated shim resolving from the app container, and the global
  goes;
* the dependencies module's provider resolves it from the container, and
  ``reset_singletons()`` closes the container instead of resetting the global;
* the app is set up with ``rescope.fastapi.setup(app, app_container)``;
* the dependencies module's aliases become ``Inject[X]`` and code naming the providers
  resolves from the container (``_inject``); the tests' override fixture moves onto the
  container (``_fixtures``); constructors receive the moved services they fetched with
  getters (``_ctor``).

A getter call the phase cannot rewrite keeps working through the shim, which resolves
from the same container: behaviour is unchanged and each such call is reported.
"""

from __future__ import annotations

from collections import defaultdict

import libcst as cst

from rescope.audit import Scope
from rescope.migrate._ctor import inject_constructors
from rescope.migrate._fixtures import move_override_fixtures
from rescope.migrate._inject import container_providers, inject_aliases, rewrite_users
from rescope.migrate._model import Phase, PhaseReport
from rescope.migrate._phases import parse, stage
from rescope.migrate._plan import MigrationPlan, ServicePlan, direct_users
from rescope.migrate._registry import (
    add_registrations,
    render_registry,
    resolve_providers,
    set_up_app,
)
from rescope.migrate._shims import can_shim, shim_module

__all__ = ["container_phase", "registry_module_of"]


def registry_module_of(plan: MigrationPlan) -> str:
    """``<package of the dependencies module>.service_registry``."""
    package, _, _ = plan.deps_module.rpartition(".")
    return f"{package}.service_registry" if package else "service_registry"


def _scope_of(plan: MigrationPlan, service: ServicePlan) -> Scope:
    chosen = plan.scopes.get(service.service.name)
    return Scope[chosen.upper()] if chosen else service.service.scope


def _why_not(plan: MigrationPlan, service: ServicePlan, scope: Scope) -> str:
    svc = service.service
    if svc.shape != "lazy_getter" or "." in svc.accessor:
        return f"`{svc.accessor}` is a {svc.shape.replace('_', ' ')}, not a module-level getter"
    if scope is not Scope.APP:
        return (
            f"the audit suggests scope {scope.name} ({svc.scope_reason}); a getter can only"
            f" hand out an APP instance: inject `{svc.name}` everywhere first, or pass"
            f" `--scope {svc.name}=app` to move it as it is"
        )
    if not service.fresh:
        return f"`{svc.name}()` needs arguments: register a factory for it by hand"
    if service.lazy:
        return f"importing `{svc.module}` from the registry would close an import cycle"
    rel = plan.project.modules().get(svc.accessor_module)
    tree = plan.project.tree(rel) if rel else None
    if tree is None or svc.module != svc.accessor_module:
        return f"`{svc.accessor}` is not in the module that defines `{svc.name}`"
    return can_shim(tree, svc.accessor, svc.name, _holders(service), svc.holder or "")


def _holders(service: ServicePlan) -> set[str]:
    module = service.service.accessor_module
    return {h.removeprefix(f"{module}.") for h in service.holders if h.startswith(f"{module}.")}


def _movable(report: PhaseReport, plan: MigrationPlan) -> list[tuple[ServicePlan, str]]:
    moving: list[tuple[ServicePlan, str]] = []
    for service in plan.services:
        scope = _scope_of(plan, service)
        why = _why_not(plan, service, scope)
        if why:
            svc = service.service
            report.note("left-alone", svc.path, svc.line, f"`{svc.name}` stays: {why}")
            continue
        moving.append((service, scope.name))
    return moving


def _shim_services(
    report: PhaseReport, plan: MigrationPlan, moving: list[ServicePlan], registry: str
) -> None:
    by_path: dict[str, list[ServicePlan]] = defaultdict(list)
    for service in moving:
        by_path[service.service.path].append(service)
    for path, services in sorted(by_path.items()):
        module = parse(report, plan, path)
        if module is None:
            continue
        shims = {s.service.accessor: (s.service.name, _holders(s)) for s in services}
        after = shim_module(module, shims, registry)
        stage(plan, path, module, after)
        for service in services:
            svc = service.service
            report.note(
                "shimmed",
                path,
                svc.line,
                f"`{svc.accessor}()` warns and resolves `{svc.name}` from the app container;"
                f" {', '.join(sorted(_holders(service)))} removed",
            )


def _still_calling(
    report: PhaseReport,
    plan: MigrationPlan,
    moving: list[ServicePlan],
    injected: set[tuple[str, str]],
) -> None:
    kinds = frozenset({"service", "function", "route", "test"})
    seen: set[tuple[str, int, str]] = set()
    for service in moving:
        for usage in direct_users(service, kinds, exclude=plan.deps_path):
            if (usage.where.rpartition(".")[0], service.service.accessor) in injected:
                continue
            if (usage.path, usage.line, service.service.accessor) in seen:
                continue
            seen.add((usage.path, usage.line, service.service.accessor))
            report.note(
                "shim-caller",
                usage.path,
                usage.line,
                f"`{usage.where.rsplit('.', 1)[-1]}` still calls `{service.service.accessor}()`"
                f" (deprecated now): inject `{service.service.name}` there",
            )


def _registry_file(
    report: PhaseReport, plan: MigrationPlan, moving: list[tuple[ServicePlan, str]], module: str
) -> None:
    path = module.replace(".", "/") + ".py"
    if plan.project.exists(path):
        before = plan.project.read(path)
        report.parsed += 1
        after = add_registrations(before, moving)
        if after != before:
            plan.project.stage(path, after)
        return
    plan.project.stage(path, render_registry(moving))
    report.note("created", path, 0, f"{len(moving)} services registered with the container")


def _deps_file(
    report: PhaseReport, plan: MigrationPlan, moving: list[ServicePlan], module: str
) -> None:
    path = plan.deps_path
    if not plan.project.exists(path):
        report.note("left-alone", path, 0, "no dependencies module: run the deps phase first")
        return
    before = plan.project.read(path)
    report.parsed += 1
    gone = {h for s in moving for h in s.holders}
    after = resolve_providers(before, moving, module, gone)
    if after != before:
        plan.project.stage(path, after)


def _app_file(report: PhaseReport, plan: MigrationPlan, module: str) -> None:
    if plan.app_module is None:
        report.note("left-alone", "", 0, "no FastAPI `app = ...` found to set up (pass --app)")
        return
    path = plan.project.modules().get(plan.app_module)
    if path is None:
        return
    before = plan.project.read(path)
    after = set_up_app(before, plan.app_name, module)
    report.parsed += 1
    if after is not None and after != before:
        plan.project.stage(path, after)
        report.note(
            "setup", path, 0, f"`rescope.fastapi.setup({plan.app_name}, app_container)` added"
        )


def _is_set_up(plan: MigrationPlan) -> bool:
    path = plan.project.modules().get(plan.app_module or "")
    return path is not None and "rescope.fastapi.setup(" in plan.project.read(path)


def _tests_and_aliases(report: PhaseReport, plan: MigrationPlan, registry: str) -> None:
    """The override fixture and patches move onto the container; aliases become ``Inject``."""
    move_override_fixtures(report, plan, registry)
    if not plan.project.exists(plan.deps_path):
        return
    providers = container_providers(cst.parse_module(plan.project.read(plan.deps_path)))
    if not providers or not _is_set_up(plan):
        return
    rewrite_users(report, plan, providers, registry)
    inject_aliases(report, plan, providers)


def container_phase(plan: MigrationPlan) -> PhaseReport:
    """Move every service that can move into a rescope container (see the module docs).

    Args:
        plan: The migration plan (``plan.scopes`` overrides the audit's scopes).
    """
    report = PhaseReport(Phase.CONTAINER, scanned=plan.audit.files)
    moving = _movable(report, plan)
    registry = registry_module_of(plan)
    if not moving:
        _tests_and_aliases(report, plan, registry)
        return report
    services = [s for s, _ in moving]
    _registry_file(report, plan, moving, registry)
    _shim_services(report, plan, services, registry)
    _deps_file(report, plan, services, registry)
    _app_file(report, plan, registry)
    _tests_and_aliases(report, plan, registry)
    injected = inject_constructors(report, plan, services, registry)
    _still_calling(report, plan, services, injected)
    return report
