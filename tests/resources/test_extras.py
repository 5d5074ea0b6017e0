"""rescope.resources imports without its extras and names the extra an integration needs."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

BLOCK = """
import sys
for name in {blocked!r}:
    sys.modules[name] = None  # makes `import name` fail as if it were not installed
"""


def _run(blocked: list[str], body: str) -> subprocess.CompletedProcess[str]:
    code = BLOCK.format(blocked=blocked) + textwrap.dedent(body)
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )


def test_core_works_without_sqlalchemy_and_pydantic_settings() -> None:
    """Temp files, subprocesses and offload work when neither extra is installed."""
    result = _run(
        ["sqlalchemy", "pydantic_settings", "pydantic"],
        """
        import asyncio
        from rescope.resources import managed_temp_files, run_process, run_blocking
        with managed_temp_files(".txt") as (path,):
            assert path.exists()
        assert run_process([sys.executable, "-c", "print(1)"]).stdout == b"1\\n"
        assert asyncio.run(run_blocking(sum, [1, 2])) == 3
        print("ok")
        """,
    )
    assert result.stdout.strip() == "ok", result.stderr


@pytest.mark.parametrize(
    ("blocked", "name", "extra"),
    [
        (["sqlalchemy"], "create_engine", "sqlalchemy"),
        (["pydantic_settings"], "session", "settings"),
        (["pydantic_settings"], "DatabaseSettings", "settings"),
    ],
)
def test_an_integration_without_its_extra_names_the_extra(blocked, name, extra) -> None:
    """Using a database or settings name without its package raises MissingExtraError."""
    result = _run(
        blocked,
        f"""
        from rescope.exceptions import MissingExtraError
        try:
            from rescope.resources import {name}
        except MissingExtraError as exc:
            print(exc.extra, "|", exc)
        """,
    )
    assert result.stdout.startswith(f"{extra} |"), result.stderr
    assert f"pip install 'rescope[{extra}]'" in result.stdout


def test_the_package_without_anyio_names_the_resources_extra() -> None:
    """Importing rescope.resources without anyio raises MissingExtraError for `resources`."""
    result = _run(
        ["anyio"],
        """
        from rescope.exceptions import MissingExtraError
        try:
            import rescope.resources
        except MissingExtraError as exc:
            print(exc.extra, "|", exc)
        """,
    )
    assert result.stdout.startswith("resources |"), result.stderr
    assert "pip install 'rescope[resources]'" in result.stdout
