"""A fresh container per test, the app on it, and overrides undone at teardown.

No singleton is reset here and no module is patched: each test builds its own
container from the registry, so nothing a test creates reaches the next one. With
``REDIS_URL`` and ``DATABASE_URL`` set, the same tests run against real servers; every
test gets a Redis namespace of its own, deleted on teardown.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
from fastapi import FastAPI
from fastapi.testclient import TestClient

from app.main import create_app
from app.services import build_registry
from app.settings import AppSettings
from rescope import Container
from rescope.testing import Overrides

RUN = uuid.uuid4().hex[:8]
PASSWORD = "hunter22secret"


@pytest.fixture(name="anyio_backend")
def fixture_anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(name="settings")
def fixture_settings(tmp_path: Path) -> Iterator[AppSettings]:
    """Settings from the environment, with this test's database file, storage and namespace."""
    namespace = f"{os.environ.get('APP_NAMESPACE', 'creator-test:')}{RUN}-{uuid.uuid4().hex[:6]}"
    settings = AppSettings(
        database_url=os.environ.get("DATABASE_URL") or f"sqlite:///{tmp_path / 'app.sqlite3'}",
        storage_dir=str(tmp_path / "storage"),
        app_namespace=namespace,
        password_iterations=1000,
    )
    yield settings
    if settings.redis_url:
        client = redis.Redis.from_url(settings.redis_url)
        try:
            keys = list(client.scan_iter(match=f"{namespace}*", count=1000))
            if keys:
                client.delete(*keys)
        finally:
            client.close()


@pytest.fixture(name="container")
def fixture_container(settings: AppSettings) -> Container:
    """A new container for this test; the app's lifespan closes it."""
    return Container(build_registry(settings))


@pytest.fixture(name="app")
def fixture_app(container: Container) -> FastAPI:
    return create_app(container)


@pytest.fixture(name="client")
def fixture_client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as client:
        yield client


@pytest.fixture(name="override")
def fixture_override(container: Container, client: TestClient) -> Iterator[Overrides]:
    """``override(Service, fake)``: in force until the test ends."""
    with Overrides(container) as override:
        yield override


def sign_up(client: TestClient, email: str | None = None) -> dict[str, Any]:
    """Register and log in a new user; return its id, token and auth headers."""
    email = email or f"user-{uuid.uuid4().hex[:8]}@example.com"
    response = client.post("/api/v1/auth/register", json={"email": email, "password": PASSWORD})
    assert response.status_code == 201, response.text
    response = client.post("/api/v1/auth/login", json={"email": email, "password": PASSWORD})
    assert response.status_code == 200, response.text
    body = response.json()
    token = body["tokens"]["access_token"]
    return {
        "id": body["user"]["id"],
        "email": email,
        "token": token,
        "tokens": body["tokens"],
        "headers": {"Authorization": f"Bearer {token}"},
    }


@pytest.fixture(name="user")
def fixture_user(client: TestClient) -> dict[str, Any]:
    return sign_up(client)


@pytest.fixture(name="other_user")
def fixture_other_user(client: TestClient) -> dict[str, Any]:
    return sign_up(client)


@pytest.fixture(name="brand_kit")
def fixture_brand_kit(client: TestClient, user: dict[str, Any]) -> dict[str, Any]:
    response = client.post(
        "/api/v1/brand-kits",
        json={
            "name": "Neon Nights",
            "palette": {"primary": "#FF00AA", "secondary": "#111111", "accent": "#00FFEE"},
            "tone": "energetic",
        },
        headers=user["headers"],
    )
    assert response.status_code == 201, response.text
    return response.json()
