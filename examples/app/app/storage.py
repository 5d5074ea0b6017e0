"""Object storage on a local directory (the same calls as an S3 bucket wrapper)."""

from __future__ import annotations

import hashlib
import mimetypes
from dataclasses import dataclass
from pathlib import Path

from app.settings import AppSettings
from rescope.resources import run_blocking

MAX_UPLOAD_BYTES = 10 * 1024 * 1024


@dataclass(frozen=True)
class StoredAsset:
    """Where an uploaded file lives."""

    key: str
    url: str
    size: int
    content_type: str


class Storage:
    """The bucket under ``STORAGE_DIR``; file writes run off the event loop."""

    def __init__(self, settings: AppSettings) -> None:
        self.root = Path(settings.storage_dir) / "assets"
        self.root.mkdir(parents=True, exist_ok=True)

    async def upload(self, user_id: int, filename: str, data: bytes) -> StoredAsset:
        """Store ``data`` under the user's prefix, named by its content hash.

        Raises:
            ValueError: ``data`` is larger than 10 MiB.
        """
        if len(data) > MAX_UPLOAD_BYTES:
            msg = f"{filename} is larger than {MAX_UPLOAD_BYTES} bytes"
            raise ValueError(msg)
        key = f"users/{user_id}/{hashlib.sha256(data).hexdigest()[:16]}-{Path(filename).name}"
        target = self.root / key
        await run_blocking(self._write, target, data)
        content_type = mimetypes.guess_type(filename)[0] or "application/octet-stream"
        return StoredAsset(
            key=key, url=f"/files/assets/{key}", size=len(data), content_type=content_type
        )

    async def download(self, key: str) -> bytes:
        """The bytes stored under ``key``."""
        return await run_blocking((self.root / key).read_bytes)

    @staticmethod
    def _write(target: Path, data: bytes) -> None:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
