"""RS101: a lazy module-global getter."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from typing import ClassVar

from rescope.audit._model import Finding, Severity
from rescope.audit._singletons import Singleton
from rescope.audit.rules._base import Context, Example, Rule

__all__ = ["LazyGlobalGetter"]

_NAMED = 5  # getters named in the message when several fill one global


class LazyGlobalGetter(Rule):
    """A function that creates a service on first call and keeps it in a module global.

    What it does:
        Finds ``_x = None`` at module level plus a function that declares ``global _x``,
        checks it (``is None``, ``not _x`` or a flag such as ``_initialized``) and assigns a
        service to it: sync or async getters, double-checked locking, getters under ``if`` and
        ``global`` inside methods. ``nonlocal`` is not ``global``; a factory that builds a new
        object on every call is not a singleton; a getter that caches a value (a path, a dict,
        settings) is listed as a value cache instead.

    Why is this bad?
        The instance lives as long as the process: tests must reset the global by hand, every
        user shares it, and what it depends on is hidden inside the getter.

    Example:
        _auth_service = None

        def get_auth_service():
            global _auth_service
            if _auth_service is None:
                _auth_service = AuthService()
            return _auth_service

    Use instead:
        container.register(AuthService, scope=Scope.APP)

        @router.post("/login")
        async def login(auth: Annotated[AuthService, Inject()]): ...
    """

    code = "RS101"
    name = "lazy-global-getter"
    severity = Severity.MEDIUM
    message = "`{symbol}()` keeps a `{cls}` in the module global `{holder}`{also}"
    fix_title = "Register `{cls}` with the container and inject it instead of calling `{symbol}()`"
    VALID: ClassVar[list[Example]] = [
        "class Svc:\n    def run(self): ...\n\ndef make_svc():\n    return Svc()\n",
        (
            "def counter():\n    total = None\n    def bump():\n        nonlocal total\n"
            "        if total is None:\n            total = Svc()\n        return total\n"
            "    return bump\n\nclass Svc:\n    def run(self): ...\n"
        ),
        (
            "from pathlib import Path\n_path = None\n\ndef get_path():\n    global _path\n"
            "    if _path is None:\n        _path = Path('data')\n    return _path\n"
        ),
    ]
    INVALID: ClassVar[list[Example]] = [
        (
            "from typing import Optional\n\nclass AuthService:\n    def login(self): ...\n\n"
            "_auth: Optional[AuthService] = None\n\ndef get_auth_service() -> AuthService:\n"
            "    global _auth\n    if _auth is None:\n        _auth = AuthService()\n"
            "    return _auth\n"
        ),
        (
            "import asyncio\nclass Db:\n    async def query(self): ...\n\n_db = None\n"
            "_lock = asyncio.Lock()\n\nasync def get_db():\n    global _db\n    if _db is None:\n"
            "        async with _lock:\n            if _db is None:\n                _db = Db()\n"
            "    return _db\n"
        ),
        (
            "import os\nclass Mailer:\n    def send(self): ...\n\n_mailer = None\n"
            "_initialized = False\n\nif os.environ.get('MAIL'):\n    def get_mailer():\n"
            "        global _mailer, _initialized\n        if not _initialized:\n"
            "            _mailer = Mailer()\n            _initialized = True\n"
            "        return _mailer\n"
        ),
        (
            "class Collector:\n    def record(self, v): ...\n\n_collector = None\n\n"
            "def record_latency(v):\n    global _collector\n    if _collector is None:\n"
            "        _collector = Collector()\n    _collector.record(v)\n\n"
            "def record_error(v):\n    global _collector\n    if _collector is None:\n"
            "        _collector = Collector()\n    _collector.record(v)\n"
        ),
        (
            "class Cache:\n    def get(self, k): ...\n\n_cache = None\n\nclass Holder:\n"
            "    def cache(self):\n        global _cache\n        if _cache is None:\n"
            "            _cache = Cache()\n        return _cache\n"
        ),
    ]

    def check(self, ctx: Context) -> Iterator[Finding]:
        """Yield one finding per module global that getters fill lazily with a service.

        When several functions fill the same global (a metrics module where every
        ``record_*()`` creates the collector on first use), the finding is at the first of
        them and names the others.
        """
        by_global: dict[tuple[str, str], list[Singleton]] = defaultdict(list)
        for single in ctx.inventory.singletons:
            if single.shape == "lazy_getter" and single.is_service:
                by_global[single.facts.path, single.holder].append(single)
        for getters in by_global.values():
            getters.sort(key=lambda s: s.anchor)
            first, others = getters[0], getters[1:]
            also = ""
            if others:
                names = ", ".join(f"`{s.accessor}()`" for s in others[:_NAMED])
                more = f" and {len(others) - _NAMED} more" if len(others) > _NAMED else ""
                also = f" (also filled by {names}{more})"
            yield self.finding(
                first.facts.path,
                first.anchor,
                first.accessor,
                cls=first.target.name,
                holder=first.holder,
                also=also,
            )
