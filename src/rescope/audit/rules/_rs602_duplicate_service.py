"""RS602: duplicate service implementations, and service modules nothing imports."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterator
from itertools import combinations
from typing import ClassVar

from rescope.audit._clients import is_service_class, looks_like_service_name
from rescope.audit._facts import ClassFacts, ModuleFacts
from rescope.audit._model import Finding, Severity
from rescope.audit.rules._base import Context, Example, Rule

__all__ = ["DuplicateService"]

_MIN_OVERLAP = 0.5  # same-named classes must share half their public methods

_INTERFACE_BASES = frozenset({"Protocol", "ABC", "Generic"})
_DOUBLES = ("Fake", "Mock", "Stub", "Dummy", "Scripted", "Null", "Noop", "InMemory")
_ENTRY_MODULES = frozenset({"__main__", "main", "app", "asgi", "wsgi", "manage", "conftest"})
_STORE = "    def get(self, k): ...\n    def put(self, k, v): ...\n    def delete(self, k): ...\n"
_SERVICE = (
    "class AuthService:\n    def register(self, email, password): ...\n"
    "    def login(self, email, password): ...\n    def refresh(self, token): ...\n"
    "    def logout(self, token): ...\n"
)


def _public(cls: ClassFacts) -> frozenset[str]:
    return frozenset(m.name for m in cls.methods if not m.name.startswith("_"))


def _is_interface(cls: ClassFacts) -> bool:
    return cls.metaclass.endswith("ABCMeta") or any(
        b.rpartition(".")[2].partition("[")[0] in _INTERFACE_BASES for b in cls.bases
    )


def _is_double(name: str) -> bool:
    return name.startswith(_DOUBLES) or name.endswith(_DOUBLES)


class DuplicateService(Rule):
    """Service classes implemented twice, and service modules that nothing imports.

    What it does:
        Compares the service classes of the project's non-test modules: the same service-like
        class name defined in several modules with nearly the same public methods (nearly all
        of the smaller API inside the larger, and half of both shared: a same-named class
        with another API, or none, is not a duplicate), or two classes whose public method
        sets are nearly the same (Jaccard similarity at least ``similarity``, default 0.8,
        with at least ``min-methods`` public methods each), as in ``auth.py`` vs
        ``optimized_auth.py`` vs ``auth_service.py``. Both classes must act as services:
        named like one (``...Service``, ``...Client``) or held by a singleton. Classes
        related by inheritance, implementations of a shared ``Protocol``/ABC, sync/async twins
        (``Client``/``AsyncClient``, ``sync_api``/``async_api``, ``pkg.x``/``pkg.asyncio.x``)
        and test doubles (``Fake...``, ``...Stub``) are not duplicates. Also
        reports a module defining a singleton service that no other module imports: by
        default only when it also holds a duplicate (the abandoned half), with
        ``unimported-modules = "all"`` for every such module (``"none"`` for none).

    Why is this bad?
        Two implementations of one service drift apart: a fix lands in one, callers pick one
        at random, and the other is dead code that still has to be migrated, tested and
        reviewed. An unimported service module is usually the abandoned half.

    Example:
        # backend/services/auth_service.py
        class AuthService: ...            # register, login, refresh, logout
        # backend/services/optimized_auth.py (nothing imports it)
        class OptimizedAuthService: ...   # register, login, refresh, logout

    Use instead:
        # one AuthService behind one provider; an optimisation is a change to it (or a
        # second implementation of one Protocol, chosen in the container's registration)
    """

    code = "RS602"
    name = "duplicate-service"
    severity = Severity.LOW
    message = "{what}"
    fix_title = "{fix}"
    OPTIONS: ClassVar[dict[str, object]] = {
        "similarity": 0.8,
        "min-methods": 3,
        "unimported-modules": "duplicates",
    }
    VALID: ClassVar[list[Example]] = [
        {
            "app/store.py": "from typing import Protocol\n\nclass Store(Protocol):\n" + _STORE,
            "app/redis_store.py": "from app.store import Store\n\nclass RedisStore(Store):\n"
            + _STORE,
            "app/memory_store.py": "class MemoryStore:\n" + _STORE,
            "app/main.py": "from app.redis_store import RedisStore\nfrom app.memory_store import"
            " MemoryStore\n",
        },
        {
            "app/auth.py": _SERVICE,
            "app/main.py": "from app.auth import AuthService\n",
            "tests/test_auth.py": "class FakeAuthService:\n    def register(self, e, p): ...\n"
            "    def login(self, e, p): ...\n    def refresh(self, t): ...\n"
            "    def logout(self, t): ...\n",
        },
        {  # same name, different APIs: a test proxy's Connection beside the driver's
            "pg/connection.py": "class Connection:\n    def execute(self, q): ...\n"
            "    def fetch(self, q): ...\n    def prepare(self, q): ...\n"
            "    def transaction(self): ...\n    def close(self): ...\n",
            "pg/_testbase/fuzzer.py": "class Connection:\n    async def prepare(self): ...\n"
            "    async def use_client_stream(self): ...\n    async def start_tls(self, c): ...\n"
            "    def close(self): ...\n",
        },
        {  # an import-failure stand-in of the same name, with no methods
            "hc/_async/http2.py": "class AsyncHTTP2Connection:\n"
            "    async def handle_request(self, r): ...\n    async def aclose(self): ...\n",
            "hc/_async/__init__.py": "try:\n    from .http2 import AsyncHTTP2Connection\n"
            "except ImportError:\n    class AsyncHTTP2Connection:\n"
            "        def __init__(self, *a):\n            raise RuntimeError('no h2')\n",
        },
        {  # visitors sharing a method convention are not services
            "tc/type_visitor.py": "class TypeQuery:\n    def visit_any(self, t): ...\n"
            "    def visit_instance(self, t): ...\n    def visit_union(self, t): ...\n",
            "tc/astmerge.py": "class TypeReplaceVisitor:\n    def visit_any(self, t): ...\n"
            "    def visit_instance(self, t): ...\n    def visit_union(self, t): ...\n",
        },
        {  # a sync API and its asyncio twin in a sub-package
            "rd/connection.py": "class ConnectionPool:\n    def get_connection(self): ...\n"
            "    def release(self, c): ...\n    def disconnect(self): ...\n",
            "rd/asyncio/connection.py": "class ConnectionPool:\n"
            "    async def get_connection(self): ...\n    async def release(self, c): ...\n"
            "    async def disconnect(self): ...\n",
        },
    ]
    INVALID: ClassVar[list[Example]] = [
        {
            "app/auth_service.py": _SERVICE,
            "app/optimized_auth.py": _SERVICE.replace("AuthService", "OptimizedAuthService")
            + "\n_svc = None\n\ndef get_optimized_auth_service():\n    global _svc\n"
            "    if _svc is None:\n        _svc = OptimizedAuthService()\n    return _svc\n",
            "app/main.py": "from app.auth_service import AuthService\n",
        },
        {
            "app/a/notifier.py": "class WebhookNotifier:\n    def notify(self, job): ...\n",
            "app/b/notifier.py": "class WebhookNotifier:\n    def notify(self, job): ...\n"
            "    def wait(self, job): ...\n",
        },
    ]

    def check(self, ctx: Context) -> Iterator[Finding]:
        """Yield duplicate classes (both ends) and unimported service modules."""
        duplicates = list(self._duplicates(ctx))
        yield from duplicates
        scope = self.options.get("unimported-modules", "duplicates")
        if scope == "all":
            yield from self._unimported(ctx, None)
        elif scope == "duplicates":
            yield from self._unimported(ctx, {f.path for f in duplicates})

    def _candidates(self, ctx: Context) -> list[tuple[ModuleFacts, ClassFacts]]:
        out = []
        for facts in ctx.modules:
            if facts.is_test or facts.problem is not None:
                continue
            for cls in facts.classes:
                if _is_interface(cls) or _is_double(cls.name) or not is_service_class(cls):
                    continue
                out.append((facts, cls))
        return out

    def _pairs(  # noqa: C901
        self, group: list[tuple[ModuleFacts, ClassFacts]]
    ) -> Iterator[tuple[int, int, str]]:
        """Index pairs of ``group`` that look like duplicates, with the reason."""
        similarity = self.options.get("similarity", 0.8)
        similarity = float(similarity) if isinstance(similarity, int | float) else 0.8
        min_methods = self.options.get("min-methods", 3)
        min_methods = min_methods if isinstance(min_methods, int) else 3
        by_name: dict[str, list[int]] = defaultdict(list)
        by_method: dict[str, list[int]] = defaultdict(list)
        publics = [_public(cls) for _, cls in group]
        for i, (_, cls) in enumerate(group):
            if looks_like_service_name(cls.name):
                by_name[cls.name].append(i)
            if len(publics[i]) >= min_methods:
                for method in publics[i]:
                    by_method[method].append(i)
        for members in by_name.values():
            for i, j in combinations(members, 2):
                if _same_api(publics[i], publics[j], similarity):
                    yield i, j, "the same class name"
        shared_counts: dict[tuple[int, int], int] = defaultdict(int)
        for members in by_method.values():
            for i, j in combinations(members, 2):
                shared_counts[i, j] += 1
        for (i, j), shared in shared_counts.items():
            union = len(publics[i] | publics[j])
            if shared / union >= similarity and group[i][1].name != group[j][1].name:
                names = ", ".join(sorted(publics[i] & publics[j]))
                yield i, j, f"nearly the same public methods ({names})"

    def _duplicates(self, ctx: Context) -> Iterator[Finding]:
        interfaces = [
            _public(cls) for facts in ctx.modules for cls in facts.classes if _is_interface(cls)
        ]
        by_package: dict[str, list[tuple[ModuleFacts, ClassFacts]]] = defaultdict(list)
        for facts, cls in self._candidates(ctx):
            by_package[facts.module.partition(".")[0]].append((facts, cls))
        reported: set[tuple[str, int]] = set()
        served = {f"{s.module}.{s.name}" for s in ctx.inventory.services}
        for group in by_package.values():
            for i, j, why in sorted(self._pairs(group)):
                (fa, a), (fb, b) = group[i], group[j]
                if not (_acts_as_service(fa, a, served) and _acts_as_service(fb, b, served)):
                    continue
                if fa.module == fb.module or _related(ctx, fa, a, fb, b) or _twins(fa, a, fb, b):
                    continue
                shared = _public(a) & _public(b)
                if why != "the same class name" and any(shared <= i for i in interfaces):
                    continue
                for (f1, c1), (f2, c2) in (((fa, a), (fb, b)), ((fb, b), (fa, a))):
                    if (f1.path, c1.line) in reported:
                        continue
                    reported.add((f1.path, c1.line))
                    yield self.finding(
                        f1.path,
                        c1.line,
                        f"{f1.module}.{c1.name}",
                        what=f"`{c1.name}` duplicates `{f2.module}.{c2.name}` "
                        f"({f2.path}:{c2.line}): {why}",
                        fix="Keep one implementation behind one provider; merge or delete "
                        "the other",
                    )

    def _unimported(self, ctx: Context, only: set[str] | None) -> Iterator[Finding]:
        imported: set[str] = set()
        for facts in ctx.modules:
            for target in (*facts.imports.values(), *facts.star_imports):
                parts = target.split(".")
                for n in range(1, len(parts) + 1):
                    imported.add(".".join(parts[:n]))
            for fn in facts.all_functions():
                for call in fn.calls:
                    parts = call.name.split(".")
                    for n in range(2, len(parts)):
                        imported.add(".".join(parts[:n]))
        by_module = {s.module for s in ctx.inventory.services if not s.external}
        for facts in ctx.modules:
            stem = facts.module.rpartition(".")[2]
            if (
                facts.module not in by_module
                or facts.is_test
                or facts.is_package
                or stem in _ENTRY_MODULES
                or facts.module in imported
                or (only is not None and facts.path not in only)
            ):
                continue
            yield self.finding(
                facts.path,
                1,
                facts.module,
                what=f"service module `{facts.module}` is imported by no other module",
                fix="Delete it if it is abandoned, or register its service with the container",
            )


def _same_api(a: frozenset[str], b: frozenset[str], similarity: float) -> bool:
    """Whether two same-named classes offer nearly the same public methods.

    Nearly all of the smaller API is in the larger one, and the two share at least half of
    their methods together: a copy that grew a method or two, not an unrelated class that
    happens to share a common name (a test proxy's ``Connection`` beside the driver's, or an
    import-failure stub with no methods).
    """
    shared = len(a & b)
    if not shared:
        return False
    return shared / min(len(a), len(b)) >= similarity and shared / len(a | b) >= _MIN_OVERLAP


def _acts_as_service(facts: ModuleFacts, cls: ClassFacts, served: set[str]) -> bool:
    """Named like a service (``...Service``, ``...Client``) or held by some singleton.

    Classes that share an interface by convention (visitors with ``visit_*`` methods,
    serialisable nodes with ``serialize``/``deserialize``, dialects) are not services.
    """
    return looks_like_service_name(cls.name) or f"{facts.module}.{cls.name}" in served


def _sans_async(text: str) -> str:
    return re.sub(r"\.{2,}", ".", re.sub(r"(?i)_?a?sync(io)?_?|aio", "", text)).strip(".")


def _twins(fa: ModuleFacts, a: ClassFacts, fb: ModuleFacts, b: ClassFacts) -> bool:
    """A sync API and its async twin (``Client``/``AsyncClient``, ``sync_api``/``async_api``).

    For classes of two different modules: any two classes of a module and its async
    mirror (``pkg.x``/``pkg.asyncio.x``) are twins.
    """
    if _sans_async(fa.module) == _sans_async(fb.module):
        return True
    return a.name != b.name and _sans_async(a.name) == _sans_async(b.name)


def _related(ctx: Context, fa: ModuleFacts, a: ClassFacts, fb: ModuleFacts, b: ClassFacts) -> bool:
    """Whether one class inherits from the other, or both from a common project class."""
    bases_a = {ctx.index.resolve(fa, base) for base in a.bases}
    bases_b = {ctx.index.resolve(fb, base) for base in b.bases}
    if f"{fb.module}.{b.name}" in bases_a or f"{fa.module}.{a.name}" in bases_b:
        return True
    return bool(bases_a & bases_b - {"object"})
