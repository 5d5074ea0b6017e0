"""Phase ``tests``: singleton resets and getter patches in the tests become overrides.

Handlers whose getter a test patches were left by the routes phase; they are injected
here, in the same run as the patch that becomes a dependency override, because either
change alone would break that test.
"""

# LibCST's visitor protocol names methods after node classes.
# ruff: noqa: N802

from __future__ import annotations

from dataclasses import dataclass, field

import libcst as cst
from libcst.metadata import MetadataWrapper, PositionProvider

from rescope.migrate._imports import add_imports, bound_names
from rescope.migrate._model import Phase, PhaseReport
from rescope.migrate._patches import RewritePatches
from rescope.migrate._phases import inject_routes, parse, rewritable_patches, stage
from rescope.migrate._plan import MigrationPlan, ServicePlan, direct_users
from rescope.migrate._project import module_name
from rescope.migrate._resets import (
    ResetDecision,
    RewriteResets,
    find_anchor,
    fixture_source,
    is_stale,
    reset_value,
    split_symbol,
)
from rescope.migrate._shared import add_shared_resets

__all__ = ["tests_phase"]

_OVERRIDE_FIXTURE = "service_overrides"
_OBSERVERS = frozenset({"service", "function", "test"})


@dataclass(slots=True)
class _Context:
    plan: MigrationPlan
    report: PhaseReport
    chosen: dict[str, ServicePlan]
    kept_routes: set[str]
    overridable: set[str] = field(default_factory=set)
    shared: list[tuple[str, str, str]] = field(default_factory=list)

    @property
    def providers(self) -> dict[str, str]:
        return {target: service.provider for target, service in self.chosen.items()}

    def still_direct(self, service: ServicePlan) -> list[str]:
        """Code that still calls the service's accessor after the migration."""
        deps = self.plan.deps_path
        users = direct_users(service, _OBSERVERS, exclude=deps)
        users += [
            u for u in direct_users(service, frozenset({"route"})) if u.path in self.kept_routes
        ]
        return [f"`{u.where}` ({u.path}:{u.line})" for u in users]


def _app_name(module: cst.Module, plan: MigrationPlan) -> str:
    for local, (mod, name) in bound_names(module).items():
        if mod == plan.app_module and name == plan.app_name:
            return local
    return plan.app_name


def _positions(module: cst.Module) -> tuple[cst.Module, dict[int, int]]:
    wrapper = MetadataWrapper(module, unsafe_skip_copy=True)
    positions = wrapper.resolve(PositionProvider)
    lines = {
        id(node): pos.start.line
        for node, pos in positions.items()
        if isinstance(node, cst.SimpleStatementLine)
    }
    return wrapper.module, lines


class _Statements(cst.CSTVisitor):
    """Per reset line: its enclosing top-level function and the assigned value's source."""

    def __init__(self, lines: dict[int, int]) -> None:
        self.lines = lines
        self.function = ""
        self.owners: dict[int, str] = {}
        self.values: dict[int, str] = {}

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        if not self.function:
            self.function = node.name.value

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        if self.function == original_node.name.value:
            self.function = ""

    def visit_SimpleStatementLine(self, node: cst.SimpleStatementLine) -> None:
        line = self.lines.get(id(node))
        if line is None:
            return
        self.owners[line] = self.function
        if len(node.body) == 1 and isinstance(node.body[0], cst.Assign):
            self.values[line] = cst.Module([]).code_for_node(node.body[0].value)


def _decide(ctx: _Context, path: str, *, anchored: bool) -> dict[int, ResetDecision]:
    decisions: dict[int, ResetDecision] = {}
    for finding in ctx.plan.reset_findings.get(path, []):
        symbol, line = finding.symbol, finding.line
        stale = is_stale(ctx.plan, symbol)
        service = ctx.plan.for_holder(symbol)
        if stale:
            decisions[line] = ResetDecision(line, symbol, "stale", "", stale)
        elif service is not None and anchored and service.service.key in ctx.overridable:
            decisions[line] = ResetDecision(line, symbol, "override", "", "", service)
        else:
            decisions[line] = ResetDecision(line, symbol, "shared", "", "", service)
    return decisions


def _why_shared(ctx: _Context, decision: ResetDecision) -> str:
    service = decision.service
    if service is None:
        return "the class keeps it for every caller"
    users = ctx.still_direct(service)
    if users:
        return f"still read through the getter by {users[0]}"
    if not service.fresh:
        return f"`{service.service.accessor}` itself hands out the one instance"
    return "no autouse fixture runs the resets, so nothing can apply overrides"


