import base64
import io
import threading
from unittest import mock

from PIL import Image

from backend.config import get_settings
from backend.services.prompt_engine import PromptRejected, get_prompt_engine
from backend.services.storage_service import StoredAsset


def _image_b64() -> str:
    buffer = io.BytesIO()
    Image.new("RGB", (32, 32), "#00FFEE").save(buffer, format="PNG")
    return base64.b64encode(buffer.getvalue()).decode()


def _start(client, headers, kit_id, subject="epic boss fight"):
    return client.post("/api/v1/generate", json={"brand_kit_id": kit_id, "kind": "thumbnail", "subject": subject},
                       headers=headers)


def test_start_generation_builds_prompt_from_brand_kit(client, brand_kit, auth_headers):
    response = _start(client, auth_headers, brand_kit["id"])
    assert response.status_code == 202
    body = response.json()
    assert "#FF00AA" in body["prompt"] and "energetic" in body["prompt"]
    assert body["status"] == "queued"


def test_generation_rejects_blocked_words(client, brand_kit, auth_headers):
    assert _start(client, auth_headers, brand_kit["id"], subject="i hate mondays").status_code == 422


def test_generation_unknown_brand_kit(client, auth_headers):
    assert _start(client, auth_headers, 424242).status_code == 404


def test_webhook_completes_job(client, brand_kit, auth_headers):
    job_id = _start(client, auth_headers, brand_kit["id"]).json()["job_id"]
    hook = client.post("/api/v1/webhooks/image-complete",
                       json={"job_id": job_id, "status": "succeeded", "image_b64": _image_b64()})
    assert hook.status_code == 200
    result = client.get(f"/api/v1/generate/{job_id}/wait", headers=auth_headers).json()
    assert result["status"] == "completed"
    assert result["asset_url"].startswith("/files/assets/users/")


def test_wait_returns_once_webhook_arrives(client, brand_kit, auth_headers):
    job_id = _start(client, auth_headers, brand_kit["id"]).json()["job_id"]
    results = {}

    def waiter():
        results["response"] = client.get(f"/api/v1/generate/{job_id}/wait", params={"timeout": 10}, headers=auth_headers)

    thread = threading.Thread(target=waiter)
    thread.start()
    client.post("/api/v1/webhooks/image-complete", json={"job_id": job_id, "status": "failed"})
    thread.join(timeout=15)
    assert results["response"].status_code == 200
    assert results["response"].json()["status"] == "failed"


def test_wait_times_out(client, auth_headers):
    response = client.get("/api/v1/generate/never-finishes/wait", params={"timeout": 0.2}, headers=auth_headers)
    assert response.status_code == 504


def test_webhook_for_unknown_job(client):
    response = client.post("/api/v1/webhooks/image-complete",
                           json={"job_id": "nope", "status": "succeeded", "image_b64": _image_b64()})
    assert response.status_code == 404


def test_daily_limit(client, brand_kit, auth_headers, monkeypatch):
    monkeypatch.setenv("GENERATION_DAILY_LIMIT", "2")
    get_settings.cache_clear()
    try:
        codes = [_start(client, auth_headers, brand_kit["id"]).status_code for _ in range(3)]
    finally:
        monkeypatch.delenv("GENERATION_DAILY_LIMIT")
        get_settings.cache_clear()
    assert codes == [202, 202, 429]


def test_webhook_stores_image_through_storage_service(client, brand_kit, auth_headers):
    fake_storage = mock.MagicMock()
    fake_storage.upload.return_value = StoredAsset(key="k", url="/files/assets/fake.png", size=3, content_type="image/png")
    with mock.patch("backend.services.generation_service.get_storage_service", return_value=fake_storage):
        job_id = _start(client, auth_headers, brand_kit["id"]).json()["job_id"]
        client.post("/api/v1/webhooks/image-complete",
                    json={"job_id": job_id, "status": "succeeded", "image_b64": _image_b64()})
    fake_storage.upload.assert_called_once()
    assert client.get(f"/api/v1/generate/{job_id}/wait", headers=auth_headers).json()["asset_url"] == "/files/assets/fake.png"


def test_prompt_engine_kinds():
    assert get_prompt_engine().kinds() == ["banner", "emote", "thumbnail"]


def test_prompt_engine_unknown_kind():
    try:
        get_prompt_engine().build("poster", "cat", {"primary": "#000000", "secondary": "#111111", "accent": "#222222"}, "calm")
    except PromptRejected as exc:
        assert "poster" in str(exc)
    else:
        raise AssertionError("expected PromptRejected")
