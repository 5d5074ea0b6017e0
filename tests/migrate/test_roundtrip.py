"""Files with nothing to migrate come out byte for byte (real corpus and Hypothesis)."""

from __future__ import annotations

import shutil
from pathlib import Path

import libcst as cst
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rescope.migrate import MigrationPlan, build_plan
from rescope.migrate._routes import InjectRouteServices
from tests.migrate.helpers import dedent, project

ROOT = Path(__file__).resolve().parents[2]
LEGACY = ROOT / "examples" / "legacy_app"

ROUTES = """
    from fastapi import APIRouter

    from app.services.auth import get_auth

    router = APIRouter()


    @router.get("/check")
    async def check(token: str):
        return {"ok": get_auth().check(token)}
"""


@pytest.fixture(name="legacy_plan", scope="module")
def fixture_legacy_plan(tmp_path_factory: pytest.TempPathFactory) -> MigrationPlan:
    """The migration plan of a copy of the legacy app."""
    copy = tmp_path_factory.mktemp("legacy") / "app"
    shutil.copytree(LEGACY, copy)
    return build_plan(copy)


def test_real_corpus_without_route_getters_is_unchanged(legacy_plan: MigrationPlan) -> None:
    """Every legacy file the plan does not name, and rescope's own source, round-trip exactly."""
    files = [
        (p.relative_to(LEGACY).as_posix(), p)
        for p in sorted(LEGACY.rglob("*.py"))
        if p.relative_to(LEGACY).as_posix() not in legacy_plan.route_findings
    ]
    own = ROOT / "src" / "rescope" / "migrate"
    files += [(p.relative_to(ROOT).as_posix(), p) for p in sorted(own.rglob("*.py"))]
    assert len(files) > 70
    for rel, path in files:
        text = path.read_text(encoding="utf-8")
        after = cst.parse_module(text).visit(InjectRouteServices(legacy_plan, rel))
        assert after.code == text, rel


@pytest.fixture(name="small_plan", scope="module")
def fixture_small_plan(tmp_path_factory: pytest.TempPathFactory) -> MigrationPlan:
    """The migration plan of the small three-service project."""
    return build_plan(project(tmp_path_factory.mktemp("small"), dedent(ROUTES)))


_names = st.sampled_from(["helper", "get_other", "make", "fetch", "get_auth_token", "auth"])
_space = st.sampled_from(["", " ", "  "])
_comment = st.sampled_from(["", "  # note", "  #: doc", "  # noqa: E501"])


@st.composite
def _function(draw: st.DrawFn) -> str:
    decorated = draw(st.booleans())
    is_async = draw(st.booleans())
    name = draw(st.sampled_from(["a", "b", "handler", "view"]))
    params = draw(st.sampled_from(["", "x", "x: int", "x: int = 1", "\n    x: int,\n"]))
    lines = []
    if decorated:
        lines.append(f'@router.{draw(st.sampled_from(["get", "post", "websocket"]))}("/p")')
    lines.append(f"{'async ' if is_async else ''}def {name}({params}):{draw(_comment)}")
    for _ in range(draw(st.integers(1, 3))):
        call = f"{draw(_names)}({draw(_space)})"
        stmt = draw(st.sampled_from([f"value = {call}", f"return {call}", call, "pass"]))
        lines.append(f"    {stmt}{draw(_comment)}")
    return "\n".join(lines) + "\n"


@st.composite
def _module(draw: st.DrawFn) -> str:
    head = draw(st.sampled_from(["", '"""Doc."""\n', "# header\n"]))
    imports = draw(
        st.sampled_from(
            [
                "from fastapi import APIRouter\n",
                "from fastapi import APIRouter\nfrom app.services import auth\n",
                "import os\nfrom app.services.auth import AuthService  # the type\n",
            ]
        )
    )
    body = draw(st.lists(_function(), min_size=1, max_size=4))
    gaps = draw(st.sampled_from(["\n", "\n\n", "\n\n\n"]))
    return head + imports + "router = APIRouter()\n" + gaps + gaps.join(body)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(source=_module())
def test_generated_modules_without_getter_calls_are_unchanged(
    small_plan: MigrationPlan, source: str
) -> None:
    """Modules whose handlers call no service getter come out of the transform unchanged."""
    after = cst.parse_module(source).visit(InjectRouteServices(small_plan, "app/other.py"))
    assert after.code == source
