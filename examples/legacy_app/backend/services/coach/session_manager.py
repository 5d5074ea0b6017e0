"""Coach conversations: the active session per user, mirrored to Redis."""

import json
import logging
import uuid
from dataclasses import asdict, dataclass, field
from typing import Optional

from backend.database.redis_client import RedisManager

logger = logging.getLogger(__name__)

SESSION_TTL = 2 * 3600


class SessionNotFound(Exception):
    pass


@dataclass
class CoachSession:
    session_id: str
    user_id: int
    topic: str
    turns: list[dict] = field(default_factory=list)


class SessionManager:
    def __init__(self):
        self._redis = RedisManager()
        self._active_sessions: dict[int, CoachSession] = {}

    def start_session(self, user_id: int, topic: str) -> CoachSession:
        session = CoachSession(session_id=uuid.uuid4().hex[:12], user_id=user_id, topic=topic)
        self._active_sessions[user_id] = session
        self._save(session)
        return session

    def get_session(self, user_id: int, session_id: str) -> CoachSession:
        session = self._active_sessions.get(user_id)
        if session is None or session.session_id != session_id:
            session = self._load(session_id)
        if session is None or session.user_id != user_id:
            raise SessionNotFound(f"coach session {session_id} not found")
        self._active_sessions[user_id] = session
        return session

    def add_turn(self, session: CoachSession, role: str, text: str) -> None:
        session.turns.append({"role": role, "text": text})
        self._save(session)

    async def end_session(self, user_id: int, session_id: str) -> str:
        from backend.services.coach.coach_service import get_coach_service

        session = self.get_session(user_id, session_id)
        summary = await get_coach_service().summarize(session)
        self._active_sessions.pop(user_id, None)
        self._redis.client.delete(self._redis.key("coach", "session", session_id))
        return summary

    def _save(self, session: CoachSession) -> None:
        key = self._redis.key("coach", "session", session.session_id)
        self._redis.client.set(key, json.dumps(asdict(session)), ex=SESSION_TTL)

    def _load(self, session_id: str) -> Optional[CoachSession]:
        raw = self._redis.client.get(self._redis.key("coach", "session", session_id))
        return CoachSession(**json.loads(raw)) if raw else None


_session_manager: Optional[SessionManager] = None


def get_session_manager() -> SessionManager:
    """Get or create the coach session manager singleton."""
    global _session_manager
    if _session_manager is None:
        _session_manager = SessionManager()
    return _session_manager
