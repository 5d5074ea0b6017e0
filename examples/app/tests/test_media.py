import io
import math
import struct
import wave
from pathlib import Path

from PIL import Image


def _png(size=(640, 360)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, "#336699").save(buffer, format="PNG")
    return buffer.getvalue()


def _wav(seconds=0.5, rate=44100) -> bytes:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(2)
        out.setsampwidth(2)
        out.setframerate(rate)
        sample = (int(8000 * math.sin(i / 20)) for i in range(int(seconds * rate)))
        out.writeframes(b"".join(struct.pack("<hh", s, s) for s in sample))
    return buffer.getvalue()


def test_thumbnail_is_resized_and_stored(client, user, settings):
    """The thumbnail is made off the event loop, 320x180, under the user's prefix."""
    response = client.post(
        "/api/v1/media/thumbnail",
        params={"filename": "shot.png"},
        content=_png(),
        headers=user["headers"],
    )
    assert response.status_code == 201
    key = response.json()["key"]
    assert key.startswith(f"users/{user['id']}/")
    with Image.open(Path(settings.storage_dir) / "assets" / key) as image:
        assert image.size == (320, 180)


def test_not_an_image_is_415(client, user):
    """Bytes Pillow cannot read are refused with 415."""
    response = client.post(
        "/api/v1/media/thumbnail",
        params={"filename": "x.png"},
        content=b"not an image",
        headers=user["headers"],
    )
    assert response.status_code == 415


def test_audio_is_normalized_by_ffmpeg(client, user):
    """ffmpeg turns stereo 44.1 kHz into mono 16 kHz WAV."""
    response = client.post("/api/v1/media/audio/normalize", content=_wav(), headers=user["headers"])
    assert response.status_code == 200
    with wave.open(io.BytesIO(response.content)) as result:
        assert (result.getnchannels(), result.getframerate()) == (1, 16000)


def test_unreadable_audio_is_415(client, user):
    """Audio ffmpeg cannot read is refused with 415, not a 500."""
    response = client.post(
        "/api/v1/media/audio/normalize", content=b"garbage", headers=user["headers"]
    )
    assert response.status_code == 415
