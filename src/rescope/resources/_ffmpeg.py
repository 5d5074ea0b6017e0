"""ffmpeg and ffprobe run through :func:`run_process`: timeouts, group kill, useful errors."""

from __future__ import annotations

import os
from pathlib import Path

from rescope.exceptions import ProcessError, ResourceError
from rescope.resources._process import ProcessResult, run_process
from rescope.resources._process_async import arun_process

__all__ = ["FFmpeg"]

StrPath = str | os.PathLike[str]

_INSTALL = "installing ffmpeg (Debian/Ubuntu: `apt-get install ffmpeg`) or passing its path."


class FFmpeg:
    """Audio and video jobs on the ``ffmpeg`` and ``ffprobe`` binaries, sync and ``async``.

    Every job runs through :func:`~rescope.resources.run_process` (or
    :func:`~rescope.resources.arun_process` for the ``a``-prefixed methods): no shell, its
    own process group, killed on timeout or cancellation. A failed job raises
    :class:`~rescope.exceptions.ProcessError` with the tail of ffmpeg's stderr. An instance
    holds only configuration, so one can serve the whole application (scope APP).

    Args:
        binary: The ffmpeg executable (name on ``PATH`` or a path).
        ffprobe: The ffprobe executable.
        timeout: Seconds one job may run before its process group is killed.
        silence_threshold: The level below which :meth:`trim_silence` treats audio as silence.
    """

    def __init__(
        self,
        *,
        binary: str = "ffmpeg",
        ffprobe: str = "ffprobe",
        timeout: float = 30.0,
        silence_threshold: str = "-60dB",
    ) -> None:
        self.binary = binary
        self.ffprobe = ffprobe
        self.timeout = timeout
        self.silence_threshold = silence_threshold

    def __repr__(self) -> str:
        return f"FFmpeg(binary={self.binary!r}, timeout={self.timeout:g})"

    # --- argv builders ---------------------------------------------------------------

    def _ffmpeg(self, src: StrPath, dst: StrPath, options: list[str]) -> list[str]:
        base = [self.binary, "-hide_banner", "-nostdin", "-loglevel", "error", "-y"]
        return [*base, "-i", os.fspath(src), *options, os.fspath(dst)]

    def _probe(self, path: StrPath) -> list[str]:
        entries = ["-show_entries", "format=duration"]
        fmt = ["-of", "default=noprint_wrappers=1:nokey=1"]
        return [self.ffprobe, "-v", "error", *entries, *fmt, os.fspath(path)]

    def _trim(self, threshold: str | None) -> list[str]:
        level = threshold or self.silence_threshold
        one_end = f"silenceremove=start_periods=1:start_threshold={level}"
        # Trim the start, reverse, trim the (new) start, reverse back: both ends trimmed.
        return ["-af", f"{one_end},areverse,{one_end},areverse"]

    @staticmethod
    def _add_hint(exc: ProcessError) -> None:
        if exc.returncode is None:
            exc.hint = _INSTALL

    @staticmethod
    def _duration(result: ProcessResult, path: StrPath) -> float:
        text = result.stdout_text.strip()
        try:
            return float(text)
        except ValueError:
            msg = f"ffprobe found no duration in {os.fspath(path)!r} (it printed {text!r})."
            raise ResourceError(
                msg, hint="checking that the file is a complete media file."
            ) from None

    # --- sync ------------------------------------------------------------------------

    def _run(self, argv: list[str]) -> ProcessResult:
        try:
            return run_process(argv, timeout=self.timeout)
        except ProcessError as exc:
            self._add_hint(exc)
            raise

    def probe_duration(self, path: StrPath) -> float:
        """Return the duration of a media file in seconds, read by ffprobe.

        Args:
            path: The media file.

        Raises:
            ProcessError: ffprobe failed or is not installed.
            ResourceError: ffprobe printed no duration.
        """
        return self._duration(self._run(self._probe(path)), path)

    def convert(self, src: StrPath, dst: StrPath, *options: str) -> Path:
        """Convert ``src`` into ``dst`` (the format follows ``dst``'s suffix); return ``dst``.

        Args:
            src: The input file.
            dst: The output file, overwritten if it exists.
            *options: Output options for ffmpeg (``"-ac", "1"``, ``"-b:a", "128k"``).

        Raises:
            ProcessError: ffmpeg failed or is not installed.
        """
        self._run(self._ffmpeg(src, dst, list(options)))
        return Path(dst)

    def trim_silence(self, src: StrPath, dst: StrPath, *, threshold: str | None = None) -> Path:
        """Write ``src`` to ``dst`` without its leading and trailing silence; return ``dst``.

        Args:
            src: The input audio file.
            dst: The output file, overwritten if it exists.
            threshold: The silence level (``"-50dB"``); default :attr:`silence_threshold`.

        Raises:
            ProcessError: ffmpeg failed or is not installed.
        """
        self._run(self._ffmpeg(src, dst, self._trim(threshold)))
        return Path(dst)

    # --- async -----------------------------------------------------------------------

    async def _arun(self, argv: list[str]) -> ProcessResult:
        try:
            return await arun_process(argv, timeout=self.timeout)
        except ProcessError as exc:
            self._add_hint(exc)
            raise

    async def aprobe_duration(self, path: StrPath) -> float:
        """Return the duration of a media file in seconds (``async`` :meth:`probe_duration`).

        Args:
            path: The media file.

        Raises:
            ProcessError: ffprobe failed or is not installed.
            ResourceError: ffprobe printed no duration.
        """
        return self._duration(await self._arun(self._probe(path)), path)

    async def aconvert(self, src: StrPath, dst: StrPath, *options: str) -> Path:
        """Convert ``src`` into ``dst`` (``async`` :meth:`convert`); return ``dst``.

        Args:
            src: The input file.
            dst: The output file, overwritten if it exists.
            *options: Output options for ffmpeg.

        Raises:
            ProcessError: ffmpeg failed or is not installed.
        """
        await self._arun(self._ffmpeg(src, dst, list(options)))
        return Path(dst)

    async def atrim_silence(
        self, src: StrPath, dst: StrPath, *, threshold: str | None = None
    ) -> Path:
        """Write ``src`` to ``dst`` without leading and trailing silence (``async``).

        Args:
            src: The input audio file.
            dst: The output file, overwritten if it exists.
            threshold: The silence level (``"-50dB"``); default :attr:`silence_threshold`.

        Raises:
            ProcessError: ffmpeg failed or is not installed.
        """
        await self._arun(self._ffmpeg(src, dst, self._trim(threshold)))
        return Path(dst)
