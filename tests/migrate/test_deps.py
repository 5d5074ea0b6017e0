"""Phase ``deps``: the generated dependencies module works with FastAPI and is idempotent."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from rescope.migrate import Phase, build_plan, migrate
from tests.migrate.helpers import dedent, project, run_phases, write_project

ROUTES = """
    from fastapi import APIRouter

    from app.services.auth import get_auth
    from app.services.bus import get_bus
    from app.services.mail import get_mailer

    router = APIRouter()


    @router.get("/check")
    async def check(token: str):
        return {"ok": get_auth().check(token)}


    @router.post("/send")
    async def send(to: str):
        await (await get_bus()).publish(to)
        return {"n": get_mailer().send(to)}
"""

CHECK = """
    import asyncio

    from fastapi.testclient import TestClient

    from app import service_dependencies as deps
    from app.main import app
    from app.services.auth import get_auth
    from app.services.bus import get_bus

    assert asyncio.run(deps.provide_auth_service()) is get_auth()
    assert asyncio.run(deps.provide_bus()) is asyncio.run(get_bus())
    print(TestClient(app).get("/check", params={"token": "ok"}).json())
"""


def test_generated_module_provides_what_the_getters_return(tmp_path: Path) -> None:
    """Providers return the getters' instances (awaiting async getters) and the app still runs."""
    project(tmp_path, dedent(ROUTES))
    changed = run_phases(tmp_path, Phase.DEPS)
    assert list(changed) == ["app/service_dependencies.py"]
    text = changed["app/service_dependencies.py"]
    assert "AuthServiceDep = Annotated[AuthService, Depends(provide_auth_service)]\n" in text
    assert "    return await get_bus()\n" in text
    write_project(tmp_path, {"check.py": CHECK})
    done = subprocess.run(
        [sys.executable, "check.py"], cwd=tmp_path, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "{'ok': True}"


def test_second_run_changes_nothing_and_new_services_are_appended(tmp_path: Path) -> None:
    """A second run is a no-op; a service added later gets its provider appended, not rewritten."""
    project(tmp_path, dedent(ROUTES))
    run_phases(tmp_path, Phase.DEPS)
    assert migrate(tmp_path, [Phase.DEPS]).changes == []
    write_project(
        tmp_path,
        {
            "app/services/cache.py": """
                class Cache:
                    def get(self, key):
                        return None


                _cache = None


                def get_cache():
                    global _cache
                    if _cache is None:
                        _cache = Cache()
                    return _cache
            """,
            "app/jobs.py": """
                from app.services.cache import get_cache


                def warm():
                    return get_cache().get("k")
            """,
        },
    )
    before = (tmp_path / "app/service_dependencies.py").read_text(encoding="utf-8")
    after = run_phases(tmp_path, Phase.DEPS)["app/service_dependencies.py"]
    assert after.startswith(before.rstrip("\n").split("\n\n\nasync def")[0].rsplit("\n", 1)[0])
    assert "from app.services.cache import Cache, get_cache\n" in after
    assert after.rstrip().endswith("CacheDep = Annotated[Cache, Depends(provide_cache)]")
    assert migrate(tmp_path, [Phase.DEPS]).changes == []


def test_services_in_an_import_cycle_are_imported_inside_their_provider(tmp_path: Path) -> None:
    """A service module that imports a route module is imported lazily, and the app still runs."""
    routes = dedent(ROUTES)
    project(tmp_path, routes)
    auth = (tmp_path / "app/services/auth.py").read_text(encoding="utf-8")
    (tmp_path / "app/services/auth.py").write_text(
        "import app.routes  # registers the routes that use this service\n" + auth,
        encoding="utf-8",
    )
    plan = build_plan(tmp_path)
    lazy = {s.service.name: s.lazy for s in plan.services}
    assert lazy == {"AuthService": True, "Bus": False, "Mailer": True}
    text = run_phases(tmp_path, Phase.DEPS, Phase.ROUTES)["app/service_dependencies.py"]
    assert "if TYPE_CHECKING:\n    from app.services.auth import AuthService\n" in text
    assert "    from app.services.auth import get_auth\n\n    return get_auth()\n" in text
    assert 'AuthServiceDep = Annotated["AuthService", Depends(provide_auth_service)]' in text
    write_project(
        tmp_path,
        {
            "check.py": "from fastapi.testclient import TestClient\n"
            "from app.main import app\n"
            "print(TestClient(app).get('/check', params={'token': 'ok'}).json())\n"
        },
    )
    done = subprocess.run(
        [sys.executable, "check.py"], cwd=tmp_path, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "{'ok': True}"
