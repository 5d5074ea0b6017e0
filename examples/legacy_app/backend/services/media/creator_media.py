"""Creator media library: uploads with thumbnails."""

from typing import Optional

from backend.services.media.image_pipeline import get_image_pipeline
from backend.services.media.media_repository import MediaRepository
from backend.services.storage_service import get_storage_service

MEDIA_KINDS = ("face", "logo", "background", "overlay")


class CreatorMediaService:
    def __init__(self):
        self.storage = get_storage_service()
        self.images = get_image_pipeline()
        self.repository = MediaRepository.instance()

    async def upload_asset(self, user_id: int, filename: str, data: bytes, kind: str) -> dict:
        if kind not in MEDIA_KINDS:
            raise ValueError(f"kind must be one of {', '.join(MEDIA_KINDS)}")
        asset = self.storage.upload(user_id, filename, data)
        thumbnail = await self.images.create_thumbnail(user_id, filename, data)
        return self.repository.save(user_id, asset, thumbnail, kind)

    async def list_assets(self, user_id: int) -> list[dict]:
        return self.repository.list_for_user(user_id)


_creator_media_service: Optional[CreatorMediaService] = None


def get_creator_media_service() -> CreatorMediaService:
    global _creator_media_service
    if _creator_media_service is None:
        _creator_media_service = CreatorMediaService()
    return _creator_media_service
