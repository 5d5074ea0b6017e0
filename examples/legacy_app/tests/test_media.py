import io
import math
import struct
import wave

import pytest
from PIL import Image

from backend.services.media.audio_pipeline import AudioPipeline, get_audio_pipeline
from backend.services.media.image_pipeline import get_image_pipeline


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
        frames = b"".join(
            struct.pack("<hh", int(8000 * math.sin(i / 20)), int(8000 * math.sin(i / 20)))
            for i in range(int(seconds * rate))
        )
        out.writeframes(frames)
    return buffer.getvalue()


def test_thumbnail_route_resizes(client, auth_headers):
    response = client.post("/api/v1/media/thumbnail", params={"filename": "shot.png"}, content=_png(),
                           headers=auth_headers)
    assert response.status_code == 200
    assert response.json()["key"].endswith("thumb-shot.png")


def test_upload_asset_creates_row_with_thumbnail(client, auth_headers):
    response = client.post("/api/v1/media/assets", params={"filename": "face.png", "kind": "face"},
                           content=_png(), headers=auth_headers)
    assert response.status_code == 201
    assert response.json()["thumbnail_url"].endswith("thumb-face.png")
    listed = client.get("/api/v1/media/assets", headers=auth_headers).json()["assets"]
    assert [row["kind"] for row in listed] == ["face"]


def test_upload_asset_rejects_unknown_kind(client, auth_headers):
    response = client.post("/api/v1/media/assets", params={"filename": "x.png", "kind": "poster"},
                           content=_png(), headers=auth_headers)
    assert response.status_code == 422


def test_normalize_audio_route_runs_ffmpeg(client, auth_headers):
    response = client.post("/api/v1/media/audio/normalize", content=_wav(), headers=auth_headers)
    assert response.status_code == 200
    with wave.open(io.BytesIO(response.content)) as result:
        assert result.getnchannels() == 1
        assert result.getframerate() == 16000


def test_normalize_sync_wrapper(tmp_path):
    data = AudioPipeline().normalize_sync(_wav(seconds=1.0))
    target = tmp_path / "out.wav"
    target.write_bytes(data)
    assert get_audio_pipeline().probe_duration(str(target)) == pytest.approx(1.0, abs=0.05)


def _size(data: bytes) -> tuple[int, int]:
    with Image.open(io.BytesIO(data)) as image:
        return image.size


@pytest.mark.anyio
async def test_resize_async():
    data = await get_image_pipeline().resize_async(_png(), 100, 50)
    assert _size(data) == (100, 50)


def test_render_preview_is_jpeg():
    data = get_image_pipeline().render_preview(_png((50, 50)))
    assert data[:2] == b"\xff\xd8"
