"""Voice-over clean-up with ffmpeg: mono, 16 kHz, WAV."""

import asyncio
import logging
import os
import shutil
import subprocess
import tempfile
from typing import Optional

logger = logging.getLogger(__name__)

TARGET_RATE = 16000


class AudioPipeline:
    def __init__(self):
        self.ffmpeg = shutil.which("ffmpeg") or "ffmpeg"
        self.ffprobe = shutil.which("ffprobe") or "ffprobe"

    async def normalize(self, data: bytes, suffix: str = ".wav") -> bytes:
        source = tempfile.NamedTemporaryFile(suffix=suffix, delete=False)
        source.write(data)
        source.close()
        fd, target = tempfile.mkstemp(suffix=".wav")
        os.close(fd)
        subprocess.run(
            [self.ffmpeg, "-y", "-loglevel", "error", "-i", source.name,
             "-ac", "1", "-ar", str(TARGET_RATE), target],
            check=True,
            capture_output=True,
        )
        result = open(target, "rb").read()
        os.unlink(source.name)
        os.unlink(target)
        logger.info("normalized %d bytes of audio to %d bytes", len(data), len(result))
        return result

    def normalize_sync(self, data: bytes, suffix: str = ".wav") -> bytes:
        return asyncio.run(self.normalize(data, suffix))

    def probe_duration(self, path: str) -> float:
        completed = subprocess.run(
            [self.ffprobe, "-v", "error", "-show_entries", "format=duration",
             "-of", "default=noprint_wrappers=1:nokey=1", path],
            capture_output=True, text=True, check=True, timeout=10,
        )
        return float(completed.stdout.strip())


_audio_pipeline: Optional[AudioPipeline] = None


def get_audio_pipeline() -> AudioPipeline:
    global _audio_pipeline
    if _audio_pipeline is None:
        _audio_pipeline = AudioPipeline()
    return _audio_pipeline
