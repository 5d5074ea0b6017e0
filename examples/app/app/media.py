"""Media pipelines: Pillow thumbnails off the event loop, ffmpeg audio in managed temp files."""

from __future__ import annotations

import io
from pathlib import Path

from PIL import Image, UnidentifiedImageError

from app.errors import UnsupportedMediaError
from app.settings import AppSettings
from app.storage import Storage, StoredAsset
from rescope.exceptions import ProcessError
from rescope.resources import FFmpeg, managed_temp_files, run_blocking, run_cpu_bound

THUMBNAIL_SIZE = (320, 180)
AUDIO_RATE = 16000


def thumbnail_png(data: bytes) -> bytes:
    """Resize an image to the thumbnail size and encode it as PNG (CPU-bound)."""
    with Image.open(io.BytesIO(data)) as image:
        buffer = io.BytesIO()
        image.convert("RGB").resize(THUMBNAIL_SIZE).save(buffer, format="PNG")
        return buffer.getvalue()


def provide_ffmpeg(settings: AppSettings) -> FFmpeg:
    """The app's ffmpeg runner (configuration only: one serves the whole app)."""
    return FFmpeg(timeout=settings.ffmpeg_timeout)


class ImagePipeline:
    """Thumbnails: Pillow runs in the CPU pool, never on the event loop."""

    def __init__(self, storage: Storage) -> None:
        self._storage = storage

    async def thumbnail(self, user_id: int, filename: str, data: bytes) -> StoredAsset:
        """Make and store the thumbnail of an uploaded image.

        Raises:
            UnsupportedMediaError: ``data`` is not an image Pillow can read.
        """
        try:
            png = await run_cpu_bound(thumbnail_png, data)
        except (UnidentifiedImageError, OSError) as exc:
            raise UnsupportedMediaError(
                f"{filename} is not an image this service can read."
            ) from exc
        return await self._storage.upload(user_id, f"thumb-{Path(filename).stem}.png", png)


class AudioPipeline:
    """Voice-over clean-up with ffmpeg: mono, 16 kHz WAV; temp files always removed."""

    def __init__(self, ffmpeg: FFmpeg) -> None:
        self._ffmpeg = ffmpeg

    async def normalize(self, data: bytes) -> bytes:
        """The audio as mono 16 kHz WAV.

        Raises:
            UnsupportedMediaError: ffmpeg cannot read it.
        """
        async with managed_temp_files(".input", ".wav", prefix="voice-") as (source, target):
            await run_blocking(source.write_bytes, data)
            try:
                await self._ffmpeg.aconvert(source, target, "-ac", "1", "-ar", str(AUDIO_RATE))
            except ProcessError as exc:
                raise UnsupportedMediaError("ffmpeg could not read the uploaded audio.") from exc
            return await run_blocking(target.read_bytes)
