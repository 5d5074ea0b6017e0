"""Integrations fail with the name of the extra to install when their dependency is missing."""

from __future__ import annotations

import pytest

from rescope._extras import import_extra
from rescope.exceptions import MissingExtraError


def test_missing_package_names_the_extra() -> None:
    """A missing package becomes MissingExtraError with the pip command."""
    with pytest.raises(MissingExtraError) as info:
        import_extra("rescope_no_such_package.sub", extra="redis", module="rescope.resilience")
    assert "pip install 'rescope[redis]'" in str(info.value)
    assert info.value.missing == "rescope_no_such_package"


def test_present_package_is_returned() -> None:
    """An installed package is imported and returned."""
    module = import_extra("json", extra="cli", module="x")
    assert module.dumps([1]) == "[1]"
