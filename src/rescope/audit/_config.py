"""The audit's settings: ``[tool.rescope]`` in pyproject.toml, then command-line overrides."""

from __future__ import annotations

import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from rescope.exceptions import ConfigurationError

__all__ = [
    "BLOCKING_RULE",
    "DEFAULT_MAX_FILE_SIZE",
    "AuditConfig",
    "find_pyproject",
    "load_config",
    "rescope_table",
]

DEFAULT_MAX_FILE_SIZE = 2 * 1024 * 1024
_KNOWN_KEYS = frozenset(
    {
        "blocking",
        "exclude",
        "fail-on",
        "ignore",
        "max-file-size",
        "migrate",
        "respect-gitignore",
        "rules",
        "select",
    }
)
#: The rule that reads ``[tool.rescope.blocking]`` (as its ``blocking`` option).
BLOCKING_RULE = "RS401"


@dataclass(frozen=True, slots=True)
class AuditConfig:
    """How an audit runs.

    Args:
        exclude: Gitignore-style patterns of paths to leave out, relative to the root.
        select: Rule codes or prefixes to run (``RS1``, ``RS101``); empty means all.
        ignore: Rule codes or prefixes to leave out, applied after ``select``.
        max_file_size: Files larger than this many bytes are skipped (generated code).
        respect_gitignore: Skip what ``.gitignore`` files ignore.
        rule_options: Per-rule options, ``{"RS105": {"ignore-classes": [...]}}``.
        fail_on: The lowest severity that makes the command exit 1.
        use_cache: Read and write ``.rescope_cache/``.
        cache_dir: Where the cache lives; ``<root>/.rescope_cache`` when ``None``.
        jobs: Worker processes for parsing; ``None`` means one per core.
    """

    exclude: tuple[str, ...] = ()
    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    max_file_size: int = DEFAULT_MAX_FILE_SIZE
    respect_gitignore: bool = True
    rule_options: Mapping[str, Mapping[str, object]] = field(default_factory=dict)
    fail_on: str = "low"
    use_cache: bool = True
    cache_dir: Path | None = None
    jobs: int | None = None

    def with_overrides(self, **changes: object) -> AuditConfig:
        """Return a copy with the given fields replaced (``None`` values are ignored)."""
        return replace(self, **{k: v for k, v in changes.items() if v is not None})  # type: ignore[arg-type]


def find_pyproject(start: Path) -> Path | None:
    """Return the nearest ``pyproject.toml`` at or above ``start``."""
    here = start.resolve()
    if here.is_file():
        here = here.parent
    for directory in (here, *here.parents):
        candidate = directory / "pyproject.toml"
        if candidate.is_file():
            return candidate
    return None


def _strings(value: object, setting: str) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return tuple(value)
    raise ConfigurationError(
        f"`{setting}` must be a list of strings, not {type(value).__name__}.",
        setting=setting,
        hint=f'`{setting} = ["..."]` in [tool.rescope].',
    )


def _check_codes(codes: Iterable[str], setting: str, known: Iterable[str]) -> None:
    known = list(known)
    for code in codes:
        if code.upper() == "ALL":
            continue
        if not any(k.startswith(code.upper()) for k in known):
            raise ConfigurationError(
                f"`{setting}` names {code!r}, which matches no rule.",
                setting=setting,
                hint=f"one of the rule codes or a prefix of them: {', '.join(sorted(known))}.",
            )


def rescope_table(pyproject: Path) -> dict[str, Any]:
    """The ``[tool.rescope]`` table of ``pyproject`` (empty when it has none).

    Raises:
        ConfigurationError: The file cannot be read or parsed, or the entry is no table.
    """
    try:
        data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigurationError(
            f"{pyproject} cannot be read: {exc}.", setting=str(pyproject), hint="fixing the file."
        ) from exc
    tool = data.get("tool", {})
    section = tool.get("rescope", {}) if isinstance(tool, dict) else None
    if not isinstance(section, dict):
        raise ConfigurationError("[tool.rescope] must be a table.", setting="tool.rescope")
    return section


