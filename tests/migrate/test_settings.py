"""``[tool.rescope.migrate]``: options in pyproject.toml, explicit arguments winning."""

from __future__ import annotations

from pathlib import Path

import pytest

from rescope.cli import main
from rescope.exceptions import ConfigurationError
from rescope.migrate import Phase, migrate
from tests.migrate.helpers import dedent, project, write_project
from tests.migrate.test_container import ROUTES

PYPROJECT = """
    [project]
    name = "shop"
    version = "0"

    [tool.rescope]
    fail-on = "high"

    [tool.rescope.migrate]
    deps-module = "app.injected"
    app = "app.main:app"
    scopes = { Mailer = "app" }
"""


def _project(root: Path, pyproject: str = PYPROJECT) -> Path:
    project(root, dedent(ROUTES))
    return write_project(root, {"pyproject.toml": pyproject})


def test_table_sets_the_deps_module_and_scopes(tmp_path: Path) -> None:
    """The deps module and a scope come from the table; the audit accepts the table too."""
    _project(tmp_path)
    migrate(tmp_path, (Phase.DEPS, Phase.ROUTES), write=True)
    assert (tmp_path / "app/injected.py").is_file()
    assert not (tmp_path / "app/service_dependencies.py").exists()
    migrate(tmp_path, (Phase.CONTAINER,), write=True)
    registry = (tmp_path / "app/service_registry.py").read_text(encoding="utf-8")
    assert "registry.add(Mailer, scope=Scope.APP)\n" in registry
    assert migrate(tmp_path, list(Phase)).changes == []
    assert main(["audit", "--no-cache", str(tmp_path)]) in {0, 1}


def test_explicit_options_win_over_the_table(tmp_path: Path) -> None:
    """A scope passed to `migrate` overrides the same class's scope in the table."""
    _project(tmp_path)
    migrate(tmp_path, (Phase.DEPS, Phase.ROUTES), write=True)
    migrate(tmp_path, (Phase.CONTAINER,), write=True, scopes={"Mailer": "request"})
    registry = (tmp_path / "app/service_registry.py").read_text(encoding="utf-8")
    assert "registry.add(Mailer" not in registry
    assert "registry.add(AuthService, scope=Scope.APP)\n" in registry


def test_unknown_key_is_a_configuration_error_naming_it(tmp_path: Path) -> None:
    """A misspelt key fails before anything runs, naming the setting and the valid ones."""
    _project(tmp_path, PYPROJECT.replace("deps-module", "deps_module"))
    with pytest.raises(ConfigurationError) as caught:
        migrate(tmp_path, (Phase.DEPS,))
    assert caught.value.setting == "tool.rescope.migrate.deps_module"
    assert "app, deps-module, scopes" in str(caught.value)
    assert main(["migrate", str(tmp_path)]) == 2
