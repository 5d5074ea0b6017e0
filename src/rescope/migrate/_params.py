"""Adding a parameter to a function signature in the signature's own layout.

A ``Param`` built from scratch has default whitespace: in a multi-line signature it would
land on the line of its neighbour. The new parameter takes the comma (and so the line
break and indentation) of the parameter next to it.
"""

from __future__ import annotations

from collections.abc import Sequence

import libcst as cst

__all__ = ["add_param"]


def _separator(fn: cst.FunctionDef, items: Sequence[cst.Param]) -> cst.Comma:
    for item in items[:-1]:
        if isinstance(item.comma, cst.Comma):
            return item.comma
    ws = fn.whitespace_before_params
    if isinstance(ws, cst.ParenthesizedWhitespace):
        return cst.Comma(whitespace_after=ws)
    return cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))


def _insert(
    items: Sequence[cst.Param],
    index: int,
    new: cst.Param,
    sep: cst.Comma,
    *,
    followed: bool,
) -> list[cst.Param]:
    result = list(items)
    if not result:
        return [new.with_changes(comma=sep if followed else cst.MaybeSentinel.DEFAULT)]
    if index < len(result):
        before = result[index - 1].comma if index > 0 else sep
        comma = before if isinstance(before, cst.Comma) else sep
        result.insert(index, new.with_changes(comma=comma))
        return result
    last = result[-1]
    neighbour = result[-2].comma if len(result) > 1 else sep
    between = neighbour if isinstance(neighbour, cst.Comma) else sep
    new = new.with_changes(comma=last.comma, whitespace_after_param=last.whitespace_after_param)
    result[-1] = last.with_changes(comma=between, whitespace_after_param=cst.SimpleWhitespace(""))
    result.append(new)
    return result


def add_param(fn: cst.FunctionDef, param: cst.Param) -> cst.FunctionDef:
    """Return ``fn`` with ``param`` added where Python allows it, in the signature's layout.

    A parameter without a default goes before the first positional parameter that has
    one (or among the keyword-only parameters when the signature has ``*``); one with a
    default goes last.

    Args:
        fn: The function.
        param: The parameter to add (its comma and whitespace are replaced).
    """
    params = fn.params
    sep = _separator(fn, [*params.params, *params.kwonly_params])
    has_star = not isinstance(params.star_arg, cst.MaybeSentinel)
    followed_kw = params.star_kwarg is not None
    if has_star:
        kwonly = _insert(
            params.kwonly_params,
            len(params.kwonly_params),
            param,
            sep,
            followed=followed_kw,
        )
        return fn.with_changes(params=params.with_changes(kwonly_params=kwonly))
    positional = params.params
    index = len(positional)
    if param.default is None:
        for i, existing in enumerate(positional):
            if existing.default is not None:
                index = i
                break
    updated = _insert(positional, index, param, sep, followed=followed_kw)
    return fn.with_changes(params=params.with_changes(params=updated))
