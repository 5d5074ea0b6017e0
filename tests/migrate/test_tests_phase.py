"""Phase ``tests``: resets become overrides or one shared reset, patches become overrides."""

from __future__ import annotations

from pathlib import Path

from rescope.migrate import Phase, migrate
from tests.migrate.helpers import dedent, project, run_suite, write_project

ROUTES = """
    from fastapi import APIRouter

    from app.services.auth import get_auth
    from app.services.mail import get_mailer

    router = APIRouter()


    @router.post("/send")
    async def send(to: str):
        mailer = get_mailer()
        return {"n": mailer.send(to)}


    @router.get("/check")
    async def check(token: str):
        return {"ok": get_auth().check(token)}
"""

CONFTEST = """
    import os

    os.environ.setdefault("APP_MODE", "test")

    import pytest  # noqa: E402
    from fastapi.testclient import TestClient  # noqa: E402

    import app.services.auth as auth  # noqa: E402
    import app.services.gone as gone  # noqa: E402
    import app.services.mail as mail  # noqa: E402
    from app.main import app  # noqa: E402


    @pytest.fixture(autouse=True)
    def reset():
        # start every test from scratch
        auth._auth = None
        mail._mailer = None
        gone._cache = None
        yield
        mail._mailer = None


    @pytest.fixture
    def client():
        with TestClient(app) as test_client:
            yield test_client
"""

TEST_MAIL = """
    from unittest import mock

    from app.services.auth import get_auth


    def test_counts_per_test_first(client):
        assert client.post("/send", params={"to": "a"}).json() == {"n": 1}
        assert client.post("/send", params={"to": "b"}).json() == {"n": 2}


    def test_counts_per_test_second(client):
        assert client.post("/send", params={"to": "c"}).json() == {"n": 1}


    def test_auth_is_shared():
        assert get_auth() is get_auth()


    def test_patched_mailer(client):
        stub = mock.MagicMock()
        stub.send.return_value = 42
        with mock.patch("app.routes.get_mailer", return_value=stub):
            assert client.post("/send", params={"to": "x"}).json() == {"n": 42}
"""


def _project(root: Path) -> Path:
    project(root, dedent(ROUTES))
    return write_project(
        root,
        {
            "app/services/gone.py": "VALUE = 1\n",
            "tests/__init__.py": "",
            "tests/conftest.py": CONFTEST,
            "tests/test_mail.py": TEST_MAIL,
        },
    )


def test_suite_stays_green_through_every_phase(tmp_path: Path) -> None:
    """The small project's own tests pass before and after each phase, and reruns are no-ops."""
    root = _project(tmp_path)
    run_suite(root, "tests")
    for phase in (Phase.DEPS, Phase.ROUTES, Phase.TESTS):
        migrate(root, [phase], write=True)
        run_suite(root, "tests")
        assert migrate(root, [phase]).changes == []


def test_resets_become_overrides_shared_resets_and_removals(tmp_path: Path) -> None:
    """Route-only services get overrides, still-shared globals a shared reset, stale ones go."""
    root = _project(tmp_path)
    migrate(root, [Phase.DEPS, Phase.ROUTES], write=True)
    result = migrate(root, [Phase.TESTS], write=True)
    conftest = (root / "tests/conftest.py").read_text(encoding="utf-8")
    assert "import app.services.gone" not in conftest
    assert "import app.services.mail" not in conftest
    assert (
        dedent("""
        @pytest.fixture(autouse=True)
        def reset():
            # start every test from scratch
            reset_singletons()
            yield


        @pytest.fixture(autouse=True)
        def service_overrides(reset):
    """)
        in conftest
    )
    assert "        provide_mailer: Mailer,\n" in conftest
    imports = conftest.index("from app.main import app")
    assert conftest.index("from app.service_dependencies import") > imports
    assert conftest.index('os.environ.setdefault("APP_MODE", "test")') < imports
    deps = (root / "app/service_dependencies.py").read_text(encoding="utf-8")
    assert "SINGLETON_GLOBALS = (\n    ('app.services.auth', '_auth', None),\n)\n" in deps
    notes = [n for r in result.reports for n in r.notes if n.path.endswith("conftest.py")]
    kinds = {(n.kind, n.line) for n in notes}
    assert kinds == {("reset-kept", 17), ("override", 18), ("stale-reset", 19), ("override", 21)}
    test_mail = (root / "tests/test_mail.py").read_text(encoding="utf-8")
    assert (
        "with mock.patch.dict(app.dependency_overrides, {provide_mailer: lambda: stub}):"
        in test_mail
    )
    assert "from app.main import app\n" in test_mail
