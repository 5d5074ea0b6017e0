"""Phase ``routes``: before/after cases, each also checked to be idempotent."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.migrate.helpers import dedent, routes_after


def test_call_in_body_becomes_an_annotated_parameter(tmp_path: Path) -> None:
    """A getter call in a handler body becomes a parameter typed with the service's alias."""
    before = """
        from fastapi import APIRouter

        from app.services.auth import get_auth

        router = APIRouter()


        @router.get("/check")
        async def check(token: str):
            return {"ok": get_auth().check(token)}
    """
    assert routes_after(tmp_path, before) == dedent("""
        from fastapi import APIRouter

        from app.service_dependencies import AuthServiceDep

        router = APIRouter()


        @router.get("/check")
        async def check(token: str, auth_service: AuthServiceDep):
            return {"ok": auth_service.check(token)}
    """)


def test_local_variable_is_reused_and_its_line_removed(tmp_path: Path) -> None:
    """`svc = get_svc()` goes away and `svc` becomes the parameter; the comment above stays."""
    before = '''
        from fastapi import APIRouter

        from app.services.mail import get_mailer

        router = APIRouter()


        @router.post("/send")
        def send(to: str, cc: str = ""):
            """Send one mail."""
            # the shared mailer
            mailer = get_mailer()
            return mailer.send(to)
    '''
    assert routes_after(tmp_path, before) == dedent('''
        from fastapi import APIRouter

        from app.service_dependencies import MailerDep

        router = APIRouter()


        @router.post("/send")
        def send(to: str, mailer: MailerDep, cc: str = ""):
            """Send one mail."""
            # the shared mailer
            return mailer.send(to)
    ''')


def test_handler_with_depends_defaults_gets_the_same_style(tmp_path: Path) -> None:
    """A handler already using `x: T = Depends(f)` gets `svc: Service = Depends(provide_svc)`."""
    before = """
        from fastapi import APIRouter, Depends, Header

        from app.services.auth import AuthService, get_auth

        router = APIRouter()


        def token(authorization: str = Header("")) -> str:
            return authorization


        @router.get("/me")
        async def me(tok: str = Depends(token)):
            return {"ok": get_auth().check(tok)}
    """
    assert routes_after(tmp_path, before) == dedent("""
        from fastapi import APIRouter, Depends, Header

        from app.services.auth import AuthService
        from app.service_dependencies import provide_auth_service

        router = APIRouter()


        def token(authorization: str = Header("")) -> str:
            return authorization


        @router.get("/me")
        async def me(tok: str = Depends(token), auth_service: AuthService = Depends(provide_auth_service)):
            return {"ok": auth_service.check(tok)}
    """)  # noqa: E501


def test_multiline_signature_keeps_one_parameter_per_line(tmp_path: Path) -> None:
    """In a one-per-line signature the new parameter gets its own line and the trailing comma."""
    before = """
        from fastapi import APIRouter

        from app.services.mail import get_mailer

        router = APIRouter()


        @router.post("/send")
        async def send(
            to: str,
            subject: str,
        ):
            return get_mailer().send(to)
    """
    assert routes_after(tmp_path, before) == dedent("""
        from fastapi import APIRouter

        from app.service_dependencies import MailerDep

        router = APIRouter()


        @router.post("/send")
        async def send(
            to: str,
            subject: str,
            mailer: MailerDep,
        ):
            return mailer.send(to)
    """)


def test_hanging_indent_signature_copies_the_neighbours_line_break(tmp_path: Path) -> None:
    """A parameter appended to a hanging-indent signature goes on a new aligned line."""
    before = """
        from fastapi import APIRouter, Depends

        from app.services.mail import get_mailer

        router = APIRouter()


        def user() -> str:
            return "u"


        @router.post("/send")
        async def send(to: str, subject: str,
                       who: str = Depends(user)):
            return get_mailer().send(to)
    """
    after = routes_after(tmp_path, before)
    assert "async def send(to: str, subject: str,\n" in after
    assert "               who: str = Depends(user),\n" in after
    assert "               mailer: Mailer = Depends(provide_mailer)):\n" in after


