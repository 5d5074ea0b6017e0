"""A fresh container per test, the app on it, and overrides undone at teardown.

The rescope pytest plugin provides the container, the app, the client and ``override``;
this file only gives it the registry built on each test's settings. No singleton is reset
here and no module is patched: each test builds its own container from the registry, so
nothing a test creates reaches the next one. With
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

from app.services import build_registry
from app.settings import AppSettings
from rescope import Registry

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


@pytest.fixture(name="rescope_registry")
def fixture_rescope_registry(settings: AppSettings) -> Registry:
    """The app's registry on this test's settings, for the rescope plugin's fixtures.

    The plugin builds a fresh container from it for each test (``rescope_container``),
    the app on it (``rescope_app``: ``create_app`` named in pyproject.toml), and its
    ``override`` fixture replaces services until the test ends.
    """
    return build_registry(settings)


@pytest.fixture(name="app")
def fixture_app(rescope_app: FastAPI) -> FastAPI:
    return rescope_app


@pytest.fixture(name="client")
def fixture_client(rescope_client: TestClient) -> TestClient:
    return rescope_client


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
