"""Assembles streamed model output into the final coach reply."""

import re
from typing import Optional

_SPACES = re.compile(r"\s+")


class ResponseProcessor:
    def __init__(self):
        self._chunks: list[str] = []

    def feed(self, chunk: str) -> None:
        self._chunks.append(chunk)

    def finish(self) -> str:
        text = _SPACES.sub(" ", "".join(self._chunks)).strip()
        self._chunks.clear()
        return text

    def pending(self) -> int:
        return len(self._chunks)


_response_processor: Optional[ResponseProcessor] = None


def get_response_processor() -> ResponseProcessor:
    global _response_processor
    if _response_processor is None:
        _response_processor = ResponseProcessor()
    return _response_processor
