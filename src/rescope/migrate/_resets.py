"""Test fixtures that reset singleton globals become overrides, or one shared reset call.

The rule, per reset statement in test code:

* **stale** (its module or attribute no longer exists): removed; it did nothing.
* **overridable** (the service is only reached through its provider now, and ``Class()``
  builds a fresh one): removed; a fixture gives each test a fresh instance through
  ``app.dependency_overrides`` and removes it on teardown.
* **still observable** (another service, a helper or a test still calls the getter, or
  the class itself is the singleton): the global is still shared, so it is still reset,
  by ``reset_singletons()`` in the dependencies module, which lists every such global in
  one place until the services move into a container.
"""

# LibCST's visitor protocol names methods after node classes and fixes their arguments.
# ruff: noqa: N802, ARG002

from __future__ import annotations

import ast
from dataclasses import dataclass

import libcst as cst

from rescope.migrate._imports import add_imports, dotted, leading_lines, remove_imports
from rescope.migrate._plan import MigrationPlan, ServicePlan

__all__ = ["ResetDecision", "RewriteResets", "fixture_source", "split_symbol"]

_LITERALS = frozenset({"None", "True", "False"})


@dataclass(frozen=True, slots=True)
class ResetDecision:
    """What happens to one reset statement (``kind``: stale, override, shared or keep)."""

    line: int
    symbol: str
    kind: str
    value: str
    why: str
    service: ServicePlan | None = None


def split_symbol(symbol: str, modules: dict[str, str]) -> tuple[str, str] | None:
    """``pkg.mod.Class.attr`` -> ``("pkg.mod", "Class.attr")`` using the project's modules."""
    parts = symbol.split(".")
    for i in range(len(parts) - 1, 0, -1):
        head = ".".join(parts[:i])
        if head in modules:
            return head, ".".join(parts[i:])
    return None


