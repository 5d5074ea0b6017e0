"""RS601: the same external client built in several modules."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from typing import ClassVar

from rescope.audit._clients import client_class_name, client_label
from rescope.audit._model import Finding, Severity
from rescope.audit.rules._base import Context, Example, Rule

__all__ = ["DuplicateClient"]

_CLIENT = (
    "class Client:\n    def __init__(self):\n"
    "        self.redis = redis.Redis.from_url('redis://localhost')\n\n"
    "    def get(self, key):\n        return self.redis.get(key)\n"
)


class DuplicateClient(Rule):
    """The same external client (Redis, Anthropic, Supabase, httpx ...) built in several modules.

    What it does:
        Groups the constructions of external clients (``redis.Redis.from_url``,
        ``Anthropic(api_key=...)``, ``supabase.create_client``, ``httpx.AsyncClient``, the
        list the inventory knows) by library and client class, across the project's
        non-test modules, and reports every construction of a client built in at least
        ``min-modules`` modules (default 2).

    Why is this bad?
        Each copy opens its own connection pool, reads its own settings (and drifts: one
        forgets the timeout, another the retry policy), and must be faked separately in
        tests. When the service goes down there is no single place to add a circuit breaker.

    Example:
        # redis_client.py, analytics_service.py and optimized_auth.py each do:
        self._redis = redis.Redis.from_url(settings.redis_url, decode_responses=True)

    Use instead:
        # one provider, registered once, injected everywhere
        @provider(scope=Scope.APP)
        def redis_client(settings: Settings) -> Redis:
            return Redis.from_url(settings.redis_url, decode_responses=True)
    """

    code = "RS601"
    name = "duplicate-client"
    severity = Severity.LOW
    message = "`{call}` builds a {client} client here and in {others} other module(s): {where}"
    fix_title = "Build the {client} client once in one provider and inject it where needed"
    OPTIONS: ClassVar[dict[str, object]] = {"min-modules": 2}
    VALID: ClassVar[list[Example]] = [
        {
            "app/clients.py": "import redis\n\n"
            "def make_redis():\n    return redis.Redis.from_url('redis://localhost')\n",
            "app/cache.py": "from app.clients import make_redis\n\nclient = make_redis()\n",
            "tests/conftest.py": "import redis\n\ndef client():\n    return redis.Redis()\n",
        },
        {
            "app/a.py": "import redis\n\nclient = redis.Redis()\n",
            "app/b.py": "import httpx\n\nclient = httpx.AsyncClient()\n",
        },
    ]
    INVALID: ClassVar[list[Example]] = [
        {
            "app/a.py": "import redis\n\n" + _CLIENT,
            "app/b.py": "import redis\n\n" + _CLIENT,
            "app/c.py": "from anthropic import Anthropic\nimport redis\n\n"
            "r = redis.Redis()\nllm = Anthropic(api_key='k')\n",
        },
    ]

    def check(self, ctx: Context) -> Iterator[Finding]:
        """Yield every construction of a client that several modules build."""
        minimum = self.options.get("min-modules", 2)
        minimum = minimum if isinstance(minimum, int) else 2
        sites: dict[tuple[str, str], list[tuple[str, int, str, str]]] = defaultdict(list)
        for facts in ctx.modules:
            if facts.is_test or facts.problem is not None:
                continue
            calls = [(a.value.callee, a.line) for a in facts.assigns if a.value.kind == "call"]
            calls += [(c.name, c.line) for fn in facts.all_functions() for c in fn.calls]
            for name, line in calls:
                if name.partition(".")[0] not in facts.imports:
                    continue  # a local or attribute: the library cannot be told for sure
                qualified = ctx.index.resolve(facts, name)
                if ctx.index.is_project_name(qualified) or not client_label(qualified):
                    continue
                key = (qualified.partition(".")[0], client_class_name(qualified))
                sites[key].append((facts.path, line, name, facts.module))
        for (library, client), found in sorted(sites.items()):
            modules = sorted({module for _, _, _, module in found})
            if len(modules) < minimum:
                continue
            seen: set[tuple[str, int]] = set()
            for path, line, name, module in sorted(found):
                if (path, line) in seen:
                    continue
                seen.add((path, line))
                others = [m for m in modules if m != module]
                yield self.finding(
                    path,
                    line,
                    name.rpartition(".")[2],
                    call=name,
                    client=f"{library} {client}" if client.lower() != library else client,
                    others=len(others),
                    where=", ".join(f"`{m}`" for m in others),
                )