def test_async_getter_and_websocket_route(tmp_path: Path) -> None:
    """`await get_bus()` in a websocket route becomes the injected parameter itself."""
    before = """
        from fastapi import APIRouter, WebSocket

        from app.services.bus import get_bus

        router = APIRouter()


        @router.websocket("/ws")
        async def events(websocket: WebSocket):
            await websocket.accept()
            while True:
                message = await websocket.receive_text()
                bus = await get_bus()
                await websocket.send_text(await bus.publish(message))
    """
    assert routes_after(tmp_path, before) == dedent("""
        from fastapi import APIRouter, WebSocket

        from app.service_dependencies import BusDep

        router = APIRouter()


        @router.websocket("/ws")
        async def events(websocket: WebSocket, bus: BusDep):
            await websocket.accept()
            while True:
                message = await websocket.receive_text()
                await websocket.send_text(await bus.publish(message))
    """)


def test_getter_import_stays_while_a_helper_still_uses_it(tmp_path: Path) -> None:
    """The getter import stays when a helper still calls it; the helper is left alone."""
    before = """
        from fastapi import APIRouter

        from app.services.auth import get_auth

        router = APIRouter()


        def allowed(token: str) -> bool:
            return get_auth().check(token)


        @router.get("/check")
        async def check(token: str):
            return {"ok": get_auth().check(token), "again": allowed(token)}
    """
    after = routes_after(tmp_path, before)
    assert "from app.services.auth import get_auth\n" in after
    assert "    return get_auth().check(token)\n" in after
    assert '    return {"ok": auth_service.check(token), "again": allowed(token)}\n' in after


def test_removing_an_import_keeps_the_neighbours_comments(tmp_path: Path) -> None:
    """Removing a getter import keeps the comment above it and the comment of a kept name."""
    before = """
        from fastapi import APIRouter

        # services the routes use
        from app.services.auth import (
            AuthService,  # for the type
            get_auth,  # the getter
        )
        # mail
        from app.services.mail import get_mailer

        router = APIRouter()


        @router.get("/x")
        async def x(token: str) -> bool:
            service: AuthService = get_auth()
            return service.check(token) and bool(get_mailer())
    """
    after = routes_after(tmp_path, before)
    assert "# services the routes use\n" in after
    assert "    AuthService,  # for the type\n)\n" in after
    assert "# mail\n" in after
    assert "get_mailer" not in after


def test_no_blank_line_is_inserted_before_a_decorated_function(tmp_path: Path) -> None:
    """A new import after the last import leaves the lines before the next statement alone."""
    before = """
        from fastapi import APIRouter
        from app.services.auth import get_auth
        router = APIRouter()
        @router.get("/x")
        async def x():
            return get_auth().check("ok")
    """
    assert routes_after(tmp_path, before) == dedent("""
        from fastapi import APIRouter
        from app.service_dependencies import AuthServiceDep
        router = APIRouter()
        @router.get("/x")
        async def x(auth_service: AuthServiceDep):
            return auth_service.check("ok")
    """)


@pytest.mark.parametrize(
    "before",
    [
        pytest.param(
            """
            from fastapi import APIRouter

            from app.service_dependencies import AuthServiceDep

            router = APIRouter()


            @router.get("/x")
            async def x(auth: AuthServiceDep):
                return auth.check("ok")
            """,
            id="already-injected",
        ),
        pytest.param(
            """
            from app.services.auth import get_auth


            def not_a_route():
                return get_auth()


            async def task():
                auth = get_auth()
                return auth
            """,
            id="not-a-route",
        ),
        pytest.param(
            """
            from fastapi import APIRouter

            from app.services.bus import get_bus

            router = APIRouter()


            @router.get("/x")
            async def x():
                coroutine = get_bus()  # not awaited: a coroutine, not the service
                return await coroutine
            """,
            id="unawaited-async-getter",
        ),
    ],
)
def test_code_with_nothing_to_inject_is_left_alone(tmp_path: Path, before: str) -> None:
    """Injected handlers, plain functions and unawaited async getters stay byte for byte."""
    assert routes_after(tmp_path, before) == dedent(before)
