"""Phase ``routes``, and the parsing, staging and patch decisions the tests phase shares."""

# LibCST's visitor protocol names methods after node classes and fixes their arguments.

from __future__ import annotations

import ast
from collections import defaultdict

import libcst as cst

from rescope.migrate._model import Phase, PhaseReport
from rescope.migrate._patches import only_routes_call, patch_forms
from rescope.migrate._plan import MigrationPlan, ServicePlan, direct_users
from rescope.migrate._project import module_name
from rescope.migrate._routes import InjectRouteServices

__all__ = ["inject_routes", "parse", "rewritable_patches", "routes_phase", "stage"]


def parse(report: PhaseReport, plan: MigrationPlan, path: str) -> cst.Module | None:
    """Parse a file with libcst, or note it as unparsable (path and line) and return ``None``."""
    try:
        text = plan.project.read(path)
        module = cst.parse_module(text)
    except cst.ParserSyntaxError as exc:
        report.note("unparsable", path, exc.raw_line, f"skipped: it does not parse ({exc.message})")
        return None
    except (OSError, UnicodeDecodeError) as exc:
        report.note("unparsable", path, 0, f"skipped: it cannot be read as UTF-8 ({exc})")
        return None
    report.parsed += 1
    return module


def stage(plan: MigrationPlan, path: str, before: cst.Module, after: cst.Module) -> bool:
    """Record ``after`` as the file's new text when a transform changed anything.

    Args:
        plan: The migration plan (its project holds the pending texts).
        path: The file.
        before: The module the transform started from.
        after: The module it returned.
    """
    if after is before:
        return False
    text = after.code
    if text == plan.project.read(path):
        return False
    plan.project.stage(path, text)
    return True


def inject_routes(
    report: PhaseReport, plan: MigrationPlan, path: str, deferred: set[str], *, only: bool
) -> None:
    module = parse(report, plan, path)
    if module is None:
        return
    mod = module_name(path)

    def select(head: str, _service: ServicePlan) -> bool:
        return (f"{mod}.{head}" in deferred) is only

    transformer = InjectRouteServices(plan, path, select)
    after = module.visit(transformer)
    stage(plan, path, module, after)
    for change in transformer.changed:
        report.note(
            "injected",
            path,
            0,
            f"`{change.handler}` receives " + ", ".join(f"`{p}`" for p in change.params),
        )
    for handler, head in transformer.skipped:
        report.note(
            "left-alone",
            path,
            0,
            f"`{handler}` calls async `{head}()` without awaiting it: inject by hand",
        )


def routes_phase(plan: MigrationPlan) -> PhaseReport:
    """Inject services into every route handler that calls a getter in its body.

    Getters that a test patches in the route's module are deferred to the tests phase,
    which rewrites the patch and the handler together (either alone would break the test).

    Args:
        plan: The migration plan.
    """
    report = PhaseReport(Phase.ROUTES, scanned=plan.audit.files)
    deferred = set(plan.patched_targets())
    for path in sorted(plan.route_findings):
        mod = module_name(path)
        for finding in plan.route_findings[path]:
            getter = finding.symbol.partition(":")[2]
            if f"{mod}.{getter}" in deferred:
                report.note(
                    "deferred",
                    path,
                    finding.line,
                    f"`{getter}()` is patched by a test at `{mod}.{getter}`: the tests phase"
                    " injects it and rewrites the patch together",
                )
        inject_routes(report, plan, path, deferred, only=False)
    for service in plan.services:
        for usage in direct_users(service, frozenset({"function"}), exclude=plan.deps_path):
            report.note(
                "left-alone",
                usage.path,
                usage.line,
                f"`{usage.where.rsplit('.', 1)[-1]}` reaches `{service.service.name}` through"
                f" `{service.service.accessor}` but is not a route handler; give it a"
                f" `{service.alias}` parameter by hand if FastAPI calls it",
            )
    return report


def rewritable_patches(
    report: PhaseReport, plan: MigrationPlan
) -> tuple[dict[str, ServicePlan], dict[str, cst.Module]]:
    """Decide which getter patches in tests become overrides; return them and the parsed files.

    Args:
        report: The tests phase's report (notes each patch).
        plan: The migration plan.
    """
    targets = plan.patched_targets()
    modules = plan.project.modules()
    parsed: dict[str, cst.Module] = {}
    good: dict[str, int] = defaultdict(int)
    bad: dict[str, int] = defaultdict(int)
    for path in sorted({f.path for fs in targets.values() for f in fs}):
        module = parse(report, plan, path)
        if module is None:
            continue
        parsed[path] = module
        ok, not_ok = patch_forms(module)
        for target, n in ok.items():
            good[target] += n
        for target, n in not_ok.items():
            bad[target] += n
    chosen: dict[str, ServicePlan] = {}
    for target, findings in sorted(targets.items()):
        mod, _, getter = target.rpartition(".")
        service = plan.for_accessor(mod, getter) or _bound_service(plan, modules.get(mod), getter)
        why = _why_kept(plan, target, service, bad=bad.get(target, 0))
        if why or service is None:
            for finding in findings:
                report.note("patch-kept", finding.path, finding.line, f"`{target}` left: {why}")
            continue
        chosen[target] = service
        for finding in findings:
            report.note(
                "patch-rewritten",
                finding.path,
                finding.line,
                f"`{target}` -> `{plan.app_name}.dependency_overrides[{service.provider}]`",
            )
    return chosen, parsed


def _why_kept(plan: MigrationPlan, target: str, service: ServicePlan | None, *, bad: int) -> str:
    mod, _, getter = target.rpartition(".")
    rel = plan.project.modules().get(mod)
    tree = plan.project.tree(rel) if rel else None
    if plan.app_module is None:
        return "no FastAPI `app = ...` was found to override on (pass --app)"
    if tree is None or service is None:
        return f"`{target}` is not a service getter of the project"
    if not only_routes_call(tree, getter):
        return f"code in `{mod}` other than route handlers calls `{getter}()`"
    if bad:
        return "only `with patch(target, return_value=stub):` blocks are rewritten"
    return ""


def _bound_service(plan: MigrationPlan, rel: str | None, getter: str) -> ServicePlan | None:
    if rel is None:
        return None
    tree = plan.project.tree(rel)
    if tree is None:
        return None
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and node.module:
            for alias in node.names:
                if (alias.asname or alias.name) == getter:
                    return plan.for_accessor(node.module, alias.name)
    return None
