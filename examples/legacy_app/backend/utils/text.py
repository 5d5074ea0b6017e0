"""Small text helpers shared by the coach and generation code."""

import re
from typing import Callable

_WORD = re.compile(r"[a-z0-9']+")

BANNED_WORDS = ("hate", "kill", "slur")


def lazy(factory: Callable):
    """Build a value on first call and reuse it (a closure, not a module global)."""
    value = None

    def get():
        nonlocal value
        if value is None:
            value = factory()
        return value

    return get


_banned_pattern = lazy(lambda: re.compile(r"\b(" + "|".join(BANNED_WORDS) + r")\b", re.I))


def words(text: str) -> list[str]:
    return _WORD.findall(text.lower())


def contains_banned(text: str) -> bool:
    return bool(_banned_pattern().search(text))


def slugify(text: str) -> str:
    return "-".join(words(text))[:60] or "untitled"
