"""``RescopeError``, the root of the hierarchy, and the configuration and command-line errors.

``_qualified_name`` renders a service, provider or scope the way messages name it
(``module.Qualname``); ``rescope.di`` uses it for its own messages too.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

__all__ = [
    "ConfigurationError",
    "MissingExtraError",
    "NotImplementedYetError",
    "RescopeError",
    "SettingsError",
    "UsageError",
]


class RescopeError(Exception):
    """Base class of every error rescope raises.

    Args:
        message: What happened and why it matters.
        hint: The fix, rendered on its own line as ``Try <hint>``.
    """

    def __init__(self, message: str = "", *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        if self.hint:
            return f"{self.message}\nTry {self.hint}"
        return self.message

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickle without calling ``__init__`` again, so every subclass round-trips.

        An exception pickles as ``type(args)`` by default; most subclasses take their
        context as keyword-only arguments, which that call cannot pass. The error comes
        back with the same ``args`` and attributes instead, across processes too (a
        worker pool, a task queue).
        """
        return (_rebuild, (type(self), self.args, dict(vars(self))))


def _rebuild(cls: type[RescopeError], args: tuple[Any, ...], state: dict[str, Any]) -> Any:
    """An unpickled :class:`RescopeError`: made without ``__init__``, its attributes set."""
    error = cls.__new__(cls, *args)
    error.args = args  # OSError's __new__ leaves them out when a subclass has an __init__
    vars(error).update(state)
    return error


def _qualified_name(obj: object) -> str:
    """Render a service, provider or scope the way DI errors name it: ``module.Qualname``."""
    if isinstance(obj, str):
        return obj
    qualname = getattr(obj, "__qualname__", None)
    module = getattr(obj, "__module__", None)
    if isinstance(qualname, str) and not hasattr(obj, "__origin__"):
        if module in {None, "builtins"}:
            return qualname
        return f"{module}.{qualname}"
    return repr(obj).replace("typing.", "")


class ConfigurationError(RescopeError):
    """Raised when a setting or a ``[tool.rescope]`` option has a wrong value.

    Args:
        message: What is wrong with the setting.
        setting: The name of the setting, as the user writes it.
        hint: How to fix it.
    """

    def __init__(
        self, message: str, *, setting: str | None = None, hint: str | None = None
    ) -> None:
        super().__init__(message, hint=hint)
        self.setting = setting


class MissingExtraError(ConfigurationError, ImportError):
    """Raised when an integration module is imported without its optional dependencies.

    Args:
        extra: The name of the extra that provides the missing packages.
        module: The integration module that needed it.
        missing: The top-level package that failed to import.
    """

    def __init__(self, extra: str, *, module: str, missing: str) -> None:
        super().__init__(
            f"{module} needs the {missing!r} package, which is not installed.",
            setting=extra,
            hint=f"`pip install 'rescope[{extra}]'`.",
        )
        self.extra = extra
        self.module = module
        self.missing = missing


class SettingsError(ConfigurationError):
    """Raised when settings read from the environment fail validation.

    Args:
        message: Which variables are wrong, what they hold and the form they must take.
        variables: The environment variables that failed, in the order reported.
        hint: How to fix them.
    """

    def __init__(
        self, message: str, *, variables: Sequence[str] = (), hint: str | None = None
    ) -> None:
        super().__init__(message, setting=variables[0] if variables else None, hint=hint)
        self.variables = tuple(variables)


class UsageError(RescopeError):
    """Raised when the command line is used wrongly; the CLI exits with code 2."""


class NotImplementedYetError(UsageError):
    """Raised by a command that has not landed yet."""
