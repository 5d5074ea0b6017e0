"""The rescope-style example app: its own suite on every backend, and a real server."""

from __future__ import annotations

import asyncio
import base64
import io
import json
import os
import re
import subprocess
import sys
import uuid
from pathlib import Path

import httpx
import pytest
from PIL import Image
from websockets.asyncio.client import ClientConnection, connect

from rescope.testing import UvicornProcess
from tests.servers import SharedRedis

APP = Path(__file__).resolve().parents[2] / "examples" / "app"
BACKEND_VARIABLES = ("REDIS_URL", "DATABASE_URL", "APP_NAMESPACE", "STORAGE_DIR", "PYTEST_ADDOPTS")


def _suite(tmp_path: Path, **variables: str) -> int:
    """Run the app's own pytest suite in a subprocess; return how many tests passed."""
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in BACKEND_VARIABLES}
    env.update(variables, TMPDIR=str(scratch))
    done = subprocess.run(
        [sys.executable, "-m", "pytest", f"--basetemp={tmp_path / 'basetemp'}"],
        cwd=APP,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    output = done.stdout + done.stderr
    assert done.returncode == 0, output[-4000:]
    assert not re.search(r"\d+ (failed|error)", output), output[-2000:]
    assert list(scratch.iterdir()) == [], "the app left temporary files behind"
    summary = re.search(r"(\d+) passed", output)
    assert summary is not None, output[-2000:]
    return int(summary.group(1))


@pytest.mark.slow
def test_app_suite_passes_on_the_embedded_defaults(tmp_path: Path) -> None:
    """Without Redis or a database server the suite passes on SQLite and in-process backends."""
    assert _suite(tmp_path) >= 40


@pytest.mark.slow
def test_app_suite_passes_on_real_redis_and_postgres(
    shared_redis: SharedRedis, postgres_dsn: str, tmp_path: Path
) -> None:
    """With REDIS_URL and DATABASE_URL the same suite passes and leaves no Redis key behind."""
    passed = _suite(
        tmp_path,
        REDIS_URL=shared_redis.url,
        APP_NAMESPACE=shared_redis.prefix,
        DATABASE_URL=postgres_dsn,
    )
    assert passed >= 40
    assert shared_redis.cleanup() == 0, "the app's suite left keys under its namespace"


def _png_b64() -> str:
    buffer = io.BytesIO()
    Image.new("RGB", (16, 16), "#00FFEE").save(buffer, format="PNG")
    return base64.b64encode(buffer.getvalue()).decode()


async def _sign_up(http: httpx.AsyncClient) -> dict[str, str]:
    email = f"user-{uuid.uuid4().hex[:8]}@example.com"
    credentials = {"email": email, "password": "hunter22secret"}
    assert (await http.post("/api/v1/auth/register", json=credentials)).status_code == 201
    body = (await http.post("/api/v1/auth/login", json=credentials)).json()
    token = body["tokens"]["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    kit = await http.post("/api/v1/brand-kits", json={"name": "Kit"}, headers=headers)
    return {"id": body["user"]["id"], "token": token, "kit": kit.json()["id"], **headers}


async def _start(http: httpx.AsyncClient, user: dict[str, str]) -> str:
    body = {"brand_kit_id": user["kit"], "kind": "emote", "subject": "happy cat"}
    headers = {"Authorization": user["Authorization"]}
    response = await http.post("/api/v1/generate", json=body, headers=headers)
    assert response.status_code == 202, response.text
    return str(response.json()["job_id"])


async def _next(ws: ClientConnection) -> dict[str, object]:
    return json.loads(await asyncio.wait_for(ws.recv(), timeout=10))


async def _two_users(base: str, webhook_base: str | None = None) -> None:
    """Ann and Bob each start a job; the provider's webhooks may land on another instance."""
    ws_base = base.replace("http://", "ws://")
    async with (
        httpx.AsyncClient(base_url=base, timeout=10) as http,
        httpx.AsyncClient(base_url=webhook_base or base, timeout=10) as provider,
    ):
        ann, bob = await _sign_up(http), await _sign_up(http)
        async with (
            connect(f"{ws_base}/ws?token={ann['token']}") as ann_ws,
            connect(f"{ws_base}/ws?token={bob['token']}") as bob_ws,
        ):
            for ws in (ann_ws, bob_ws):  # both sockets are registered before any event
                await ws.send(json.dumps({"type": "ping"}))
                assert (await _next(ws))["type"] == "pong"
            ann_job, bob_job = await _start(http, ann), await _start(http, bob)
            hook = "/api/v1/webhooks/image-complete"
            bob_done = {"job_id": bob_job, "status": "succeeded", "image_b64": _png_b64()}
            assert (await provider.post(hook, json=bob_done)).status_code == 200
            ann_done = {"job_id": ann_job, "status": "failed"}
            assert (await provider.post(hook, json=ann_done)).status_code == 200

            bob_event = await _next(bob_ws)
            assert (bob_event["type"], bob_event["job_id"]) == ("generation.completed", bob_job)
            assert str(bob_event["asset_url"]).startswith(f"/files/assets/users/{bob['id']}/")
            assert (await _next(ann_ws))["job_id"] == ann_job
            for ws, user in ((ann_ws, ann), (bob_ws, bob)):  # nothing else was queued for them
                await ws.send(json.dumps({"type": "ping"}))
                assert await _next(ws) == {"type": "pong", "user_id": user["id"]}

        waited = await http.get(
            f"/api/v1/generate/{ann_job}/wait", headers={"Authorization": ann["Authorization"]}
        )
        assert waited.json()["status"] == "failed"
        assert (
            await http.get(
                f"/api/v1/generate/{ann_job}", headers={"Authorization": bob["Authorization"]}
            )
        ).status_code == 404
        assert (await http.get("/health")).json()["status"] == "ok"
        assert "rescope_circuit_breaker_state" in (await http.get("/metrics")).text


@pytest.mark.slow
def test_app_under_uvicorn_keeps_two_users_events_apart(tmp_path: Path) -> None:
    """`uvicorn app.main:app` serves HTTP and websockets; a user's events reach that user only."""
    env = {
        "DATABASE_URL": f"sqlite:///{tmp_path / 'app.sqlite3'}",
        "STORAGE_DIR": str(tmp_path / "storage"),
        "PASSWORD_ITERATIONS": "1000",
        "REDIS_URL": "",
    }
    with UvicornProcess("app.main:app", cwd=APP, env=env) as server:
        asyncio.run(_two_users(server.url))


@pytest.mark.slow
def test_two_instances_share_events_through_redis(
    shared_redis: SharedRedis, tmp_path: Path
) -> None:
    """With REDIS_URL, a webhook handled by instance B reaches the user's socket on instance A."""
    env = {
        "DATABASE_URL": f"sqlite:///{tmp_path / 'app.sqlite3'}",
        "STORAGE_DIR": str(tmp_path / "storage"),
        "PASSWORD_ITERATIONS": "1000",
        "REDIS_URL": shared_redis.url,
        "APP_NAMESPACE": shared_redis.prefix + "app",
    }
    with (
        UvicornProcess("app.main:app", cwd=APP, env=env) as first,
        UvicornProcess("app.main:app", cwd=APP, env=env) as second,
    ):
        asyncio.run(_two_users(first.url, webhook_base=second.url))
    assert shared_redis.cleanup() > 0, "the instances shared nothing through Redis"
