"""FastAPI integration: injected parameters, request / websocket / user scopes, lifespan.

Needs ``rescope[fastapi]``::

    app = FastAPI()

    @app.get("/me")
    async def me(auth: Inject[AuthService]) -> dict[str, str]: ...

    setup(app, registry)  # builds and validates the container at startup
"""

from rescope._extras import import_extra as _import_extra

_import_extra("fastapi", extra="fastapi", module=__name__)

from rescope.fastapi._inject import Inject, dependency_for, from_container  # noqa: E402
from rescope.fastapi._problems import PROBLEM_JSON, problem_response  # noqa: E402
from rescope.fastapi._runtime import CONNECTION, Integration, current_scope  # noqa: E402
from rescope.fastapi._setup import message_scope, setup  # noqa: E402
from rescope.fastapi._testing import ActiveOverride, Overrides  # noqa: E402
from rescope.fastapi._users import CurrentUser, UserLease, UserScopes  # noqa: E402

__all__ = [
    "ActiveOverride",
    "CONNECTION",
    "CurrentUser",
    "Inject",
    "Integration",
    "Overrides",
    "PROBLEM_JSON",
    "UserLease",
    "UserScopes",
    "current_scope",
    "dependency_for",
    "from_container",
    "message_scope",
    "problem_response",
    "setup",
]
