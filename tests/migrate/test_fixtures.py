"""Phase ``container`` in the tests: the override fixture moves onto the app container."""

from __future__ import annotations

from pathlib import Path

from rescope.migrate import Phase, migrate
from tests.migrate.helpers import dedent, project, run_suite, write_project
from tests.migrate.test_container import ROUTES

HEAD = """
    import pytest

    from app.main import app
    from app.service_dependencies import provide_auth_service, provide_mailer
    from app.services.auth import AuthService
    from app.services.mail import Mailer


    @pytest.fixture(autouse=True)
    def clean_singletons():
        yield

"""

FIXTURE = '''

    @pytest.fixture(autouse=True)
    def service_overrides(clean_singletons):
        """Each test gets fresh services through ``app.dependency_overrides``, removed after it."""
        fresh = {
    {entries}    }
        saved = {p: app.dependency_overrides[p] for p in fresh if p in app.dependency_overrides}
        for provider, factory in fresh.items():
            app.dependency_overrides[provider] = _built_once(factory)
        yield
        for provider in fresh:
            app.dependency_overrides.pop(provider, None)
        app.dependency_overrides.update(saved)


    def _built_once(factory):
        """A dependency that builds one instance on first use in a test, as the getter did."""
        built = []

        async def provide():
            if not built:
                built.append(factory())
            return built[0]

        return provide
'''

ALL_MOVED = '''
    import pytest

    from app.main import app
    from app.services.auth import AuthService
    from app.services.mail import Mailer
    from app.service_registry import app_container
    from rescope.testing import Overrides


    @pytest.fixture(autouse=True)
    def clean_singletons():
        yield


    @pytest.fixture(autouse=True)
    def service_overrides(clean_singletons):
        """Each test gets fresh services from the app container; replacements end after it."""
        with Overrides(app_container()) as override:
            for service in (AuthService, Mailer):
                override(service, factory=service)
            yield override
'''

SOME_MOVED = '''
    @pytest.fixture(autouse=True)
    def service_overrides(clean_singletons):
        """Each test gets fresh services (container overrides and ``dependency_overrides``)."""
        fresh = {
            provide_mailer: Mailer,
        }
        saved = {p: app.dependency_overrides[p] for p in fresh if p in app.dependency_overrides}
        for provider, factory in fresh.items():
            app.dependency_overrides[provider] = _built_once(factory)
        with Overrides(app_container()) as override:
            for service in (AuthService,):
                override(service, factory=service)
            yield override
        for provider in fresh:
            app.dependency_overrides.pop(provider, None)
        app.dependency_overrides.update(saved)
'''

ROUTE_TEST = """
    import warnings

    from fastapi.testclient import TestClient

    from app.main import app
    from app.service_registry import app_container
    from app.services.auth import AuthService, get_auth

    seen = []


    class FakeAuth:
        def check(self, token: str) -> bool:
            return True


    def test_first(service_overrides):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            seen.append(get_auth())
        assert app_container().get(AuthService) is seen[0]


    def test_second_gets_a_fresh_instance():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            assert get_auth() is not seen[0]


    def test_a_test_puts_its_own_fake_in(service_overrides):
        service_overrides(AuthService, FakeAuth())
        with TestClient(app) as client:
            assert client.get("/check", params={"token": "x"}).json()["ok"] is True


    def test_the_fake_is_gone_afterwards():
        with TestClient(app) as client:
            assert client.get("/check", params={"token": "x"}).json()["ok"] is False
"""


def _conftest(*entries: tuple[str, str]) -> str:
    lines = "".join(f"        {provider}: {cls},\n" for provider, cls in entries)
    return dedent(HEAD) + "\n" + dedent(FIXTURE).replace("{entries}", lines)


def _container(root: Path, conftest: str, **scopes: str) -> str:
    """Deps and routes, the given conftest, then container; a second run changes nothing."""
    project(root, dedent(ROUTES))
    migrate(root, (Phase.DEPS, Phase.ROUTES), write=True)
    write_project(root, {"tests/__init__.py": "", "tests/conftest.py": conftest})
    result = migrate(root, (Phase.CONTAINER,), write=True, scopes=scopes)
    again = migrate(root, Phase, write=False, scopes=scopes)
    assert again.changes == [], again.diff()
    notes = [n.render() for n in result.reports[0].notes if n.kind == "fixture"]
    assert len(notes) <= 1
    return (root / "tests/conftest.py").read_text(encoding="utf-8")


def test_fixture_of_moved_services_becomes_container_overrides(tmp_path: Path) -> None:
    """When every service moved, the fixture overrides them in the container; the helper goes."""
    entries = (("provide_auth_service", "AuthService"), ("provide_mailer", "Mailer"))
    after = _container(tmp_path, _conftest(*entries), Mailer="app")
    assert after == dedent(ALL_MOVED)


def test_services_left_in_place_keep_their_dependency_overrides(tmp_path: Path) -> None:
    """A service left behind its getter keeps its entry; a moved one goes to the container."""
    entries = (("provide_auth_service", "AuthService"), ("provide_mailer", "Mailer"))
    after = _container(tmp_path, _conftest(*entries))
    assert dedent(SOME_MOVED) in after
    assert "def _built_once(factory):" in after
    assert "from rescope.testing import Overrides\n" in after
    assert "provide_mailer" in after.split("@pytest.fixture")[0]
    assert "provide_auth_service" not in after


def test_a_later_move_adds_to_the_rewritten_fixture(tmp_path: Path) -> None:
    """Moving the remaining service in a later run keeps the earlier ones in the fixture."""
    entries = (("provide_auth_service", "AuthService"), ("provide_mailer", "Mailer"))
    _container(tmp_path, _conftest(*entries))
    after = _container(tmp_path, (tmp_path / "tests/conftest.py").read_text("utf-8"), Mailer="app")
    assert "        for service in (AuthService, Mailer):\n" in after
    assert "dependency_overrides" not in after
    assert "_built_once" not in after


def test_fixture_without_moved_services_is_byte_for_byte_unchanged(tmp_path: Path) -> None:
    """A fixture naming only services that stay behind their getters is not touched."""
    conftest = _conftest(("provide_mailer", "Mailer"))
    assert _container(tmp_path, conftest) == conftest


def test_rewritten_fixture_gives_fresh_instances_and_undoes_fakes(tmp_path: Path) -> None:
    """In a real pytest run each test gets a fresh instance and a test's fake ends with it."""
    entries = (("provide_auth_service", "AuthService"), ("provide_mailer", "Mailer"))
    _container(tmp_path, _conftest(*entries), Mailer="app")
    write_project(tmp_path, {"tests/test_routes.py": ROUTE_TEST})
    assert "4 passed" in run_suite(tmp_path, "-p", "no:randomly")
