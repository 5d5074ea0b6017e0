"""Rows describing uploaded creator media."""

from typing import Optional

from backend.database.supabase_client import get_supabase_client
from backend.services.storage_service import StoredAsset


class MediaRepository:
    table = "media_assets"

    def __init__(self):
        self.db = get_supabase_client()

    @classmethod
    def instance(cls) -> "MediaRepository":
        global _media_repository
        if _media_repository is None:
            _media_repository = cls()
        return _media_repository

    def save(self, user_id: int, asset: StoredAsset, thumbnail: StoredAsset, kind: str) -> dict:
        row = {"user_id": user_id, "kind": kind, "key": asset.key, "url": asset.url,
               "thumbnail_url": thumbnail.url, "size": asset.size}
        return self.db.table(self.table).insert(row).execute().data[0]

    def list_for_user(self, user_id: int) -> list[dict]:
        return self.db.table(self.table).select("*").eq("user_id", user_id).execute().data


_media_repository: Optional[MediaRepository] = None
