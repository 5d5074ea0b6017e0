"""RS102: a class that makes itself a singleton."""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from rescope.audit._model import Finding, Severity
from rescope.audit.rules._base import Context, Example, Rule

__all__ = ["ClassSingleton"]

_SHAPES = {
    "new_singleton": "`__new__` that returns a cached `_instance`",
    "metaclass_singleton": "a singleton metaclass",
    "decorator_singleton": "a `@singleton` decorator",
}


class ClassSingleton(Rule):
    """A class whose construction always returns the same instance.

    What it does:
        Finds classes with a ``__new__`` (or an ``instance()`` classmethod) that caches the
        instance on the class, classes built by a singleton metaclass (one with ``__call__``
        caching instances), and classes under a ``@singleton`` decorator.

    Why is this bad?
        ``AuthService()`` looks like a fresh object but is a process-wide one: state leaks
        between users and tests, and nothing shows the dependency to readers or to tests.

    Example:
        class WebSocketManager:
            _instance = None

            def __new__(cls):
                if cls._instance is None:
                    cls._instance = super().__new__(cls)
                return cls._instance

    Use instead:
        class WebSocketManager: ...

        container.register(WebSocketManager, scope=Scope.APP)
    """

    code = "RS102"
    name = "class-singleton"
    severity = Severity.MEDIUM
    message = "`{symbol}` is a singleton through {how}"
    fix_title = "Make `{symbol}` a plain class and let the container decide how many exist"
    VALID: ClassVar[list[Example]] = [
        "class Plain:\n    def __new__(cls, *args):\n        return super().__new__(cls)\n",
        "class Meta(type):\n    pass\n\nclass Uses(metaclass=Meta):\n    pass\n",
    ]
    INVALID: ClassVar[list[Example]] = [
        (
            "class Manager:\n    _instance = None\n\n    def __new__(cls):\n"
            "        if cls._instance is None:\n            cls._instance = super().__new__(cls)\n"
            "        return cls._instance\n"
        ),
        (
            "class SingletonMeta(type):\n    _instances = {}\n\n    def __call__(cls, *a, **k):\n"
            "        if cls not in cls._instances:\n"
            "            cls._instances[cls] = super().__call__(*a, **k)\n"
            "        return cls._instances[cls]\n\nclass Registry(metaclass=SingletonMeta):\n"
            "    def add(self): ...\n"
        ),
        "from app.tools import singleton\n\n@singleton\nclass Config:\n    def load(self): ...\n",
        (
            "class Tracker:\n    _instance = None\n\n    @classmethod\n    def instance(cls):\n"
            "        if cls._instance is None:\n            cls._instance = cls()\n"
            "        return cls._instance\n"
        ),
    ]

    def check(self, ctx: Context) -> Iterator[Finding]:
        """Yield one finding per singleton class, at its ``class`` line."""
        for single in ctx.inventory.singletons:
            if single.shape in _SHAPES:
                yield self.finding(
                    single.facts.path,
                    single.anchor,
                    single.target.name,
                    how=_SHAPES[single.shape],
                )
