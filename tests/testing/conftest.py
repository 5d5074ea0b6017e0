"""Deployments of the isolation app: two real uvicorn processes sharing the shared Redis."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from pathlib import Path

import pytest

from rescope.testing import UvicornProcess
from tests.servers import SHARED_REDIS_URL, ServerMissingError, require_shared_redis
from tests.testing.isolation_suite import Deployment

ROOT = Path(__file__).resolve().parents[2]
APP = "tests.testing.isolation_app.main:from_env"


def start_instances(
    mode: str, namespace: str, count: int = 2, **env: str
) -> tuple[ExitStack, list[UvicornProcess]]:
    """Start ``count`` app processes at once; the stack stops them by their pids."""
    try:
        require_shared_redis()
    except ServerMissingError as exc:
        pytest.fail(str(exc), pytrace=False)
    environment = {
        "ISOLATION_MODE": mode,
        "REDIS_URL": SHARED_REDIS_URL,
        "ISOLATION_NAMESPACE": namespace,
        **env,
    }
    servers = [UvicornProcess(APP, factory=True, env=environment, cwd=ROOT) for _ in range(count)]
    stack = ExitStack()
    for server in servers:
        stack.callback(server.close)
    with ThreadPoolExecutor(count) as pool:
        list(pool.map(lambda server: server.start(), servers))
    return stack, servers


def deployment(mode: str) -> Iterator[Deployment]:
    namespace = f"rescope-test:{uuid.uuid4().hex[:12]}:isolation-{mode}"
    stack, servers = start_instances(mode, namespace)
    with stack:
        yield Deployment(mode, (servers[0].url, servers[1].url), namespace)


@pytest.fixture(name="scoped_app", scope="module")
def fixture_scoped_app() -> Iterator[Deployment]:
    """The isolation app built the rescope way, on two processes."""
    yield from deployment("scoped")


@pytest.fixture(name="singleton_app", scope="module")
def fixture_singleton_app() -> Iterator[Deployment]:
    """The same app with one global instance of each per-user service, on two processes."""
    yield from deployment("singleton")


@pytest.fixture(name="memory_app")
def fixture_memory_app(request: pytest.FixtureRequest) -> Iterator[str]:
    """One process of the app (mode from the test's parameter) keeping at most 10 user scopes."""
    namespace = f"rescope-test:{uuid.uuid4().hex[:12]}:memory"
    stack, servers = start_instances(request.param, namespace, count=1, MAX_USERS="10")
    with stack:
        yield servers[0].url
