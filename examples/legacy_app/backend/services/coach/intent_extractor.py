"""Guesses what the creator wants to make from a chat message."""

import os
from typing import Optional

from backend.utils.text import words

INTENT_KEYWORDS = {
    "thumbnail": ("thumbnail", "youtube", "video"),
    "emote": ("emote", "twitch", "sticker"),
    "banner": ("banner", "header", "cover"),
}


class IntentExtractor:
    def __init__(self, enabled: bool = True):
        self.enabled = enabled

    def extract(self, message: str) -> Optional[str]:
        if not self.enabled:
            return None
        tokens = set(words(message))
        for intent, keywords in INTENT_KEYWORDS.items():
            if tokens.intersection(keywords):
                return intent
        return None


if os.environ.get("COACH_INTENTS", "on") == "on":
    _intent_extractor: Optional[IntentExtractor] = None

    def get_intent_extractor() -> IntentExtractor:
        global _intent_extractor
        if _intent_extractor is None:
            _intent_extractor = IntentExtractor()
        return _intent_extractor

else:

    def get_intent_extractor() -> IntentExtractor:
        return IntentExtractor(enabled=False)
