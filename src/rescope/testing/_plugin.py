"""The pytest plugin: a fresh container per test, ``override``, and app / client fixtures.

Registered under the ``pytest11`` entry point ``rescope``; without the entry point, load it
with ``-p rescope.testing._plugin``. Point it at the project's services in the ini file::

    [tool.pytest.ini_options]
    rescope_registry = "myapp.services:registry"   # a Registry, or a function returning one
    rescope_app = "myapp.main:create_app"          # a function of the Container (optional)

or define the ``rescope_registry`` / ``rescope_app`` fixtures in ``conftest.py`` instead.
"""

from __future__ import annotations

import asyncio
import importlib
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from typing import Any

import pytest

from rescope._extras import import_extra
from rescope.di import Container, Registry
from rescope.exceptions import AsyncFinalizerError, ConfigurationError
from rescope.testing._overrides import Overrides
from rescope.testing._server import LiveServer, serve

__all__ = [
    "fixture_override",
    "fixture_rescope_app",
    "fixture_rescope_async_client",
    "fixture_rescope_client",
    "fixture_rescope_container",
    "fixture_rescope_registry",
    "fixture_rescope_server",
    "pytest_addoption",
]

REGISTRY_OPTION = "rescope_registry"
APP_OPTION = "rescope_app"


def pytest_addoption(parser: pytest.Parser) -> None:
    """Declare the ini options that name the project's registry and app factory."""
    parser.addini(
        REGISTRY_OPTION,
        "import string of the project's rescope Registry (or a function returning a Registry"
        " or a Container), e.g. myapp.services:registry",
        default="",
    )
    parser.addini(
        APP_OPTION,
        "import string of a function taking the test's Container and returning the ASGI app,"
        " e.g. myapp.main:create_app",
        default="",
    )


def load(spec: str, *, option: str) -> Any:
    """Import the object ``"package.module:attribute"`` names.

    Args:
        spec: The import string.
        option: The ini option it came from, for the error.

    Raises:
        ConfigurationError: The string is malformed or does not import.
    """
    module_name, _, attribute = spec.partition(":")
    try:
        if not module_name or not attribute:
            msg = "it is not of the form `package.module:attribute`"
            raise ValueError(msg)  # noqa: TRY301 - one message for every way it is wrong
        target: Any = importlib.import_module(module_name)
        for part in attribute.split("."):
            target = getattr(target, part)
    except (ImportError, AttributeError, ValueError) as exc:
        raise ConfigurationError(
            f"`{option} = {spec!r}` cannot be loaded: {exc}.",
            setting=option,
            hint=f'`{option} = "package.module:attribute"` naming an object importable from'
            " the directory pytest runs in.",
        ) from exc
    return target


def build_container(source: Any) -> Container:
    """A new container from a Registry, registries, or a function returning either (or one).

    Args:
        source: What ``rescope_registry`` gave.

    Raises:
        ConfigurationError: ``source`` is none of those, or is a built Container (which
            would be shared between tests).
    """
    if callable(source) and not isinstance(source, Registry | Container):
        source = source()
    if isinstance(source, Container):
        if source.closed:
            raise _shared_container(source)
        return source
    if isinstance(source, Registry):
        return Container(source)
    if isinstance(source, Sequence) and all(isinstance(r, Registry) for r in source):
        return Container(*source)
    raise ConfigurationError(
        f"rescope_registry gave {source!r}, which is not a Registry.",
        setting=REGISTRY_OPTION,
        hint="pointing it at a Registry, a list of registries, or a function returning a"
        " Registry or a new Container.",
    )


def _shared_container(container: Container) -> ConfigurationError:
    return ConfigurationError(
        f"rescope_registry gave {container!r}, which is already closed: an earlier test"
        " closed it, so one container is being shared between tests.",
        setting=REGISTRY_OPTION,
        hint="giving the Registry (a fresh Container is built per test), or a function"
        " that returns a new Container each time it is called.",
    )


def close_container(container: Container) -> None:
    """Close ``container``; async finalizers run on a fresh event loop.

    Raises:
        CleanupError: Finalizers failed (the test's teardown reports them).
    """
    try:
        container.close()
    except AsyncFinalizerError:
        asyncio.run(container.aclose())


@pytest.fixture(name="rescope_registry")
def fixture_rescope_registry(pytestconfig: pytest.Config) -> Any:
    """The project's registry, from the ``rescope_registry`` ini option; override to change."""
    spec = str(pytestconfig.getini(REGISTRY_OPTION) or "")
    if not spec:
        raise ConfigurationError(
            "the rescope_container fixture needs the project's registry, and none is named.",
            setting=REGISTRY_OPTION,
            hint='`rescope_registry = "myapp.services:registry"` in the pytest ini options,'
            " or a `rescope_registry` fixture in conftest.py returning the Registry.",
        )
    return load(spec, option=REGISTRY_OPTION)


@pytest.fixture(name="rescope_container")
def fixture_rescope_container(rescope_registry: Any) -> Iterator[Container]:
    """A fresh Container for this test, closed on teardown (a CleanupError fails the teardown)."""
    container = build_container(rescope_registry)
    try:
        yield container
    finally:
        close_container(container)


@pytest.fixture(name="override")
def fixture_override(rescope_container: Container) -> Iterator[Overrides]:
    """``override(Service, fake)``: replaced now, undone by ``with`` or at teardown."""
    with Overrides(rescope_container) as overrides:
        yield overrides


@pytest.fixture(name="rescope_app")
def fixture_rescope_app(pytestconfig: pytest.Config, rescope_container: Container) -> Any:
    """The app built on this test's container, from the ``rescope_app`` ini option."""
    spec = str(pytestconfig.getini(APP_OPTION) or "")
    if not spec:
        raise ConfigurationError(
            "the client fixtures need the app, and no app factory is named.",
            setting=APP_OPTION,
            hint='`rescope_app = "myapp.main:create_app"` (a function of the Container) in'
            " the pytest ini options, or a `rescope_app` fixture in conftest.py.",
        )
    factory: Callable[[Container], Any] = load(spec, option=APP_OPTION)
    return factory(rescope_container)


@pytest.fixture(name="rescope_client")
def fixture_rescope_client(rescope_app: Any) -> Iterator[Any]:
    """A Starlette ``TestClient`` on the app, with its lifespan run around the test."""
    testclient = import_extra("starlette.testclient", extra="fastapi", module=__name__)
    with testclient.TestClient(rescope_app) as client:
        yield client


@pytest.fixture(name="rescope_async_client")
async def fixture_rescope_async_client(
    rescope_app: Any,
    anyio_backend: Any,  # noqa: ARG001 - runs the fixture on anyio's event loop
) -> AsyncIterator[Any]:
    """An ``httpx.AsyncClient`` over ``ASGITransport``, with the app's lifespan run around it."""
    httpx = import_extra("httpx", extra="testing", module=__name__)
    router = getattr(rescope_app, "router", None)
    lifespan = getattr(router, "lifespan_context", None)
    transport = httpx.ASGITransport(app=rescope_app)
    if lifespan is None:
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            yield client
        return
    async with (
        lifespan(rescope_app),
        httpx.AsyncClient(transport=transport, base_url="http://testserver") as client,
    ):
        yield client


@pytest.fixture(name="rescope_server")
async def fixture_rescope_server(
    rescope_app: Any,
    anyio_backend: Any,  # noqa: ARG001 - runs the fixture on anyio's event loop
) -> AsyncIterator[LiveServer]:
    """The app served by uvicorn in the test's event loop; ``.url`` is where it listens."""
    async with serve(rescope_app) as server:
        yield server
