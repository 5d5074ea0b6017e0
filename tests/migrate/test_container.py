"""Phase ``container``: services move into a rescope container behind deprecated shims."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from rescope.cli import main
from rescope.migrate import Phase, migrate
from tests.migrate.helpers import dedent, migrate_to_container, project, write_project

ROUTES = """
    from fastapi import APIRouter

    from app.services.auth import get_auth
    from app.services.bus import get_bus
    from app.services.mail import get_mailer

    router = APIRouter()


    @router.get("/check")
    async def check(token: str):
        auth = get_auth()
        await (await get_bus()).publish(token)
        return {"ok": auth.check(token), "same": get_mailer().auth is auth}
"""

AUTH_AFTER = '''
    import warnings


    class AuthService:
        def check(self, token: str) -> bool:
            return token == "ok"


    def get_auth() -> AuthService:
        """Deprecated: inject `AuthService` instead; this resolves it from the app container."""
        warnings.warn(
            "get_auth() is deprecated: inject AuthService (rescope) instead",
            DeprecationWarning,
            stacklevel=2,
        )
        from app.service_registry import app_container

        return app_container().get(AuthService)
'''

MAIN_AFTER = """
    from fastapi import FastAPI

    from app.routes import router
    from app.service_registry import app_container
    import rescope.fastapi

    app = FastAPI()
    app.include_router(router)
    rescope.fastapi.setup(app, app_container)
"""

CHECK = """
    import asyncio
    import warnings

    from fastapi.testclient import TestClient

    from app.main import app
    from app.service_registry import app_container, reset_container
    from app.services.auth import AuthService, get_auth

    with TestClient(app) as client:
        print(client.get("/check", params={"token": "ok"}).json())
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            print(get_auth() is app_container().get(AuthService))
        print(caught[0].category.__name__, caught[0].message)
    first = app_container().get(AuthService)
    reset_container()
    print(first is app_container().get(AuthService))
"""


def _moved(root: Path, files: dict[str, str] | None = None, **scopes: str) -> dict[str, str]:
    """Run deps, routes and container on the helper project; check a second run is a no-op."""
    result = migrate_to_container(root, ROUTES, files, **scopes)
    return {change.path: change.after for change in result.changes}


def test_getter_pair_becomes_a_deprecated_shim(tmp_path: Path) -> None:
    """`_x = None` and the global getter become a warning shim; the unused import goes too."""
    changed = _moved(tmp_path)
    assert changed["app/services/auth.py"] == dedent(AUTH_AFTER)
    assert "app/services/bus.py" in changed
    assert "async def get_bus() -> Bus:\n" in changed["app/services/bus.py"]


def test_registry_module_registers_each_service_in_its_scope(tmp_path: Path) -> None:
    """The registry module imports and registers every moved service and owns the container."""
    registry = _moved(tmp_path, Mailer="app")["app/service_registry.py"]
    for name in ("AuthService", "Bus", "Mailer"):
        assert f"registry.add({name}, scope=Scope.APP)\n" in registry
    assert "def app_container() -> Container:" in registry
    assert "def reset_container() -> None:" in registry


def test_aliases_inject_from_the_container_and_the_app_is_set_up(tmp_path: Path) -> None:
    """Aliases of moved services become `Inject[X]` and their providers go; setup is called."""
    changed = _moved(tmp_path)
    deps = changed["app/service_dependencies.py"]
    assert "\nAuthServiceDep = Inject[AuthService]\n" in deps
    assert "async def provide_auth_service" not in deps
    assert "get_auth" not in deps
    assert "from rescope.fastapi import Inject\n" in deps
    assert "MailerDep = Annotated[Mailer, Depends(provide_mailer)]\n" in deps
    assert changed["app/main.py"] == dedent(MAIN_AFTER)


def test_setup_goes_before_the_return_of_an_app_factory(tmp_path: Path) -> None:
    """With `app = create_app()`, setup is called inside the factory, on its local app."""
    factory = """
        from fastapi import FastAPI

        from app.routes import router


        def create_app() -> FastAPI:
            application = FastAPI()
            application.include_router(router)
            return application


        app = create_app()
    """
    changed = _moved(tmp_path, {"app/main.py": factory})
    assert (
        "    rescope.fastapi.setup(application, app_container)\n    return application\n"
        in changed["app/main.py"]
    )


def test_migrated_app_serves_and_shims_share_its_container(tmp_path: Path) -> None:
    """In a real process the routes, the shim and the container agree on one instance."""
    _moved(tmp_path)
    write_project(tmp_path, {"check.py": CHECK})
    done = subprocess.run(
        [sys.executable, "check.py"], cwd=tmp_path, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        "{'ok': True, 'same': True}",
        "True",
        "DeprecationWarning get_auth() is deprecated: inject AuthService (rescope) instead",
        "False",
    ]


def test_service_built_with_arguments_is_left_alone(tmp_path: Path) -> None:
    """A getter that builds its service with arguments is reported and its file unchanged."""
    settings = """
        from typing import Optional


        class Store:
            def __init__(self, url: str):
                self.url = url


        _store: Optional[Store] = None


        def get_store() -> Store:
            global _store
            if _store is None:
                _store = Store("sqlite://")
            return _store
    """
    routes = """
        from fastapi import APIRouter

        from app.services.store import get_store

        router = APIRouter()


        @router.get("/url")
        async def url():
            return get_store().url
    """
    project(tmp_path, dedent(routes), app__services__store_py=settings)
    migrate(tmp_path, (Phase.DEPS, Phase.ROUTES), write=True)
    before = (tmp_path / "app/services/store.py").read_text(encoding="utf-8")
    result = migrate(tmp_path, (Phase.CONTAINER,), write=True)
    assert (tmp_path / "app/services/store.py").read_text(encoding="utf-8") == before
    notes = [n.render() for n in result.reports[0].notes if n.path == "app/services/store.py"]
    assert notes == [
        (
            "app/services/store.py:4: [left-alone] `Store` stays: `Store()` needs arguments:"
            " register a factory for it by hand"
        )
    ]


def test_scope_other_than_app_keeps_the_getter(tmp_path: Path) -> None:
    """A service the audit scopes per request keeps its getter; --scope overrides either way."""
    changed = _moved(tmp_path)
    assert "app/services/mail.py" not in changed
    assert "registry.add(Mailer" not in changed["app/service_registry.py"]
    other = _moved(tmp_path / "other", AuthService="request", Mailer="app")
    assert "app/services/auth.py" not in other
    assert "registry.add(AuthService" not in other["app/service_registry.py"]
    assert "registry.add(Mailer, scope=Scope.APP)\n" in other["app/service_registry.py"]


def test_cli_container_is_opt_in_and_checks_scopes(tmp_path: Path) -> None:
    """`--phase all` leaves the container phase out; a malformed --scope is a usage error."""
    project(tmp_path, dedent(ROUTES))
    root = str(tmp_path)
    assert main(["migrate", "--write", root]) == 0
    assert not (tmp_path / "app/service_registry.py").exists()
    assert main(["migrate", "--phase", "container", "--scope", "Auth", root]) == 2
    assert main(["migrate", "--phase", "container", "--scope", "Auth=forever", root]) == 2
    assert main(["migrate", "--phase", "container", "--write", "--scope", "Mailer=app", root]) == 0
    assert "registry.add(Mailer" in (tmp_path / "app/service_registry.py").read_text("utf-8")
