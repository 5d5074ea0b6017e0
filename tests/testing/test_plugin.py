"""The pytest plugin, run the honest way: pytest in a subprocess on generated test files."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

SERVICES = """
from collections.abc import Iterator
from pathlib import Path

from fastapi import FastAPI

from rescope import Registry, Scope
from rescope.fastapi import Inject, setup

LOG = Path(__file__).with_name("log.txt")


class Mailer:
    name = "smtp"


class Signup:
    def __init__(self, mailer: Mailer) -> None:
        self.mailer = mailer


def open_pool() -> Iterator[Mailer]:
    with LOG.open("a") as log:
        log.write("open\\n")
    yield Mailer()
    with LOG.open("a") as log:
        log.write("close\\n")


registry = Registry()
registry.add(open_pool)
registry.add(Signup, scope=Scope.REQUEST)


def create_app(container):
    app = FastAPI()

    @app.get("/mailer")
    async def mailer(signup: Inject[Signup]) -> dict[str, str]:
        return {"mailer": signup.mailer.name}

    setup(app, container)
    return app
"""

TESTS = """
import pytest

from rescope import Scope
from services import Mailer, Signup

seen = []


class FakeMailer:
    name = "fake"


def test_first_container(rescope_container, override):
    seen.append(rescope_container)
    override(Mailer, FakeMailer())  # never undone here: teardown must undo it
    with rescope_container.scope(Scope.REQUEST) as scope:
        assert scope.get(Signup).mailer.name == "fake"


def test_second_container_is_fresh_and_not_overridden(rescope_container):
    assert seen and seen[0] is not rescope_container and seen[0].closed
    with rescope_container.scope(Scope.REQUEST) as scope:
        assert scope.get(Signup).mailer.name == "smtp"


def test_override_as_context_manager(rescope_container, override):
    with override(Mailer, FakeMailer()):
        assert rescope_container.get(Mailer).name == "fake"
    assert rescope_container.get(Mailer).name == "smtp"
    assert len(override) == 0


def test_client_sees_overrides(rescope_client, override):
    assert rescope_client.get("/mailer").json() == {"mailer": "smtp"}
    override(Mailer, FakeMailer())
    assert rescope_client.get("/mailer").json() == {"mailer": "fake"}


@pytest.mark.anyio
async def test_async_client(rescope_async_client, override):
    override(Mailer, FakeMailer())
    response = await rescope_async_client.get("/mailer")
    assert response.json() == {"mailer": "fake"}


@pytest.fixture
def anyio_backend():
    return "asyncio"
"""

INI = """
[pytest]
addopts = -p no:cacheprovider
filterwarnings = error
rescope_registry = services:registry
rescope_app = services:create_app
"""


def run_pytest(tmp_path: Path, files: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """Run pytest on ``files``; the plugin comes in through its pytest11 entry point."""
    for name, text in files.items():
        (tmp_path / name).write_text(textwrap.dedent(text))
    env = {**os.environ, "PYTHONPATH": str(tmp_path)}
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-rA"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_fixtures_give_each_test_a_fresh_container_and_undo_overrides(tmp_path) -> None:
    """Five tests in order: fresh containers closed after, overrides undone, both clients work."""
    done = run_pytest(tmp_path, {"services.py": SERVICES, "test_app.py": TESTS, "pytest.ini": INI})
    assert done.returncode == 0, done.stdout + done.stderr
    assert "5 passed" in done.stdout
    log = (tmp_path / "log.txt").read_text().split()
    # the three tests that used the real pool each opened one and closed it on teardown
    assert log.count("open") == log.count("close") == 3


def test_teardown_errors_missing_registry_and_conftest_registry(tmp_path) -> None:
    """A failing finalizer fails teardown; no registry names the option; conftest may give one."""
    files = {
        "pytest.ini": "[pytest]\naddopts = -p no:cacheprovider\n",
        # a/: the registry comes from a conftest fixture, and its finalizer fails
        "a/conftest.py": """
            import pytest
            from rescope import Registry

            class Pool:
                pass

            def open_pool():
                yield Pool()
                raise RuntimeError("pool did not close")

            @pytest.fixture
            def rescope_registry():
                registry = Registry()
                registry.add(open_pool, provides=Pool)
                return registry
        """,
        "a/test_pool.py": """
            from conftest import Pool

            def test_uses_pool(rescope_container):
                assert isinstance(rescope_container.get(Pool), Pool)
        """,
        # b/: nothing names a registry
        "b/test_nothing.py": """
            def test_needs_container(rescope_container):
                pass
        """,
    }
    for name in ("a", "b"):
        (tmp_path / name).mkdir()
    done = run_pytest(tmp_path, files)
    assert done.returncode == 1
    assert "1 passed, 2 errors" in done.stdout
    assert "ERROR at teardown of test_uses_pool" in done.stdout
    assert "CleanupError" in done.stdout
    assert "pool did not close" in done.stdout
    assert "ERROR at setup of test_needs_container" in done.stdout
    assert 'rescope_registry = "myapp.services:registry"' in done.stdout
