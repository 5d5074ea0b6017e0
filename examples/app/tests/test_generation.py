import base64
import io
import threading
from pathlib import Path

from PIL import Image

from app.generation import ImageClient
from rescope.resilience import InMemoryRateLimiter, RateLimiter


def _image_b64() -> str:
    buffer = io.BytesIO()
    Image.new("RGB", (32, 32), "#00FFEE").save(buffer, format="PNG")
    return base64.b64encode(buffer.getvalue()).decode()


def _start(client, user, kit_id, subject="epic boss fight"):
    body = {"brand_kit_id": kit_id, "kind": "thumbnail", "subject": subject}
    return client.post("/api/v1/generate", json=body, headers=user["headers"])


def _webhook(client, job_id, status="succeeded"):
    body = {
        "job_id": job_id,
        "status": status,
        "image_b64": _image_b64() if status == "succeeded" else "",
    }
    return client.post("/api/v1/webhooks/image-complete", json=body)


class BrokenImageClient(ImageClient):
    async def submit(self, prompt: str) -> str:
        raise ConnectionError("provider unreachable")


def test_start_builds_the_prompt_from_the_brand_kit(client, user, brand_kit):
    """The prompt carries the kit's colours and tone, and the job is queued."""
    response = _start(client, user, brand_kit["id"])
    assert response.status_code == 202
    body = response.json()
    assert "#FF00AA" in body["prompt"]
    assert "energetic" in body["prompt"]
    status = client.get(f"/api/v1/generate/{body['job_id']}", headers=user["headers"]).json()
    assert status["status"] == "queued"


def test_blocked_words_and_unknown_kits_are_refused(client, user, brand_kit):
    """Blocked words are a 422 problem and someone else's or a missing kit a 404."""
    assert (
        _start(client, user, brand_kit["id"], subject="i hate mondays").json()["code"]
        == "prompt_rejected"
    )
    assert _start(client, user, 424242).status_code == 404


def test_webhook_completes_the_job_and_stores_the_image(client, user, brand_kit, settings):
    """After the webhook the wait returns at once with the stored image's URL."""
    job_id = _start(client, user, brand_kit["id"]).json()["job_id"]
    assert _webhook(client, job_id).json() == {"ok": True, "status": "completed"}
    result = client.get(f"/api/v1/generate/{job_id}/wait", headers=user["headers"]).json()
    assert result["status"] == "completed"
    assert result["asset_url"].startswith(f"/files/assets/users/{user['id']}/")
    stored = Path(settings.storage_dir) / result["asset_url"].removeprefix("/files/")
    assert stored.read_bytes()[:4] == b"\x89PNG"


def test_a_waiting_request_wakes_when_the_webhook_arrives(client, user, brand_kit):
    """The wait is woken by the completion notifier, not by polling."""
    job_id = _start(client, user, brand_kit["id"]).json()["job_id"]
    results = {}

    def waiter():
        url = f"/api/v1/generate/{job_id}/wait"
        results["response"] = client.get(url, params={"timeout": 20}, headers=user["headers"])

    thread = threading.Thread(target=waiter)
    thread.start()
    assert _webhook(client, job_id, status="failed").status_code == 200
    thread.join(timeout=30)
    assert results["response"].json()["status"] == "failed"


def test_wait_times_out_with_504(client, user, brand_kit):
    """Without a webhook the wait ends with a 504 problem after its timeout."""
    job_id = _start(client, user, brand_kit["id"]).json()["job_id"]
    response = client.get(
        f"/api/v1/generate/{job_id}/wait", params={"timeout": 0.2}, headers=user["headers"]
    )
    assert response.status_code == 504
    assert response.json()["code"] == "generation_timeout"


def test_jobs_of_other_users_are_not_visible(client, user, other_user, brand_kit):
    """Another user can neither read nor wait for a job."""
    job_id = _start(client, user, brand_kit["id"]).json()["job_id"]
    assert (
        client.get(f"/api/v1/generate/{job_id}", headers=other_user["headers"]).status_code == 404
    )
    assert (
        client.get(f"/api/v1/generate/{job_id}/wait", headers=other_user["headers"]).status_code
        == 404
    )


def test_webhook_for_an_unknown_job_is_404(client):
    """A webhook naming no known job is refused."""
    assert _webhook(client, "nope").status_code == 404


def test_the_configured_limiter_counts_down(client, user, brand_kit):
    """Each start spends one call of the user's window (Redis or in-process)."""
    remaining = [_start(client, user, brand_kit["id"]).json()["remaining"] for _ in range(3)]
    assert remaining == [4, 3, 2]


def test_rate_limit_is_per_user(client, override, user, other_user, brand_kit):
    """Over the limit a user gets 429 with Retry-After while another user still starts jobs."""
    override(RateLimiter, InMemoryRateLimiter(limit=2, window=60))
    codes = [_start(client, user, brand_kit["id"]).status_code for _ in range(3)]
    assert codes == [202, 202, 429]
    refused = _start(client, user, brand_kit["id"])
    assert refused.headers["content-type"] == "application/problem+json"
    assert int(refused.headers["retry-after"]) > 0
    kit = client.post(
        "/api/v1/brand-kits", json={"name": "Other"}, headers=other_user["headers"]
    ).json()
    assert _start(client, other_user, kit["id"]).status_code == 202


def test_a_failing_provider_opens_the_breaker(client, override, user, brand_kit):
    """Three provider failures open the image-api circuit: then 503 at once, and health says so."""
    override(ImageClient, BrokenImageClient())
    codes = [_start(client, user, brand_kit["id"]).status_code for _ in range(4)]
    assert codes == [502, 502, 502, 503]
    assert client.get("/health/circuit-breakers").status_code == 503
    overall = client.get("/health")
    assert overall.status_code == 200
    assert overall.json()["status"] == "degraded"
