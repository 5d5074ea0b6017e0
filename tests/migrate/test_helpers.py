"""The import and parameter helpers, on the layouts where LibCST's defaults go wrong."""

from __future__ import annotations

import libcst as cst
import pytest

from rescope.migrate._imports import add_imports, remove_imports
from rescope.migrate._params import add_param
from tests.migrate.helpers import dedent


def _with_param(source: str, param: str) -> str:
    module = cst.parse_module(dedent(source))
    fn = module.body[0]
    assert isinstance(fn, cst.FunctionDef)
    new = cst.parse_statement(f"def f({param}): pass\n")
    assert isinstance(new, cst.FunctionDef)
    added = new.params.params[0] if new.params.params else new.params.kwonly_params[0]
    return module.with_changes(body=[add_param(fn, added)]).code


@pytest.mark.parametrize(
    ("before", "param", "after"),
    [
        ("def f():\n    pass\n", "svc: Dep", "def f(svc: Dep):\n    pass\n"),
        ("def f(a, b=1):\n    pass\n", "svc: Dep", "def f(a, svc: Dep, b=1):\n    pass\n"),
        ("def f(a, *, b):\n    pass\n", "svc: Dep", "def f(a, *, b, svc: Dep):\n    pass\n"),
        (
            "def f(*args, **kw):\n    pass\n",
            "svc: Dep",
            "def f(*args, svc: Dep, **kw):\n    pass\n",
        ),
        (
            "def f(a: int = Depends(x)):\n    pass\n",
            "svc: S = Depends(p)",
            "def f(a: int = Depends(x), svc: S = Depends(p)):\n    pass\n",
        ),
        (
            "def f(\n    a,\n    b,\n):\n    pass\n",
            "svc: Dep",
            "def f(\n    a,\n    b,\n    svc: Dep,\n):\n    pass\n",
        ),
        (
            "def f(\n    a\n):\n    pass\n",
            "svc: Dep",
            "def f(\n    a,\n    svc: Dep\n):\n    pass\n",
        ),
    ],
)
def test_parameter_lands_where_python_allows_in_the_signatures_layout(
    before: str, param: str, after: str
) -> None:
    """A new parameter goes before defaults, among keyword-only ones, or last, with the neighbour's commas."""  # noqa: E501
    assert _with_param(before, param) == after


def test_import_goes_after_the_last_import_not_above_environment_setup() -> None:
    """With code between imports, a new import follows the last one (env setup stays first)."""
    source = dedent("""
        import os

        os.environ["MODE"] = "test"

        import pytest  # noqa: E402
        from app.main import app  # noqa: E402


        @pytest.fixture
        def f():
            return app
    """)
    after = add_imports(cst.parse_module(source), [("app.deps", "provide_x")]).code
    assert after == source.replace(
        "from app.main import app  # noqa: E402\n",
        "from app.main import app  # noqa: E402\nfrom app.deps import provide_x\n",
    )


def test_import_joins_an_existing_from_import_of_the_module() -> None:
    """A name from an already imported module is appended to that statement, in its style."""
    source = "from app.deps import (\n    ADep,\n)\n\nx = ADep\n"
    after = add_imports(cst.parse_module(source), [("app.deps", "BDep"), ("app.deps", "ADep")])
    assert after.code == "from app.deps import (\n    ADep,\n    BDep,\n)\n\nx = ADep\n"


def test_import_into_a_module_without_imports_follows_the_docstring() -> None:
    """A module with only a docstring gets the import after it, separated by blank lines."""
    after = add_imports(cst.parse_module('"""Doc."""\nx = 1\n'), [("app.deps", "ADep")])
    assert after.code == '"""Doc."""\n\nfrom app.deps import ADep\n\nx = 1\n'


def test_remove_keeps_used_names_and_every_other_comment() -> None:
    """Only unused names go; a removed statement's comment moves down; kept aliases keep theirs."""
    source = dedent("""
        import os
        # the getters
        from app.a import get_a
        from app.b import (
            B,  # the class
            get_b,  # the getter
        )
        from app.c import C, get_c

        print(os, B, C, get_c)
    """)
    after, removed = remove_imports(cst.parse_module(source), {"get_a", "get_b", "get_c", "os"})
    assert removed == {"get_a", "get_b"}
    assert after.code == dedent("""
        import os
        # the getters
        from app.b import (
            B,  # the class
        )
        from app.c import C, get_c

        print(os, B, C, get_c)
    """)


def test_remove_the_last_of_an_unparenthesized_import_leaves_valid_code() -> None:
    """Removing the last name of `from m import A, b` leaves `from m import A`."""
    source = "from m import A, b\n\nA()\n"
    after, _ = remove_imports(cst.parse_module(source), {"b"})
    assert after.code == "from m import A\n\nA()\n"
