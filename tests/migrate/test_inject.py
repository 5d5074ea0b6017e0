"""Phase ``container``: `Depends(provide_x)`, override patches and aliases move to the container."""

from __future__ import annotations

from pathlib import Path

from rescope.migrate import Phase, migrate
from tests.migrate.helpers import dedent, project, run_phases, run_suite, write_project

ROUTES = """
    from fastapi import APIRouter, Depends

    from app.service_dependencies import provide_auth_service
    from app.services.auth import AuthService

    router = APIRouter()


    @router.get("/check")
    async def check(token: str, auth: AuthService = Depends(provide_auth_service)):
        return {"ok": auth.check(token)}
"""

ROUTES_AFTER = """
    from fastapi import APIRouter

    from app.services.auth import AuthService
    from rescope.fastapi import from_container

    router = APIRouter()


    @router.get("/check")
    async def check(token: str, auth: AuthService = from_container(AuthService)):
        return {"ok": auth.check(token)}
"""

TEST = """
    from unittest import mock

    from fastapi.testclient import TestClient

    from app.main import app
    from app.service_dependencies import provide_auth_service


    class Yes:
        def check(self, token: str) -> bool:
            return True


    def test_stub_answers():
        stub = Yes()
        with TestClient(app) as client:
            with mock.patch.dict(app.dependency_overrides, {provide_auth_service: lambda: stub}):
                assert client.get("/check", params={"token": "x"}).json() == {"ok": True}


    def test_real_service_answers_afterwards():
        with TestClient(app) as client:
            assert client.get("/check", params={"token": "x"}).json() == {"ok": False}
"""

TEST_AFTER_WITH = (
    "        with app_container().override(AuthService, stub):\n"
    '            assert client.get("/check", params={"token": "x"}).json() == {"ok": True}\n'
)

PROVIDER = '''
    async def provide_auth_service() -> AuthService:
        """Provide the `AuthService` that `get_auth()` returns."""
        return get_auth()


    AuthServiceDep = Annotated[AuthService, Depends(provide_auth_service)]
'''


def _container(root: Path, files: dict[str, str]) -> dict[str, str]:
    """Deps, then ``files``, then container; a second run of every phase changes nothing."""
    project(root, dedent(ROUTES))
    migrate(root, (Phase.DEPS,), write=True)
    write_project(root, files)
    changed = run_phases(root, Phase.CONTAINER)
    again = migrate(root, Phase, write=False)
    assert again.changes == [], again.diff()
    return changed


def test_depends_on_a_moved_provider_becomes_from_container(tmp_path: Path) -> None:
    """`Depends(provide_x)` in a handler becomes `from_container(X)`; unused imports go."""
    changed = _container(tmp_path, {})
    assert changed["app/routes.py"] == dedent(ROUTES_AFTER)
    deps = changed["app/service_dependencies.py"]
    assert "\nAuthServiceDep = Inject[AuthService]\n" in deps
    assert "async def provide_auth_service" not in deps


def test_override_patch_becomes_a_container_override_and_the_suite_passes(
    tmp_path: Path,
) -> None:
    """The tests phase's `patch.dict(app.dependency_overrides, ...)` becomes a real override."""
    changed = _container(tmp_path, {"tests/__init__.py": "", "tests/test_check.py": TEST})
    after = changed["tests/test_check.py"]
    assert TEST_AFTER_WITH in after
    assert "from app.service_registry import app_container\n" in after
    assert "from app.services.auth import AuthService\n" in after
    assert "provide_auth_service" not in after
    assert "mock" not in after
    assert after.startswith("from fastapi.testclient import TestClient\n")
    assert "2 passed" in run_suite(tmp_path, "-W", "error")


def test_provider_named_in_another_form_keeps_its_depends_alias(tmp_path: Path) -> None:
    """A provider still named by code the phase does not rewrite keeps provider and alias."""
    other = """
        from app.main import app
        from app.service_dependencies import provide_auth_service


        def use_stub(stub):
            app.dependency_overrides[provide_auth_service] = lambda: stub
    """
    changed = _container(tmp_path, {"tests/__init__.py": "", "tests/stubs.py": other})
    assert "tests/stubs.py" not in changed
    deps = changed["app/service_dependencies.py"]
    assert "async def provide_auth_service() -> AuthService:\n" in deps
    assert "    return app_container().get(AuthService)\n" in deps
    assert "AuthServiceDep = Annotated[AuthService, Depends(provide_auth_service)]\n" in deps
    result = migrate(tmp_path, (Phase.CONTAINER,), write=False)
    notes = [n.render() for n in result.reports[0].notes if n.path == "tests/stubs.py"]
    assert notes == [
        (
            "tests/stubs.py: [left-alone] `provide_auth_service` is still named here:"
            " `AuthService` keeps its `Depends` alias"
        )
    ]


def test_without_setup_the_aliases_keep_depends(tmp_path: Path) -> None:
    """When no app gets `rescope.fastapi.setup`, nothing resolves `Inject`: aliases stay."""
    project(tmp_path, dedent(ROUTES))
    (tmp_path / "app/main.py").unlink()
    migrate(tmp_path, (Phase.DEPS,), write=True)
    changed = run_phases(tmp_path, Phase.CONTAINER)
    assert (
        dedent(PROVIDER)
        .replace("get_auth()", "app_container().get(AuthService)")
        .replace("that `app_container().get(AuthService)` returns", "of the app container")
        in changed["app/service_dependencies.py"]
    )
    assert "app/routes.py" not in changed