def _defines(tree: ast.Module, attribute: str) -> bool:
    head, _, rest = attribute.partition(".")
    for node in ast.walk(tree):
        if isinstance(node, ast.Global) and head in node.names and not rest:
            return True
    for node in tree.body:
        names: list[str] = []
        if isinstance(node, ast.Assign | ast.AnnAssign | ast.AugAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names = [t.id for t in targets if isinstance(t, ast.Name)]
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names = [node.name]
        elif isinstance(node, ast.Import | ast.ImportFrom):
            names = [(a.asname or a.name).partition(".")[0] for a in node.names]
        if head not in names:
            continue
        if not rest:
            return True
        if isinstance(node, ast.ClassDef):
            return any(
                (isinstance(n, ast.Name) and n.id == rest)
                or (isinstance(n, ast.Attribute) and n.attr == rest)
                for n in ast.walk(node)
            )
        return True
    return False


def is_stale(plan: MigrationPlan, symbol: str) -> str | None:
    """Why a reset of ``symbol`` does nothing, or ``None`` when its target exists."""
    modules = plan.project.modules()
    split = split_symbol(symbol, modules)
    if split is None:
        return f"no module of the project defines `{symbol}`"
    module, attribute = split
    tree = plan.project.tree(modules[module])
    if tree is not None and not _defines(tree, attribute):
        return f"module `{module}` has no `{attribute}`"
    return None


def fixture_source(name: str, anchor: str, services: list[ServicePlan], app: str) -> str:
    """The override fixture and its helper, as source text."""
    entries = "".join(f"        {s.provider}: {s.service.name},\n" for s in services)
    return f'''

@pytest.fixture(autouse=True)
def {name}({anchor}):
    """Each test gets fresh services through ``{app}.dependency_overrides``, removed after it."""
    fresh = {{
{entries}    }}
    saved = {{p: {app}.dependency_overrides[p] for p in fresh if p in {app}.dependency_overrides}}
    for provider, factory in fresh.items():
        {app}.dependency_overrides[provider] = _built_once(factory)
    yield
    for provider in fresh:
        {app}.dependency_overrides.pop(provider, None)
    {app}.dependency_overrides.update(saved)


def _built_once(factory):
    """A dependency that builds one instance on first use in a test, as the getter did."""
    built = []

    async def provide():
        if not built:
            built.append(factory())
        return built[0]

    return provide
'''


def _fixture_name(fn: cst.FunctionDef) -> tuple[str, bool] | None:
    for decorator in fn.decorators:
        expr = decorator.decorator
        call = expr if isinstance(expr, cst.Call) else None
        target = call.func if call is not None else expr
        if dotted(target).rsplit(".", 1)[-1] != "fixture":
            continue
        name, autouse = fn.name.value, False
        for arg in call.args if call is not None else ():
            keyword = arg.keyword.value if arg.keyword else ""
            if keyword == "name" and isinstance(arg.value, cst.SimpleString):
                name = str(arg.value.evaluated_value)
            if keyword == "autouse" and dotted(arg.value) == "True":
                autouse = True
        return name, autouse
    return None


def _calls(fn: cst.FunctionDef, name: str) -> bool:
    found = False

    class _Find(cst.CSTVisitor):
        def visit_Call(self, node: cst.Call) -> None:
            nonlocal found
            if dotted(node.func) == name:
                found = True

    fn.visit(_Find())
    return found


def find_anchor(module: cst.Module, holders: set[str]) -> tuple[str, str, bool] | None:
    """The autouse fixture that runs the resets: ``(function, request name, autouse)``."""
    functions = [s for s in module.body if isinstance(s, cst.FunctionDef)]
    for fn in functions:
        if fn.name.value not in holders:
            continue
        fixture = _fixture_name(fn)
        if fixture is not None:
            return fn.name.value, fixture[0], fixture[1]
        for other in functions:
            other_fixture = _fixture_name(other)
            if other_fixture is not None and _calls(other, fn.name.value):
                return other.name.value, other_fixture[0], other_fixture[1]
    return None


class RewriteResets(cst.CSTTransformer):
    """Apply reset decisions to a test module.

    Stale and overridden resets go; shared ones are replaced by one ``reset_singletons()``
    call per function; an override fixture is inserted after ``anchor``.

    Args:
        decisions: Line -> decision.
        lines: Statement -> its 1-based line (from position metadata of this module).
        anchor: The function after which the override fixture goes.
        fixture: The override fixture's source, or empty.
        imports: ``(module, name)`` imports the new code needs.
    """

    DESCRIPTION = "Singleton resets in tests become overrides or one shared reset call."

    def __init__(
        self,
        decisions: dict[int, ResetDecision],
        lines: dict[int, int],
        anchor: str,
        fixture: str,
        imports: list[tuple[str, str]],
    ) -> None:
        super().__init__()
        self.decisions = decisions
        self.lines = lines
        self.anchor = anchor
        self.fixture = fixture
        self.imports = imports
        self.heads: set[str] = set()

    def leave_IndentedBlock(
        self, original_node: cst.IndentedBlock, updated_node: cst.IndentedBlock
    ) -> cst.IndentedBlock:
        body: list[cst.BaseStatement] = []
        carried: list[cst.EmptyLine] = []
        placed = False
        changed = False
        for original, child in zip(original_node.body, updated_node.body, strict=True):
            updated = child
            decision = self.decisions.get(self.lines.get(id(original), -1))
            if decision is None or decision.kind == "keep":
                if carried:
                    updated = updated.with_changes(
                        leading_lines=[*carried, *leading_lines(updated)]
                    )
                    carried = []
                body.append(updated)
                continue
            changed = True
            self.heads.update(_heads(original))
            if decision.kind == "shared" and not placed:
                placed = True
                call = cst.parse_statement("reset_singletons()\n")
                body.append(call.with_changes(leading_lines=[*carried, *leading_lines(original)]))
                carried = []
                continue
            carried.extend(line for line in leading_lines(original) if line.comment)
        if not changed:
            return updated_node
        if not body:
            body.append(cst.parse_statement("pass\n"))
        return updated_node.with_changes(body=body)

    def leave_Module(self, original_node: cst.Module, updated_node: cst.Module) -> cst.Module:
        module = updated_node
        if self.fixture:
            body = list(module.body)
            for index, stmt in enumerate(body):
                if isinstance(stmt, cst.FunctionDef) and stmt.name.value == self.anchor:
                    extra = list(cst.parse_module(self.fixture).body)
                    blank = [cst.EmptyLine(), cst.EmptyLine()]
                    extra[0] = extra[0].with_changes(leading_lines=blank)
                    body[index + 1 : index + 1] = extra
                    break
            module = module.with_changes(body=body)
        module = add_imports(module, self.imports)
        module, _ = remove_imports(module, self.heads)
        return module


def _heads(stmt: cst.CSTNode) -> set[str]:
    heads: set[str] = set()
    if isinstance(stmt, cst.SimpleStatementLine):
        for small in stmt.body:
            if isinstance(small, cst.Assign):
                for target in small.targets:
                    text = dotted(target.target)
                    if text:
                        heads.add(text.partition(".")[0])
    return heads


def reset_value(text: str) -> str | None:
    """The reset's value when it is a literal the shared reset can store, else ``None``."""
    return text if text in _LITERALS else None
