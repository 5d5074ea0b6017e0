"""Logo uploads for brand kits."""

from typing import Optional

from backend.services.storage_service import StoredAsset, get_storage_service

ALLOWED_LOGO_TYPES = {"image/png", "image/jpeg", "image/webp"}


class LogoService:
    def __init__(self):
        self.storage = get_storage_service()

    async def upload_logo(self, user_id: int, filename: str, data: bytes) -> StoredAsset:
        asset = self.storage.upload(user_id, f"logo-{filename}", data)
        if asset.content_type not in ALLOWED_LOGO_TYPES:
            self.storage.remove(asset.key)
            raise ValueError(f"logo must be PNG, JPEG or WebP, got {asset.content_type}")
        return asset


_logo_service: Optional[LogoService] = None


def get_logo_service() -> LogoService:
    """Get or create the logo service singleton."""
    global _logo_service
    if _logo_service is None:
        _logo_service = LogoService()
    return _logo_service
