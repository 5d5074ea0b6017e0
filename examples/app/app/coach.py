"""The prompt coach: a chat that helps creators write better prompts, one state per user.

The user's open conversations live in the user's SESSION scope (:class:`Conversations`),
mirrored to the store so another instance, or the same user after eviction, can pick
them up. The reply is assembled per call, never in a shared buffer.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import re
import uuid
from collections.abc import AsyncIterator
from dataclasses import asdict, dataclass, field
from typing import Any

from app.analytics import Analytics
from app.errors import CoachSessionNotFoundError, MessageRejectedError
from app.store import Store
from rescope.fastapi import CurrentUser

SESSION_TTL = 2 * 3600
MAX_HISTORY = 12
BLOCKED = re.compile(r"\b(hate|kill|slur)\b", re.IGNORECASE)
WORD = re.compile(r"[a-z0-9']+")
INTENT_KEYWORDS = {
    "thumbnail": ("thumbnail", "youtube", "video"),
    "emote": ("emote", "twitch", "sticker"),
    "banner": ("banner", "header", "cover"),
}
TIPS = {
    "thumbnail": [
        "Use one face and at most three words.",
        "Contrast the subject with the background.",
    ],
    "emote": ["Keep it readable at 28x28.", "Exaggerate the expression."],
    "banner": ["Keep the centre safe area clear.", "Repeat your brand colours."],
}


class CoachModel:
    """The chat model (a deterministic in-process stand-in for the provider's streaming API)."""

    model = "coach-fake-1"

    async def stream_reply(self, history: list[dict[str, str]], message: str) -> AsyncIterator[str]:
        """The reply to ``message``, in chunks."""
        digest = hashlib.sha1(message.encode(), usedforsecurity=False).hexdigest()[:6]
        reply = f"Coach ({len(history)} turns): try this for '{message}' [ref {digest}]"
        for word in reply.split(" "):
            await asyncio.sleep(0)
            yield word + " "

    async def summarize(self, turns: list[str]) -> str:
        """A one-line summary of the user's messages."""
        await asyncio.sleep(0)
        return f"{len(turns)} messages about " + (turns[0][:40] if turns else "nothing")


class IntentExtractor:
    """Guesses what the creator wants to make from a chat message."""

    def extract(self, message: str) -> str | None:
        """``thumbnail``, ``emote``, ``banner`` or None."""
        tokens = set(WORD.findall(message.lower()))
        for intent, keywords in INTENT_KEYWORDS.items():
            if tokens.intersection(keywords):
                return intent
        return None


class Tips:
    """Static tips shown next to the coach."""

    def tips_for(self, kind: str) -> list[str]:
        """The tips for an asset kind (none for an unknown kind)."""
        return list(TIPS.get(kind, []))


@dataclass
class Conversation:
    """One coach conversation."""

    session_id: str
    user_id: str
    topic: str
    turns: list[dict[str, str]] = field(default_factory=list)


class Conversations:
    """The current user's coach conversations (SESSION scope: one object per user).

    Args:
        user: The user whose scope this is.
        store: Where conversations are mirrored.
    """

    def __init__(self, user: CurrentUser, store: Store) -> None:
        self.user_id = str(user.key)
        self._store = store
        self._open: dict[str, Conversation] = {}

    async def start(self, topic: str) -> Conversation:
        """Open a new conversation."""
        conversation = Conversation(uuid.uuid4().hex[:12], self.user_id, topic)
        self._open[conversation.session_id] = conversation
        await self._save(conversation)
        return conversation

    async def get(self, session_id: str) -> Conversation:
        """The user's conversation ``session_id``, from memory or the store.

        Raises:
            CoachSessionNotFoundError: It is not this user's, or it expired.
        """
        conversation = self._open.get(session_id)
        if conversation is None:
            raw = await self._store.get(f"coach:{session_id}")
            conversation = Conversation(**json.loads(raw)) if raw else None
        if conversation is None or conversation.user_id != self.user_id:
            raise CoachSessionNotFoundError(f"No coach session {session_id} here.")
        self._open[session_id] = conversation
        return conversation

    async def add_turn(self, conversation: Conversation, role: str, text: str) -> None:
        """Append a turn and mirror the conversation."""
        conversation.turns.append({"role": role, "text": text})
        await self._save(conversation)

    async def end(self, session_id: str) -> Conversation:
        """Close the conversation and forget it.

        Raises:
            CoachSessionNotFoundError: It is not this user's.
        """
        conversation = await self.get(session_id)
        self._open.pop(session_id, None)
        await self._store.delete(f"coach:{session_id}")
        return conversation

    def __len__(self) -> int:
        return len(self._open)

    async def _save(self, conversation: Conversation) -> None:
        await self._store.set(
            f"coach:{conversation.session_id}", json.dumps(asdict(conversation)), ttl=SESSION_TTL
        )


class CoachService:
    """The conversation loop: the user's conversations, the model, intents and tips."""

    def __init__(
        self,
        conversations: Conversations,
        model: CoachModel,
        intents: IntentExtractor,
        tips: Tips,
        analytics: Analytics,
    ) -> None:
        self.conversations = conversations
        self._model = model
        self._intents = intents
        self._tips = tips
        self._analytics = analytics

    async def reply(self, session_id: str, message: str) -> dict[str, Any]:
        """The coach's reply to ``message`` in the user's conversation ``session_id``.

        Raises:
            MessageRejectedError: The message has blocked words.
            CoachSessionNotFoundError: The conversation is not the user's.
        """
        if BLOCKED.search(message):
            raise MessageRejectedError("The message contains blocked words.")
        conversation = await self.conversations.get(session_id)
        history = conversation.turns[-MAX_HISTORY:]
        chunks = [chunk async for chunk in self._model.stream_reply(history, message)]
        reply = " ".join("".join(chunks).split())
        await self.conversations.add_turn(conversation, "user", message)
        await self.conversations.add_turn(conversation, "coach", reply)
        intent = self._intents.extract(message)
        await self._analytics.track(int(self.conversations.user_id), "coach_message")
        return {
            "session_id": session_id,
            "reply": reply,
            "intent": intent,
            "tips": self._tips.tips_for(intent or ""),
        }

    async def end(self, session_id: str) -> str:
        """Close the conversation; return its summary.

        Raises:
            CoachSessionNotFoundError: The conversation is not the user's.
        """
        conversation = await self.conversations.end(session_id)
        return await self._model.summarize(
            [t["text"] for t in conversation.turns if t["role"] == "user"]
        )
