"""Generation jobs: start (rate-limited per user), status, and waiting without polling."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel
from starlette.requests import HTTPConnection

from app.analytics import Analytics
from app.generation import GenerationService, announce
from app.ops import Metrics
from app.routes.deps import CurrentAccount, user_key
from app.settings import AppSettings
from rescope.events import RunRegistry, UserEventBus
from rescope.fastapi import Inject
from rescope.resilience import RateLimitDecision, RateLimiter
from rescope.resilience.fastapi import rate_limit

router = APIRouter(prefix="/api/v1/generate", tags=["generation"])
webhooks = APIRouter(prefix="/api/v1/webhooks", tags=["webhooks"])


def generation_key(connection: HTTPConnection) -> str:
    """Generations are limited per user (the bearer token's account)."""
    return f"generate:{user_key(connection)}"


# The container's RateLimiter (in-process, or in Redis for every instance): 429 problem+json
# with Retry-After over the limit. Declared after the account, so it counts signed-in calls.
GenerationLimit = Annotated[RateLimitDecision, Depends(rate_limit(RateLimiter, key=generation_key))]


class GenerationBody(BaseModel):
    brand_kit_id: int
    kind: str = "thumbnail"
    subject: str


class ImageWebhookBody(BaseModel):
    job_id: str
    status: str
    image_b64: str = ""


@router.post("", status_code=202)
async def start_generation(  # noqa: PLR0913, PLR0917 - the handler's services, injected
    body: GenerationBody,
    account: CurrentAccount,
    decision: GenerationLimit,
    generations: Inject[GenerationService],
    runs: Inject[RunRegistry],
    analytics: Inject[Analytics],
    metrics: Inject[Metrics],
) -> dict[str, object]:
    job = await generations.start(account.id, body.brand_kit_id, body.kind, body.subject)
    runs.register(job.job_id, data={"kind": job.kind})
    await analytics.track(account.id, "generation_started")
    metrics.generations.inc()
    return {
        "job_id": job.job_id,
        "prompt": job.prompt,
        "status": job.status,
        "remaining": decision.remaining,
    }


@router.get("/{job_id}")
async def generation_status(
    job_id: str, account: CurrentAccount, generations: Inject[GenerationService]
) -> dict[str, object]:
    job = await generations.get(account.id, job_id)
    return {"job_id": job.job_id, "status": job.status, "asset_url": job.asset_url}


@router.get("/{job_id}/wait")
async def wait_for_generation(  # noqa: PLR0913, PLR0917 - the handler's services, injected
    job_id: str,
    account: CurrentAccount,
    generations: Inject[GenerationService],
    runs: Inject[RunRegistry],
    settings: Inject[AppSettings],
    timeout: Annotated[float | None, Query(gt=0)] = None,  # noqa: ASYNC109 - the client's wait
) -> dict[str, object]:
    result = await generations.wait(account.id, job_id, timeout or settings.generation_wait_timeout)
    runs.unregister(job_id)
    return result


@webhooks.post("/image-complete")
async def image_complete(
    body: ImageWebhookBody,
    generations: Inject[GenerationService],
    bus: Inject[UserEventBus],
    analytics: Inject[Analytics],
) -> dict[str, object]:
    outcome = await generations.complete(body.job_id, body.status, body.image_b64)
    await announce(bus, outcome)
    if outcome.status == "completed":
        await analytics.track(outcome.owner, "generation_completed")
    return {"ok": True, "status": outcome.status}
