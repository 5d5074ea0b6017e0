"""Static tips shown next to the coach."""

from backend.utils.singleton import singleton

TIPS = {
    "thumbnail": ["Use one face and at most three words.", "Contrast the subject with the background."],
    "emote": ["Keep it readable at 28x28.", "Exaggerate the expression."],
    "banner": ["Keep the centre safe area clear.", "Repeat your brand colours."],
}


@singleton
class TipsService:
    def __init__(self):
        self.tips = TIPS

    def tips_for(self, kind: str) -> list[str]:
        return list(self.tips.get(kind, []))

    def all_kinds(self) -> list[str]:
        return sorted(self.tips)
