"""Helpers shared by the route rules."""

from __future__ import annotations

from collections.abc import Iterator

from rescope.audit._clients import is_service_class
from rescope.audit._facts import FunctionFacts, ModuleFacts
from rescope.audit.rules._base import Context

__all__ = ["inline_constructions", "route_functions"]


def route_functions(ctx: Context) -> Iterator[tuple[ModuleFacts, FunctionFacts]]:
    """Every route or websocket handler of the project."""
    for facts in ctx.modules:
        for fn in facts.functions:
            if fn.route:
                yield facts, fn


def inline_constructions(
    ctx: Context, facts: ModuleFacts, fn: FunctionFacts
) -> Iterator[tuple[str, str, tuple[str, ...], int]]:
    """Calls in ``fn`` that build a project service from getters: ``(class, call, getters, line)``."""  # noqa: E501
    for call in fn.calls:
        if not call.arg_calls:
            continue
        found = ctx.index.classes.get(ctx.index.resolve(facts, call.name))
        if found is None or not is_service_class(found[1]):
            continue
        getters = tuple(
            arg
            for arg in call.arg_calls
            if (qualified := ctx.index.resolve(facts, arg)) in ctx.inventory.value_getters
            or ctx.inventory.accessor_for(qualified) is not None
        )
        if getters:
            yield found[1].name, call.name, getters, call.line
