"""Media: image thumbnails (Pillow off the event loop) and audio clean-up (ffmpeg)."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from app.analytics import Analytics
from app.media import AudioPipeline, ImagePipeline
from app.routes.deps import CurrentAccount
from rescope.fastapi import Inject

router = APIRouter(prefix="/api/v1/media", tags=["media"])


@router.post("/thumbnail", status_code=201)
async def thumbnail(
    request: Request,
    filename: str,
    account: CurrentAccount,
    images: Inject[ImagePipeline],
    analytics: Inject[Analytics],
) -> dict[str, object]:
    asset = await images.thumbnail(account.id, filename, await request.body())
    await analytics.track(account.id, "asset_uploaded")
    return {"key": asset.key, "url": asset.url, "size": asset.size}


@router.post("/audio/normalize")
async def normalize_audio(
    request: Request, account: CurrentAccount, audio: Inject[AudioPipeline]
) -> Response:
    del account  # signed-in users only
    return Response(content=await audio.normalize(await request.body()), media_type="audio/wav")
