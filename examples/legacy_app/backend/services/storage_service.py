"""Asset storage (uploads, generated images, logos)."""

import hashlib
import logging
import mimetypes
from dataclasses import dataclass
from typing import Optional

from backend.clients.factory import ClientFactory

logger = logging.getLogger(__name__)

MAX_UPLOAD_BYTES = 10 * 1024 * 1024


@dataclass
class StoredAsset:
    key: str
    url: str
    size: int
    content_type: str


class StorageService:
    def __init__(self):
        self.bucket = ClientFactory.get_storage_client()

    def upload(self, user_id: int, filename: str, data: bytes) -> StoredAsset:
        if len(data) > MAX_UPLOAD_BYTES:
            raise ValueError(f"{filename} is larger than {MAX_UPLOAD_BYTES} bytes")
        digest = hashlib.sha256(data).hexdigest()[:16]
        key = f"users/{user_id}/{digest}-{filename}"
        content_type = mimetypes.guess_type(filename)[0] or "application/octet-stream"
        url = self.bucket.put_object(key, data, content_type)
        return StoredAsset(key=key, url=url, size=len(data), content_type=content_type)

    def download(self, key: str) -> bytes:
        return self.bucket.get_object(key)

    def remove(self, key: str) -> None:
        self.bucket.delete_object(key)


_storage_service: Optional[StorageService] = None


def get_storage_service() -> StorageService:
    """Get or create the storage service singleton."""
    global _storage_service
    if _storage_service is None:
        _storage_service = StorageService()
    return _storage_service
