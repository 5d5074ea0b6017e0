"""``mock.patch("pkg.routes.get_x", return_value=stub)`` becomes a dependency override.

A patched getter can become ``mock.patch.dict(app.dependency_overrides, {provide_x:
lambda: stub})`` when every call-time use of the getter in the patched module is in a
route handler (which the tests phase then injects): the stub reaches exactly the same
handlers, and ``patch.dict`` restores the overrides when the block ends.
"""

# LibCST's visitor protocol names methods after node classes and fixes their arguments.
# ruff: noqa: N802, ARG002

from __future__ import annotations

import ast

import libcst as cst

from rescope.migrate._imports import dotted
from rescope.migrate._routes import ROUTE_DECORATORS

__all__ = ["RewritePatches", "only_routes_call", "patch_forms"]


def _is_patch(func: cst.BaseExpression) -> bool:
    return dotted(func).rsplit(".", 1)[-1] == "patch"


def _target(call: cst.Call) -> str | None:
    if not call.args or call.args[0].keyword is not None:
        return None
    first = call.args[0].value
    if isinstance(first, cst.SimpleString):
        value = first.evaluated_value
        return value if isinstance(value, str) else None
    return None


def _stub(call: cst.Call) -> cst.BaseExpression | None:
    rest = call.args[1:]
    if len(rest) != 1 or rest[0].keyword is None or rest[0].keyword.value != "return_value":
        return None
    return rest[0].value


class _Forms(cst.CSTVisitor):
    def __init__(self) -> None:
        self.good: dict[str, int] = {}
        self.bad: dict[str, int] = {}
        self._ok: set[int] = set()

    def visit_WithItem(self, node: cst.WithItem) -> None:
        item = node.item
        if (
            node.asname is None
            and isinstance(item, cst.Call)
            and _is_patch(item.func)
            and _stub(item) is not None
        ):
            self._ok.add(id(item))

    def visit_Call(self, node: cst.Call) -> None:
        if not _is_patch(node.func):
            return
        target = _target(node)
        if target is None:
            return
        bucket = self.good if id(node) in self._ok else self.bad
        bucket[target] = bucket.get(target, 0) + 1


def patch_forms(module: cst.Module) -> tuple[dict[str, int], dict[str, int]]:
    """Per patch target: how many patches can be rewritten, and how many cannot."""
    visitor = _Forms()
    module.visit(visitor)
    return visitor.good, visitor.bad


def _is_route(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    for decorator in fn.decorator_list:
        expr = decorator.func if isinstance(decorator, ast.Call) else decorator
        if isinstance(expr, ast.Attribute) and expr.attr in ROUTE_DECORATORS:
            return True
    return False


def only_routes_call(tree: ast.Module, name: str) -> bool:
    """Whether ``name`` is used at call time only inside route handler bodies of ``tree``.

    Decorators, defaults and annotations run at import time, before any patch, so a
    ``Depends(get_x)`` in a signature does not count.
    """
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and not _is_route(node):
            if any(
                isinstance(n, ast.Name) and n.id == name for s in node.body for n in ast.walk(s)
            ):
                return False
        elif isinstance(node, ast.ClassDef) and any(
            isinstance(n, ast.Name) and n.id == name for n in ast.walk(node)
        ):
            return False
    return True


class RewritePatches(cst.CSTTransformer):
    """Turn ``with patch("mod.get_x", return_value=stub):`` into a dependency override.

    Args:
        targets: Patch target -> the provider function that replaces it.
        app: The name the FastAPI app has in this module.
    """

    DESCRIPTION = "Getter patches become app.dependency_overrides entries, restored on exit."

    def __init__(self, targets: dict[str, str], app: str) -> None:
        super().__init__()
        self.targets = targets
        self.app = app
        self.rewritten: list[str] = []

    def leave_WithItem(
        self, original_node: cst.WithItem, updated_node: cst.WithItem
    ) -> cst.WithItem:
        call = updated_node.item
        if updated_node.asname is not None or not isinstance(call, cst.Call):
            return updated_node
        if not _is_patch(call.func):
            return updated_node
        target, stub = _target(call), _stub(call)
        if target not in self.targets or stub is None:
            return updated_node
        self.rewritten.append(target)
        provider = self.targets[target]
        func = cst.Attribute(value=call.func, attr=cst.Name("dict"))
        overrides = cst.parse_expression(f"{self.app}.dependency_overrides")
        mapping = cst.Dict(
            [
                cst.DictElement(
                    key=cst.Name(provider),
                    value=cst.Lambda(params=cst.Parameters(), body=stub),
                )
            ]
        )
        new_call = call.with_changes(
            func=func,
            args=[
                cst.Arg(overrides, comma=call.args[0].comma),
                cst.Arg(mapping, comma=call.args[1].comma),
            ],
        )
        return updated_node.with_changes(item=new_call)