def load_config(
    pyproject: Path | None, *, known_rules: Mapping[str, Mapping[str, object]]
) -> AuditConfig:
    """Read ``[tool.rescope]`` from ``pyproject`` and validate it.

    Args:
        pyproject: The file to read; defaults apply when ``None``.
        known_rules: Each rule code with its options and their defaults.

    Raises:
        ConfigurationError: The file cannot be parsed, or a setting is unknown or has a wrong
            type; the message names the setting.
    """
    if pyproject is None:
        return AuditConfig()
    section = rescope_table(pyproject)
    for key in section:
        if key not in _KNOWN_KEYS:
            raise ConfigurationError(
                f"[tool.rescope] has an unknown setting `{key}` ({pyproject}).",
                setting=f"tool.rescope.{key}",
                hint=f"one of {', '.join(sorted(_KNOWN_KEYS))}, or remove it.",
            )
    select = _strings(section.get("select", []), "select")
    ignore = _strings(section.get("ignore", []), "ignore")
    _check_codes(select, "select", known_rules)
    _check_codes(ignore, "ignore", known_rules)
    size = section.get("max-file-size", DEFAULT_MAX_FILE_SIZE)
    if not isinstance(size, int) or isinstance(size, bool) or size <= 0:
        raise ConfigurationError(
            f"`max-file-size` must be a positive number of bytes, not {size!r}.",
            setting="max-file-size",
            hint="`max-file-size = 2097152` (2 MiB) in [tool.rescope].",
        )
    gitignore = section.get("respect-gitignore", True)
    if not isinstance(gitignore, bool):
        raise ConfigurationError(
            "`respect-gitignore` must be true or false.", setting="respect-gitignore"
        )
    fail_on = section.get("fail-on", "low")
    if fail_on not in {"info", "low", "medium", "high"}:
        raise ConfigurationError(
            f"`fail-on` must be info, low, medium or high, not {fail_on!r}.",
            setting="fail-on",
            hint='`fail-on = "medium"` in [tool.rescope].',
        )
    if not isinstance(section.get("migrate", {}), dict):  # its keys are migrate's to check
        raise ConfigurationError(
            "[tool.rescope.migrate] must be a table.", setting="tool.rescope.migrate"
        )
    return AuditConfig(
        exclude=_strings(section.get("exclude", []), "exclude"),
        select=select,
        ignore=ignore,
        max_file_size=size,
        respect_gitignore=gitignore,
        rule_options=_with_blocking(
            _rule_options(section.get("rules", {}), known_rules),
            section.get("blocking"),
            known_rules,
        ),
        fail_on=fail_on,
    )


def _blocking_table(raw: object, setting: str) -> dict[str, str | bool]:
    if not isinstance(raw, dict):
        raise ConfigurationError(
            f"[{setting}] must be a table of name pattern = suggestion.",
            setting=setting,
            hint=f'[{setting}]\n"mylib.slow_call" = "`await mylib.fast_call()`"',
        )
    for pattern, suggestion in raw.items():
        if not isinstance(suggestion, str) and suggestion is not False:
            raise ConfigurationError(
                f"[{setting}] maps {pattern!r} to {suggestion!r}: the value must be the "
                "suggestion to show (a string), or false to drop a default pattern.",
                setting=f"{setting}.{pattern}",
                hint=f'"{pattern}" = "what to call instead"',
            )
    return dict(raw)


def _with_blocking(
    options: dict[str, dict[str, object]],
    raw: object,
    known_rules: Mapping[str, Mapping[str, object]],
) -> dict[str, dict[str, object]]:
    """Merge ``[tool.rescope.blocking]`` into the blocking rule's ``blocking`` option."""
    configured = options.get(BLOCKING_RULE, {}).get("blocking")
    if configured is None and raw is None:
        return options
    if BLOCKING_RULE not in known_rules:
        return options
    table: dict[str, str | bool] = {}
    if configured is not None:
        table.update(_blocking_table(configured, f"tool.rescope.rules.{BLOCKING_RULE}.blocking"))
    if raw is not None:
        table.update(_blocking_table(raw, "tool.rescope.blocking"))
    options.setdefault(BLOCKING_RULE, {})["blocking"] = table
    return options


def _rule_options(
    raw: object, known_rules: Mapping[str, Mapping[str, object]]
) -> dict[str, dict[str, object]]:
    if not isinstance(raw, dict):
        raise ConfigurationError(
            "[tool.rescope.rules] must be a table of rule codes.", setting="rules"
        )
    out: dict[str, dict[str, object]] = {}
    for code, options in raw.items():
        setting = f"tool.rescope.rules.{code}"
        if code not in known_rules:
            raise ConfigurationError(
                f"[{setting}] configures {code!r}, which is no rule.",
                setting=setting,
                hint=f"one of {', '.join(sorted(known_rules))}.",
            )
        if not isinstance(options, dict):
            raise ConfigurationError(f"[{setting}] must be a table.", setting=setting)
        defaults = known_rules[code]
        for name, value in options.items():
            if name not in defaults:
                choices = ", ".join(sorted(defaults)) or "none"
                raise ConfigurationError(
                    f"{code} has no option `{name}`.",
                    setting=f"{setting}.{name}",
                    hint=f"one of its options ({choices}), or remove it.",
                )
            if not isinstance(value, type(defaults[name])):
                raise ConfigurationError(
                    f"`{setting}.{name}` must be a {type(defaults[name]).__name__}.",
                    setting=f"{setting}.{name}",
                )
        out[code] = dict(options)
    return out
