from fastapi import APIRouter, Depends, HTTPException

from backend.api.deps import CurrentUser, get_current_user
from backend.api.schemas import GenerationCreate
from backend.services.analytics_service import get_analytics_service
from backend.services.brand_kit_service import BrandKitNotFound
from backend.services.generation_service import get_generation_service
from backend.services.prompt_engine import PromptRejected
from backend.services.usage_limit_service import UsageLimitExceeded, get_usage_limit_service
from backend.services.webhooks.notifier import WebhookTimeout, notifier

router = APIRouter(prefix="/api/v1/generate", tags=["generation"])


@router.post("", status_code=202)
async def start_generation(data: GenerationCreate, user: CurrentUser = Depends(get_current_user)):
    generation_service = get_generation_service()
    try:
        job = await generation_service.start_generation(user.id, data.brand_kit_id, data.kind, data.subject)
    except BrandKitNotFound as exc:
        raise HTTPException(status_code=404, detail=str(exc)) from exc
    except PromptRejected as exc:
        raise HTTPException(status_code=422, detail=str(exc)) from exc
    try:
        remaining = get_usage_limit_service().check_and_record(user.id, job.job_id)
    except UsageLimitExceeded as exc:
        raise HTTPException(status_code=429, detail=str(exc)) from exc
    await get_analytics_service().track_event(user.id, "generation_started")
    return {"job_id": job.job_id, "prompt": job.prompt, "status": job.status, "remaining_today": remaining}


@router.get("/{job_id}")
async def generation_status(job_id: str, user: CurrentUser = Depends(get_current_user)):
    status = await notifier.get_status(job_id)
    return status or {"job_id": job_id, "status": "queued"}


@router.get("/{job_id}/wait")
async def wait_for_generation(job_id: str, timeout: float = 5.0, user: CurrentUser = Depends(get_current_user)):
    try:
        return await notifier.wait_for_completion(job_id, timeout=timeout)
    except WebhookTimeout as exc:
        raise HTTPException(status_code=504, detail=str(exc)) from exc
