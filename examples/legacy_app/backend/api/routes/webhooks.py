from fastapi import APIRouter, HTTPException

from backend.api.schemas import ImageWebhookPayload
from backend.services.generation_service import get_generation_service
from backend.services.realtime.event_bridge import get_event_bridge
from backend.services.webhooks.processor import process_webhook_result

router = APIRouter(prefix="/api/v1/webhooks", tags=["webhooks"])


@router.post("/image-complete")
async def image_complete(payload: ImageWebhookPayload):
    asset_url = ""
    if payload.status in ("succeeded", "completed"):
        try:
            asset = await get_generation_service().store_result(payload.job_id, payload.image_b64)
        except KeyError as exc:
            raise HTTPException(status_code=404, detail=str(exc)) from exc
        asset_url = asset.url
    success = process_webhook_result(payload.job_id, payload.status, asset_url)
    bridge = await get_event_bridge()
    event = "completed" if success else "failed"
    delivered = await bridge.publish_run_event(payload.job_id, event, {"asset_url": asset_url})
    return {"ok": True, "delivered": delivered}