def _note(ctx: _Context, path: str, decision: ResetDecision, value: str | None) -> ResetDecision:
    report, line = ctx.report, decision.line
    if decision.kind == "stale":
        report.note("stale-reset", path, line, f"removed `{decision.symbol}`: {decision.why}")
    elif decision.kind == "override" and decision.service is not None:
        service = decision.service
        report.note(
            "override",
            path,
            line,
            f"removed `{decision.symbol}`: each test gets a fresh `{service.service.name}`"
            f" through `{service.provider}`",
        )
    elif value is None:
        report.note("reset-kept", path, line, f"`{decision.symbol}` is set to a non-literal")
        return ResetDecision(line, decision.symbol, "keep", "", "")
    else:
        split = split_symbol(decision.symbol, ctx.plan.project.modules())
        if split is not None:
            ctx.shared.append((split[0], split[1], value))
        why = _why_shared(ctx, decision)
        report.note("reset-kept", path, line, f"`{decision.symbol}` -> reset_singletons(): {why}")
    return decision


def _reset_file(ctx: _Context, path: str, patched: cst.Module | None) -> None:
    plan = ctx.plan
    parsed = parse(ctx.report, plan, path)
    if parsed is None:
        return
    module, lines = _positions(parsed)
    facts = _Statements(lines)
    module.visit(facts)
    holders = {facts.owners.get(f.line, "") for f in plan.reset_findings[path]} - {""}
    anchor = find_anchor(module, holders)
    anchored = anchor is not None and anchor[2] and plan.app_module is not None
    decisions = _decide(ctx, path, anchored=anchored)
    services: list[ServicePlan] = []
    for line, decision in sorted(decisions.items()):
        decisions[line] = _note(ctx, path, decision, reset_value(facts.values.get(line, "")))
        if decision.kind == "override" and decision.service not in services:
            services.append(decision.service)  # type: ignore[arg-type]
    app = _app_name(module, plan)
    imports: list[tuple[str, str]] = []
    fixture = ""
    taken = {s.name.value for s in module.body if isinstance(s, cst.FunctionDef)}
    if services and anchor is not None and plan.app_module and _OVERRIDE_FIXTURE not in taken:
        fixture = fixture_source(_OVERRIDE_FIXTURE, anchor[1], services, app)
        imports += [(plan.deps_module, s.provider) for s in services]
        imports += [(s.service.module, s.service.name) for s in services]
        if app == plan.app_name:
            imports.append((plan.app_module, plan.app_name))
    if any(d.kind == "shared" for d in decisions.values()):
        imports.append((plan.deps_module, "reset_singletons"))
    anchor_name = anchor[0] if anchor else ""
    after = module.visit(RewriteResets(decisions, lines, anchor_name, fixture, imports))
    if patched is not None:
        after = _rewrite_patches(ctx, after)
    stage(plan, path, module, after)


def _rewrite_patches(ctx: _Context, module: cst.Module) -> cst.Module:
    plan = ctx.plan
    app = _app_name(module, plan)
    rewriter = RewritePatches(ctx.providers, app)
    after = module.visit(rewriter)
    if not rewriter.rewritten:
        return module
    wanted = [(plan.deps_module, ctx.providers[t]) for t in rewriter.rewritten]
    if plan.app_module and app == plan.app_name:
        wanted.append((plan.app_module, plan.app_name))
    return add_imports(after, wanted)


def tests_phase(plan: MigrationPlan) -> PhaseReport:
    """Rewrite singleton resets and getter patches in the tests.

    Args:
        plan: The migration plan.
    """
    report = PhaseReport(Phase.TESTS, scanned=plan.audit.files)
    chosen, parsed = rewritable_patches(report, plan)
    for path in sorted(plan.route_findings):
        mine = {t for t in chosen if t.rpartition(".")[0] == module_name(path)}
        if mine:
            inject_routes(report, plan, path, mine, only=True)
    modules = plan.project.modules()
    kept = {modules.get(t.rpartition(".")[0], "") for t in plan.patched_targets()}
    kept -= {modules.get(t.rpartition(".")[0], "") for t in chosen}
    ctx = _Context(plan, report, chosen, kept)
    ctx.overridable = {s.service.key for s in plan.services if s.fresh and not ctx.still_direct(s)}
    for path in sorted(plan.reset_findings):
        _reset_file(ctx, path, parsed.get(path))
    for path, module in sorted(parsed.items()):
        if path not in plan.reset_findings:
            stage(plan, path, module, _rewrite_patches(ctx, module))
    if ctx.shared:
        add_shared_resets(report, plan, ctx.shared)
    return report
