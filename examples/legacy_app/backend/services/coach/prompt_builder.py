"""Builds the chat history sent to the model (one builder per conversation turn)."""

from backend.utils.text import slugify

MAX_HISTORY = 12


class PromptBuilder:
    def __init__(self):
        self.parts: list[dict] = []

    def add_turn(self, role: str, text: str) -> "PromptBuilder":
        self.parts.append({"role": role, "text": text})
        return self

    def history(self) -> list[dict]:
        return self.parts[-MAX_HISTORY:]

    def title(self) -> str:
        first = next((p["text"] for p in self.parts if p["role"] == "user"), "")
        return slugify(first)


def get_prompt_builder() -> PromptBuilder:
    return PromptBuilder()
