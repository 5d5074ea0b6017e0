"""The ffmpeg convenience against the real ffmpeg binary, on a tone made by ffmpeg itself."""

from __future__ import annotations

import pytest

from rescope.exceptions import ProcessError
from rescope.resources import FFmpeg, run_process

# 1 s of silence, 1 s of a 440 Hz tone, 1 s of silence.
TONE = "aevalsrc='if(between(t,1,2),0.5*sin(2*PI*440*t),0)':s=44100:d=3"


@pytest.fixture(name="tone")
def fixture_tone(tmp_path):
    """A 3-second WAV file: silence, tone, silence."""
    path = tmp_path / "tone.wav"
    run_process(
        ["ffmpeg", "-hide_banner", "-loglevel", "error", "-f", "lavfi", "-i", TONE, str(path)],
        timeout=30,
    )
    return path


def _codec(path) -> str:
    argv = ["ffprobe", "-v", "error", "-select_streams", "a:0", "-show_entries"]
    argv += ["stream=codec_name", "-of", "default=noprint_wrappers=1:nokey=1", str(path)]
    return run_process(argv, timeout=30).stdout_text.strip()


@pytest.mark.parametrize("mode", ["sync", "async"])
@pytest.mark.anyio
async def test_probe_trim_and_convert(mode, tone, tmp_path) -> None:
    """Duration is probed, silence is trimmed from both ends, and conversion changes codec."""
    ffmpeg = FFmpeg(timeout=30)
    trimmed, flac = tmp_path / "trimmed.wav", tmp_path / "out.flac"
    if mode == "sync":
        full = ffmpeg.probe_duration(tone)
        assert ffmpeg.trim_silence(tone, trimmed) == trimmed
        assert ffmpeg.convert(trimmed, flac, "-ac", "1") == flac
        short = ffmpeg.probe_duration(flac)
    else:
        full = await ffmpeg.aprobe_duration(tone)
        assert await ffmpeg.atrim_silence(tone, trimmed) == trimmed
        assert await ffmpeg.aconvert(trimmed, flac, "-ac", "1") == flac
        short = await ffmpeg.aprobe_duration(flac)
    assert full == pytest.approx(3.0, abs=0.05)
    assert short == pytest.approx(1.0, abs=0.1)
    assert _codec(flac) == "flac"


def test_a_broken_input_raises_with_ffmpegs_own_words(tmp_path) -> None:
    """A file that is not media raises ProcessError whose stderr tail is ffmpeg's message."""
    junk = tmp_path / "junk.wav"
    junk.write_text("not audio")
    with pytest.raises(ProcessError) as info:
        FFmpeg().convert(junk, tmp_path / "out.flac")
    assert info.value.returncode not in (0, None)
    assert "junk.wav" in info.value.stderr_tail


@pytest.mark.anyio
async def test_a_missing_binary_says_how_to_install_it(tone) -> None:
    """When the ffmpeg binary is not installed, the error tells how to install it."""
    with pytest.raises(ProcessError) as info:
        await FFmpeg(ffprobe="ffprobe-not-installed").aprobe_duration(tone)
    assert "apt-get install ffmpeg" in str(info.value)
