"""The coach conversation loop."""

import logging
from dataclasses import dataclass
from typing import Optional

from backend.services.coach.analytics_service import get_coach_analytics_service
from backend.services.coach.intent_extractor import get_intent_extractor
from backend.services.coach.llm_client import get_llm_client
from backend.services.coach.prompt_builder import get_prompt_builder
from backend.services.coach.response_processor import get_response_processor
from backend.services.coach.session_manager import CoachSession, get_session_manager
from backend.services.coach.tips_service import TipsService
from backend.utils.text import contains_banned

logger = logging.getLogger(__name__)


@dataclass
class CoachReply:
    session_id: str
    reply: str
    intent: Optional[str]
    tips: list[str]


class CoachService:
    def __init__(self):
        self.sessions = get_session_manager()
        self.processor = get_response_processor()
        self.intents = get_intent_extractor()
        self.tips = TipsService()
        self.analytics = get_coach_analytics_service()

    def start(self, user_id: int, topic: str) -> CoachSession:
        return self.sessions.start_session(user_id, topic)

    async def send_message(self, user_id: int, session_id: str, message: str) -> CoachReply:
        if contains_banned(message):
            raise ValueError("message contains blocked words")
        session = self.sessions.get_session(user_id, session_id)
        builder = get_prompt_builder()
        for turn in session.turns:
            builder.add_turn(turn["role"], turn["text"])
        llm = await get_llm_client()
        async for chunk in llm.stream_reply(builder.history(), message):
            self.processor.feed(chunk)
        reply = self.processor.finish()
        self.sessions.add_turn(session, "user", message)
        self.sessions.add_turn(session, "coach", reply)
        intent = self.intents.extract(message)
        self.analytics.record_turn(user_id, intent)
        return CoachReply(session.session_id, reply, intent, self.tips.tips_for(intent or ""))

    async def summarize(self, session: CoachSession) -> str:
        llm = await get_llm_client()
        return await llm.summarize_conversation([t["text"] for t in session.turns if t["role"] == "user"])


_coach_service: Optional[CoachService] = None


def get_coach_service() -> CoachService:
    """Get or create the coach service singleton."""
    global _coach_service
    if _coach_service is None:
        _coach_service = CoachService()
    return _coach_service
