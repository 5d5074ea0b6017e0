"""RS202: a route handler that builds a service inline from getters."""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from rescope.audit._model import Finding, Severity
from rescope.audit.rules._base import Context, Example, Rule
from rescope.audit.rules._routes import inline_constructions, route_functions

__all__ = ["RouteBuildsService"]


class RouteBuildsService(Rule):
    """A route handler that constructs a service from getter calls: ``Svc(get_x())``.

    What it does:
        Finds calls in handler bodies that instantiate a project service class with the
        result of a singleton or value getter among the arguments.

    Why is this bad?
        Each request wires the object graph by hand: the wiring is repeated in every handler
        that needs the service, and tests must patch the getters to replace it.

    Example:
        @router.get("/search")
        async def search(q: str):
            service = KnowledgeService(get_supabase())
            return await service.search(q)

    Use instead:
        @router.get("/search")
        async def search(q: str, service: Annotated[KnowledgeService, Inject()]):
            return await service.search(q)
    """

    code = "RS202"
    name = "route-builds-service"
    severity = Severity.MEDIUM
    message = "route `{handler}` builds `{cls}` inline from `{getters}`"
    fix_title = "Register `{cls}` with its dependencies in the container and inject it"
    VALID: ClassVar[list[Example]] = [
        {
            "app/routes.py": "from fastapi import APIRouter\n\nrouter = APIRouter()\n\n"
            "class Page:\n    def render(self): ...\n\n@router.get('/p')\n"
            "def page(n: int):\n    return Page(str(n)).render()\n",
        },
    ]
    INVALID: ClassVar[list[Example]] = [
        {
            "app/db.py": "import supabase\n\n_client = None\n\ndef get_supabase():\n"
            "    global _client\n    if _client is None:\n"
            "        _client = supabase.create_client('u', 'k')\n    return _client\n",
            "app/routes.py": "from fastapi import APIRouter\nfrom app.db import get_supabase\n\n"
            "router = APIRouter()\n\nclass KnowledgeService:\n"
            "    def __init__(self, db): self.db = db\n    def search(self, q): ...\n\n"
            "@router.get('/search')\nasync def search(q: str):\n"
            "    return KnowledgeService(get_supabase()).search(q)\n",
        },
    ]

    def check(self, ctx: Context) -> Iterator[Finding]:
        """Yield one finding per inline construction in a handler."""
        for facts, fn in route_functions(ctx):
            for cls, call, getters, line in inline_constructions(ctx, facts, fn):
                yield self.finding(
                    facts.path,
                    line,
                    f"{fn.qualname}:{call}",
                    handler=fn.qualname,
                    cls=cls,
                    getters="()`, `".join(getters) + "()",
                )
