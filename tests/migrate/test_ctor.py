"""Phase ``container``: moved services receive the services their constructor fetched."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.migrate.helpers import dedent, migrate_to_container, write_project
from tests.migrate.test_container import CHECK, ROUTES

INIT_AFTER = """
    class Mailer:
        def __init__(self, auth: AuthService):
            self.auth = auth
            self.sent = []
"""


def _moved(root: Path, files: dict[str, str] | None = None) -> tuple[dict[str, str], list[str]]:
    """Deps, routes, then container with Mailer in APP scope; a second run is a no-op."""
    result = migrate_to_container(root, ROUTES, files, Mailer="app")
    notes = [n.render() for n in result.reports[0].notes]
    return {change.path: change.after for change in result.changes}, notes


def test_getter_call_in_init_becomes_a_constructor_parameter(tmp_path: Path) -> None:
    """`self.auth = get_auth()` becomes an `auth: AuthService` parameter; the import follows."""
    changed, notes = _moved(tmp_path)
    mail = changed["app/services/mail.py"]
    assert dedent(INIT_AFTER) in mail
    assert "from app.services.auth import AuthService\n" in mail
    assert "get_auth" not in mail
    assert (
        "app/services/mail.py: [constructor] `Mailer.__init__` receives `auth: AuthService`"
        " from the container"
    ) in notes
    assert not [n for n in notes if "[shim-caller]" in n and "get_auth()" in n and "mail" in n]


def test_class_built_outside_the_container_keeps_its_getter_calls(tmp_path: Path) -> None:
    """When other code calls `Mailer()`, its constructor is left alone and the reason noted."""
    script = """
        from app.services.mail import Mailer


        def send_digest() -> int:
            return Mailer().send("ops@example.com")
    """
    changed, notes = _moved(tmp_path, {"app/digest.py": script})
    mail = changed["app/services/mail.py"]
    assert "        self.auth = get_auth()\n" in mail
    assert "    def __init__(self):\n" in mail
    assert (
        "app/services/mail.py:6: [left-alone] `Mailer.__init__` keeps calling getters:"
        " `app/digest.py` may build `Mailer` itself, and would not pass the services"
    ) in notes


def test_container_builds_the_injected_constructor_in_a_real_app(tmp_path: Path) -> None:
    """Served by the migrated app, the mailer's auth service is the container's one."""
    _moved(tmp_path)
    write_project(tmp_path, {"check.py": CHECK})
    done = subprocess.run(
        [sys.executable, "check.py"], cwd=tmp_path, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[0] == "{'ok': True, 'same': True}"


def test_getter_a_test_patches_in_the_service_module_stays_called(tmp_path: Path) -> None:
    """A `patch("app.services.mail.get_auth", ...)` in a test keeps that call in `__init__`."""
    patching = """
        from unittest import mock

        from app.services.mail import Mailer


        def test_mailer_uses_the_patched_auth():
            with mock.patch("app.services.mail.get_auth", return_value="stub"):
                assert Mailer.__init__ is not None
    """
    changed, _ = _moved(tmp_path, {"tests/__init__.py": "", "tests/test_mail.py": patching})
    mail = changed["app/services/mail.py"]
    assert "    def __init__(self):\n        self.auth = get_auth()\n" in mail
