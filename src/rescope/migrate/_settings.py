"""``[tool.rescope.migrate]``: the migration's options, written once in pyproject.toml.

.. code-block:: toml

    [tool.rescope.migrate]
    deps-module = "backend.service_dependencies"
    app = "backend.main:app"
    scopes = { SessionManager = "app", ResponseProcessor = "request" }

Options given to :func:`rescope.migrate.migrate` (or on the command line) win over the
file; ``scopes`` from both are merged, the explicit ones last.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from rescope.audit import find_pyproject
from rescope.audit._config import rescope_table
from rescope.exceptions import ConfigurationError

__all__ = ["MigrateSettings", "load_settings"]

_KEYS = frozenset({"app", "deps-module", "scopes"})
_TABLE = "tool.rescope.migrate"


@dataclass(frozen=True, slots=True)
class MigrateSettings:
    """The options ``[tool.rescope.migrate]`` sets.

    Args:
        deps_module: Dotted name of the dependencies module.
        app: The FastAPI app as ``module:attribute``.
        scopes: Service class name -> scope name for the container phase.
    """

    deps_module: str | None = None
    app: str | None = None
    scopes: dict[str, str] = field(default_factory=dict)


def _string(table: dict[str, object], key: str, example: str) -> str | None:
    value = table.get(key)
    if value is None or isinstance(value, str):
        return value
    raise ConfigurationError(
        f"`{key}` in [{_TABLE}] must be a string, not {type(value).__name__}.",
        setting=f"{_TABLE}.{key}",
        hint=f'`{key} = "{example}"`.',
    )


def load_settings(root: Path) -> MigrateSettings:
    """Read ``[tool.rescope.migrate]`` from the nearest pyproject.toml at or above ``root``.

    Args:
        root: The project root.

    Raises:
        ConfigurationError: The file cannot be read, or the table has an unknown key or a
            value of the wrong type; the message names the setting.
    """
    pyproject = find_pyproject(root)
    if pyproject is None:
        return MigrateSettings()
    table = rescope_table(pyproject).get("migrate", {})
    if not isinstance(table, dict):
        raise ConfigurationError(f"[{_TABLE}] must be a table.", setting=_TABLE)
    for key in table:
        if key not in _KEYS:
            raise ConfigurationError(
                f"[{_TABLE}] has an unknown setting `{key}` ({pyproject}).",
                setting=f"{_TABLE}.{key}",
                hint=f"one of {', '.join(sorted(_KEYS))}, or remove it.",
            )
    scopes = table.get("scopes", {})
    if not isinstance(scopes, dict) or not all(isinstance(v, str) for v in scopes.values()):
        raise ConfigurationError(
            f"`scopes` in [{_TABLE}] must be a table of class name = scope name.",
            setting=f"{_TABLE}.scopes",
            hint='`scopes = { SessionManager = "app" }`.',
        )
    return MigrateSettings(
        deps_module=_string(table, "deps-module", "myapp.service_dependencies"),
        app=_string(table, "app", "myapp.main:app"),
        scopes=dict(scopes),
    )
