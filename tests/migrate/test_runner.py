"""Dry runs, atomic writes, unparsable files and --verify, through the API and the CLI."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from rescope.cli import main
from rescope.migrate import Phase, compare, migrate, run_tests, write_atomic
from tests.migrate.helpers import dedent, project, write_project

ROUTES = """
    from fastapi import APIRouter

    from app.services.auth import get_auth

    router = APIRouter()


    @router.get("/check")
    async def check(token: str):
        return {"ok": get_auth().check(token)}
"""


def _snapshot(root: Path) -> dict[str, tuple[bytes, int]]:
    return {
        p.relative_to(root).as_posix(): (p.read_bytes(), p.stat().st_mtime_ns)
        for p in sorted(root.rglob("*.py"))
    }


def test_dry_run_prints_a_diff_and_touches_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`rescope migrate` without --write prints a unified diff and leaves every file as it was."""
    project(tmp_path, dedent(ROUTES))
    before = _snapshot(tmp_path)
    assert main(["migrate", str(tmp_path)]) == 0
    out, err = capsys.readouterr()
    assert "+++ b/app/service_dependencies.py\n" in out
    assert '-        return {"ok": get_auth().check(token)}\n' not in out
    assert '-    return {"ok": get_auth().check(token)}\n' in out
    assert "2 files would change" in err
    assert _snapshot(tmp_path) == before


def test_write_changes_only_the_files_that_change(tmp_path: Path) -> None:
    """--write rewrites exactly the changed files; the others keep their bytes and mtime."""
    project(tmp_path, dedent(ROUTES))
    before = _snapshot(tmp_path)
    assert main(["migrate", "--write", "--phase", "deps", "--phase", "routes", str(tmp_path)]) == 0
    after = _snapshot(tmp_path)
    changed = {p for p in after if before.get(p) != after[p]}
    assert changed == {"app/routes.py", "app/service_dependencies.py"}
    assert not list(tmp_path.rglob("*.tmp"))


def test_atomic_write_keeps_the_mode_and_leaves_no_temporary_file(tmp_path: Path) -> None:
    """A write replaces the file in one rename, keeps its permissions, and cleans up."""
    target = tmp_path / "script.py"
    target.write_text("old\n", encoding="utf-8")
    target.chmod(0o750)
    write_atomic(target, "new\n")
    assert target.read_text(encoding="utf-8") == "new\n"
    assert target.stat().st_mode & 0o777 == 0o750
    assert [p.name for p in tmp_path.iterdir()] == ["script.py"]


def test_unparsable_file_is_reported_and_the_run_goes_on(tmp_path: Path) -> None:
    """A file that does not parse is noted with its path and line; other files still migrate."""
    project(tmp_path, dedent(ROUTES))
    write_project(tmp_path, {"app/broken.py": "def oops(:\n    pass\n"})
    result = migrate(tmp_path, Phase.ordered())
    notes = [n for r in result.reports for n in r.notes if n.kind == "unparsable"]
    assert [(n.path, n.line) for n in notes] == [("app/broken.py", 1)]
    assert {c.path for c in result.changes} == {"app/routes.py", "app/service_dependencies.py"}


def test_verify_needs_write(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """--verify without --write is a usage error (exit 2) that names the fix."""
    project(tmp_path, dedent(ROUTES))
    assert main(["migrate", "--verify", "pytest", str(tmp_path)]) == 2
    assert "--write" in capsys.readouterr().err


def _tiny(root: Path, body: str) -> None:
    write_project(
        root,
        {
            "test_tiny.py": f"def test_one():\n    assert {body}\n\n"
            "def test_two():\n    assert True\n"
        },
    )


def test_run_tests_and_compare_find_a_regression(tmp_path: Path) -> None:
    """A test that passed before and fails after is a regression; a newly passing one is fixed."""
    command = f"{sys.executable} -m pytest -q -p no:cacheprovider"
    _tiny(tmp_path, "True")
    before = run_tests(command, tmp_path)
    assert before.passed == 2
    _tiny(tmp_path, "False")
    after = run_tests(command, tmp_path)
    verdict = compare(before, after)
    assert not verdict.ok
    assert verdict.regressions == ["test_tiny::test_one"]
    assert compare(after, before).fixed == ["test_tiny::test_one"]
