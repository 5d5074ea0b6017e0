"""Small projects written to disk for the migrate tests, and a transform-twice checker."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

from rescope.migrate import MigrationPlan, MigrationResult, Phase, build_plan, migrate

SERVICES = {
    "app/__init__.py": "",
    "app/services/__init__.py": "",
    "app/services/auth.py": """
        from typing import Optional


        class AuthService:
            def check(self, token: str) -> bool:
                return token == "ok"


        _auth: Optional[AuthService] = None


        def get_auth() -> AuthService:
            global _auth
            if _auth is None:
                _auth = AuthService()
            return _auth
    """,
    "app/services/mail.py": """
        from typing import Optional

        from app.services.auth import get_auth


        class Mailer:
            def __init__(self):
                self.auth = get_auth()
                self.sent = []

            def send(self, to: str) -> int:
                self.sent.append(to)
                return len(self.sent)


        _mailer: Optional[Mailer] = None


        def get_mailer() -> Mailer:
            global _mailer
            if _mailer is None:
                _mailer = Mailer()
            return _mailer
    """,
    "app/services/bus.py": """
        import asyncio
        from typing import Optional


        class Bus:
            async def publish(self, event: str) -> str:
                return event


        _bus: Optional[Bus] = None


        async def get_bus() -> Bus:
            global _bus
            if _bus is None:
                _bus = Bus()
            return _bus
    """,
}

MAIN = """
    from fastapi import FastAPI

    from app.routes import router

    app = FastAPI()
    app.include_router(router)
"""


def write_project(root: Path, files: dict[str, str]) -> Path:
    """Write ``files`` (dedented) under ``root`` and return it."""
    for rel, text in files.items():
        target = root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return root


def project(root: Path, routes: str, **extra: str) -> Path:
    """The three-service project with ``app/routes.py`` holding ``routes``."""
    files = {**SERVICES, "app/main.py": MAIN, "app/routes.py": routes}
    files.update({k.replace("__", "/").replace("_py", ".py"): v for k, v in extra.items()})
    return write_project(root, files)


def plan_of(root: Path) -> MigrationPlan:
    """The migration plan of the project under ``root``."""
    return build_plan(root)


def run_phases(root: Path, *phases: Phase) -> dict[str, str]:
    """Write ``phases`` and return every changed file's new text, by path."""
    result = migrate(root, phases, write=True)
    return {change.path: change.after for change in result.changes}


def dedent(text: str) -> str:
    """``text`` dedented, without its first newline."""
    return textwrap.dedent(text).lstrip("\n")


def routes_after(root: Path, before: str) -> str:
    """Migrate ``before`` (deps and routes phases), check a second run changes nothing.

    Returns:
        The text of ``app/routes.py`` after the migration.
    """
    project(root, dedent(before))
    migrate(root, (Phase.DEPS, Phase.ROUTES), write=True)
    after = (root / "app" / "routes.py").read_text(encoding="utf-8")
    again = migrate(root, (Phase.DEPS, Phase.ROUTES), write=False)
    assert again.changes == [], again.diff()
    return after


def run_suite(root: Path, *args: str) -> str:
    """Run the pytest of the project under ``root``; assert it passed and return its output."""
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *args],
        cwd=root,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    return done.stdout


def migrate_to_container(
    root: Path, routes: str, files: dict[str, str] | None = None, **scopes: str
) -> MigrationResult:
    """Deps, routes, then container on a project with ``routes``; a second run is a no-op.

    Returns:
        The container phase's result.
    """
    project(root, dedent(routes))
    write_project(root, files or {})
    migrate(root, (Phase.DEPS, Phase.ROUTES), write=True)
    result = migrate(root, (Phase.CONTAINER,), write=True, scopes=scopes)
    again = migrate(root, Phase, write=False, scopes=scopes)
    assert again.changes == [], again.diff()
    return result
