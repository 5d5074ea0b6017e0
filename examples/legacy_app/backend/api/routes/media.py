from fastapi import APIRouter, Depends, HTTPException, Request, Response

from backend.api.deps import CurrentUser, get_current_user
from backend.services.analytics_service import get_analytics_service
from backend.services.media.audio_pipeline import get_audio_pipeline
from backend.services.media.creator_media import get_creator_media_service
from backend.services.media.image_pipeline import get_image_pipeline

router = APIRouter(prefix="/api/v1/media", tags=["media"])


@router.post("/assets", status_code=201)
async def upload_asset(request: Request, filename: str, kind: str,
                       user: CurrentUser = Depends(get_current_user)):
    media_service = get_creator_media_service()
    try:
        row = await media_service.upload_asset(user.id, filename, await request.body(), kind)
    except ValueError as exc:
        raise HTTPException(status_code=422, detail=str(exc)) from exc
    await get_analytics_service().track_event(user.id, "asset_uploaded")
    return row


@router.get("/assets")
async def list_assets(user: CurrentUser = Depends(get_current_user)):
    return {"assets": await get_creator_media_service().list_assets(user.id)}


@router.post("/thumbnail")
async def thumbnail(request: Request, filename: str, user: CurrentUser = Depends(get_current_user)):
    pipeline = get_image_pipeline()
    asset = await pipeline.create_thumbnail(user.id, filename, await request.body())
    return {"key": asset.key, "url": asset.url, "size": asset.size}


@router.post("/audio/normalize")
async def normalize_audio(request: Request, user: CurrentUser = Depends(get_current_user)):
    audio = get_audio_pipeline()
    data = await audio.normalize(await request.body())
    return Response(content=data, media_type="audio/wav")
