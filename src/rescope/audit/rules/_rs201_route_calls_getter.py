"""RS201: a route handler that fetches a singleton in its body."""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from rescope.audit._model import Finding, Severity
from rescope.audit.rules._base import Context, Example, Rule
from rescope.audit.rules._routes import route_functions

__all__ = ["RouteCallsGetter"]


class RouteCallsGetter(Rule):
    """A FastAPI route (or websocket) handler that calls a singleton getter in its body.

    What it does:
        Finds calls of a service's accessor (lazy getter, cached getter, class-cached
        classmethod, singleton class) inside handlers decorated with ``@app.get``,
        ``@router.post``, ``@router.websocket`` and the other route decorators, through
        imports, aliases and re-exports. One finding per call.

    Why is this bad?
        The handler hides what it needs: tests cannot hand it a fake without patching
        modules, and the service's scope cannot change without editing every handler.

    Example:
        @router.post("/login")
        async def login(data: LoginRequest):
            auth = get_auth_service()
            return await auth.login(data)

    Use instead:
        @router.post("/login")
        async def login(data: LoginRequest, auth: Annotated[AuthService, Inject()]):
            return await auth.login(data)
    """

    code = "RS201"
    name = "route-calls-getter"
    severity = Severity.MEDIUM
    message = "route `{handler}` fetches `{cls}` by calling `{call}()` in its body"
    fix_title = "Declare `{cls}` as a parameter of `{handler}` and let the container inject it"
    VALID: ClassVar[list[Example]] = [
        {
            "app/services.py": "class Svc:\n    def run(self): ...\n\n_svc = None\n\n"
            "def get_svc():\n    global _svc\n    if _svc is None:\n        _svc = Svc()\n"
            "    return _svc\n",
            "app/routes.py": "from fastapi import APIRouter, Depends\n"
            "from app.services import Svc, get_svc\n\nrouter = APIRouter()\n\n"
            "@router.get('/x')\nasync def handler(svc: Svc = Depends(get_svc)):\n"
            "    return svc.run()\n",
        },
    ]
    INVALID: ClassVar[list[Example]] = [
        {
            "app/services/__init__.py": "from app.services.auth import get_auth_service\n",
            "app/services/auth.py": "class AuthService:\n    def login(self): ...\n\n"
            "_auth = None\n\ndef get_auth_service():\n    global _auth\n"
            "    if _auth is None:\n        _auth = AuthService()\n    return _auth\n",
            "app/routes.py": "from fastapi import APIRouter\n"
            "from app.services import get_auth_service as gas\n\nrouter = APIRouter()\n\n"
            "@router.websocket('/ws')\nasync def stream(ws):\n    auth = gas()\n"
            "    return auth.login()\n",
        },
    ]

    def check(self, ctx: Context) -> Iterator[Finding]:
        """Yield one finding per getter call in a handler body."""
        for facts, fn in route_functions(ctx):
            for call in fn.calls:
                if call.line < fn.line:
                    continue
                single = ctx.inventory.accessor_for(ctx.index.resolve(facts, call.name))
                if single is None or single.shape == "module_instance":
                    continue
                yield self.finding(
                    facts.path,
                    call.line,
                    f"{fn.qualname}:{call.name}",
                    handler=fn.qualname,
                    cls=single.target.name,
                    call=call.name,
                )
