"""Thumbnails and previews for uploaded and generated images."""

import asyncio
import io
import os
import tempfile
from pathlib import Path
from typing import Optional

from PIL import Image

from backend.services.storage_service import StoredAsset, get_storage_service

THUMBNAIL_SIZE = (320, 180)


class ImagePipeline:
    def __init__(self):
        self.storage = get_storage_service()

    async def create_thumbnail(self, user_id: int, filename: str, data: bytes) -> StoredAsset:
        image = Image.open(io.BytesIO(data))
        image = image.resize(THUMBNAIL_SIZE)
        buffer = io.BytesIO()
        image.save(buffer, format="PNG")
        return self.storage.upload(user_id, f"thumb-{Path(filename).stem}.png", buffer.getvalue())

    def resize(self, data: bytes, width: int, height: int) -> bytes:
        with Image.open(io.BytesIO(data)) as image:
            buffer = io.BytesIO()
            image.resize((width, height)).save(buffer, format="PNG")
            return buffer.getvalue()

    async def resize_async(self, data: bytes, width: int, height: int) -> bytes:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(None, self.resize, data, width, height)

    def render_preview(self, data: bytes) -> bytes:
        fd, path = tempfile.mkstemp(suffix=".jpg")
        try:
            os.close(fd)
            with Image.open(io.BytesIO(data)) as image:
                image.convert("RGB").save(path, format="JPEG", quality=70)
            return Path(path).read_bytes()
        finally:
            os.unlink(path)


_image_pipeline: Optional[ImagePipeline] = None


def get_image_pipeline() -> ImagePipeline:
    global _image_pipeline
    if _image_pipeline is None:
        _image_pipeline = ImagePipeline()
    return _image_pipeline
