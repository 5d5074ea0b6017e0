"""Turns a brand kit and a user prompt into the prompt sent to the image model."""

from functools import lru_cache

from backend.utils.text import contains_banned, words

DEFAULT_TEMPLATES = {
    "thumbnail": "YouTube thumbnail, {subject}, bold text, colours {primary} and {accent}, {tone} style",
    "emote": "Twitch emote, {subject}, flat vector, outline, colours {primary} and {accent}",
    "banner": "Channel banner 16:9, {subject}, {tone} mood, palette {primary}/{secondary}/{accent}",
}


class PromptRejected(Exception):
    pass


class PromptEngine:
    def __init__(self):
        self._templates = dict(DEFAULT_TEMPLATES)

    def build(self, kind: str, subject: str, palette: dict, tone: str) -> str:
        if contains_banned(subject):
            raise PromptRejected("prompt contains blocked words")
        template = self._templates.get(kind)
        if template is None:
            raise PromptRejected(f"unknown asset kind {kind!r}")
        return template.format(subject=" ".join(words(subject)), tone=tone, **palette)

    def kinds(self) -> list[str]:
        return sorted(self._templates)


@lru_cache(maxsize=None)
def get_prompt_engine() -> PromptEngine:
    return PromptEngine()
