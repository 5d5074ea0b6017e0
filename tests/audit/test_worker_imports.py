"""What a parsing process loads: the audit needs neither the container nor asyncio."""

from __future__ import annotations

import subprocess
import sys

import pytest

import rescope
import rescope.di

PROBE = (
    "import sys\n"
    "from rescope.audit._worker import parse_many\n"
    "from rescope.audit.rules import RULES_BY_CODE\n"
    "print(sorted(m for m in ('rescope.di', 'asyncio') if m in sys.modules))\n"
)


def test_a_parsing_process_loads_neither_the_container_nor_asyncio() -> None:
    """Importing the worker entry point and the rules leaves rescope.di and asyncio unloaded."""
    done = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "[]"


def test_the_runtime_names_resolve_from_the_package_on_first_use() -> None:
    """`rescope.Container` and the other runtime names are the objects of rescope.di."""
    for name in ("Container", "DependencyGraph", "Lazy", "Override", "Registry", "Scope"):
        assert getattr(rescope, name) is getattr(rescope.di, name)
    assert rescope.ScopedContainer is rescope.di.ScopedContainer
    assert set(rescope.__all__) <= set(dir(rescope))


def test_an_unknown_package_attribute_is_an_attribute_error() -> None:
    """A name the package does not export raises AttributeError naming the package."""
    with pytest.raises(AttributeError, match="'rescope' has no attribute 'Containr'"):
        _ = rescope.Containr  # type: ignore[attr-defined]
