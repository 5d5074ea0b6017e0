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
        instance on the class, classes built by a singleton metaclass (one whose ``__call__``
        stores the instance it builds, ``cls._instances[cls]`` or ``cls._instance``, and
        returns the stored one), and classes under a ``@singleton`` decorator. A metaclass
        that builds a fresh instance, redirects to a subclass or prepares the class first is
        not a singleton, nor is a metaclass ``__new__`` (it builds classes).

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
        (  # a metaclass __call__ that redirects to a subclass and otherwise builds afresh
            "import abc\n\nclass _DBMeta(abc.ABCMeta):\n    def __call__(self, *args, **kwargs):\n"
            "        if self is Database:\n            return MemoryDatabase(*args, **kwargs)\n"
            "        return super().__call__(*args, **kwargs)\n\n"
            "class Database(metaclass=_DBMeta):\n    def save(self, k, v): ...\n\n"
            "class MemoryDatabase(Database):\n    def save(self, k, v): ...\n"
        ),
        (  # a metaclass that prepares the class on first use, then builds a new instance
            "class LexerMeta(type):\n    def __call__(cls, *args, **kwds):\n"
            "        if '_tokens' not in cls.__dict__:\n            cls._all_tokens = {}\n"
            "            cls._tokens = cls.process_tokendef()\n"
            "        return type.__call__(cls, *args, **kwds)\n\n"
            "class RegexLexer(metaclass=LexerMeta):\n    def get_tokens(self, text): ...\n"
        ),
        (  # a metaclass that returns what another constructor built, decorated
            "class AnnotatedMeta(type):\n    def __call__(self, *args, **kwargs):\n"
            "        result = self._get_cons()(*args, **kwargs)\n"
            "        result.__orig_class__ = self\n        return result\n\n"
            "class Annotated(metaclass=AnnotatedMeta):\n    def copy_with(self, p): ...\n"
        ),
        (  # a metaclass __new__ builds classes, and writes attributes on the class it built
            "class ModelMetaclass(type):\n    def __new__(mcs, name, bases, ns):\n"
            "        cls = super().__new__(mcs, name, bases, ns)\n"
            "        if cls.__pydantic_generic_metadata__ is None:\n"
            "            cls.__pydantic_complete__ = False\n"
            "            cls.__pydantic_parent__ = cls\n        return cls\n\n"
            "    def model_fields(cls): ...\n"
        ),
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
        (
            "class Single(type):\n    _instance = None\n\n    def __call__(cls, *a):\n"
            "        if cls._instance is None:\n            cls._instance = super().__call__(*a)\n"
            "        return cls._instance\n\nclass Clock(metaclass=Single):\n"
            "    def now(self): ...\n"
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
