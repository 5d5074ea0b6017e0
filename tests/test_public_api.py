"""The public surface is explicit: every public package lists its names in a sorted __all__."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import pytest

import rescope


def _public_packages() -> list[str]:
    names = ["rescope"]
    for info in pkgutil.walk_packages(rescope.__path__, "rescope."):
        parts = info.name.split(".")
        if any(p.startswith("_") for p in parts) or parts[1] in {"cli", "__main__"}:
            continue
        names.append(info.name)
    return sorted(names)


def _import(name: str):
    try:
        return importlib.import_module(name)
    except ImportError as exc:  # an integration whose extra is missing
        pytest.fail(f"{name} does not import with every extra installed: {exc}")


@pytest.mark.parametrize("name", _public_packages())
def test_all_is_sorted_and_complete(name: str) -> None:
    """`__all__` is sorted and equals the module's public, non-module names."""
    module = _import(name)
    exported = list(module.__all__)
    assert exported == sorted(exported)
    public = {
        attr
        for attr, value in vars(module).items()
        if not attr.startswith("_")
        and not inspect.ismodule(value)
        and attr not in {"annotations", "TYPE_CHECKING"}
        and getattr(value, "__module__", name).startswith("rescope")
    }
    assert public <= set(exported), f"public but not in __all__: {sorted(public - set(exported))}"
    for attr in exported:
        assert hasattr(module, attr), f"{name}.__all__ names {attr!r}, which does not exist"


def test_version_is_exported() -> None:
    """`rescope.__version__` is the installed distribution's version."""
    from importlib.metadata import version

    assert rescope.__version__ == version("rescope")
