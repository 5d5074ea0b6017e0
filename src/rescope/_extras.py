"""Import an optional dependency, or fail with the extra that provides it."""

from __future__ import annotations

import importlib
from types import ModuleType

from rescope.exceptions import MissingExtraError

__all__ = ["import_extra"]


def import_extra(package: str, *, extra: str, module: str) -> ModuleType:
    """Import ``package`` or raise :class:`MissingExtraError` naming ``extra``.

    Args:
        package: The importable name of the optional dependency (``"redis.asyncio"``).
        extra: The rescope extra that installs it (``"redis"``).
        module: The rescope module that needs it, for the message (pass ``__name__``).

    Raises:
        MissingExtraError: The package is not installed.
    """
    try:
        return importlib.import_module(package)
    except ModuleNotFoundError as exc:
        top = package.partition(".")[0]
        if exc.name is not None and exc.name.partition(".")[0] != top:
            raise
        raise MissingExtraError(extra, module=module, missing=top) from exc
