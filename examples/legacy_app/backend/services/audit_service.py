"""Audit trail of security-relevant actions (SQLite table audit_log)."""

import logging
from typing import Optional

from sqlalchemy import select

from backend.database.models import AuditLogEntry
from backend.database.session import SessionLocal

logger = logging.getLogger(__name__)


class AuditService:
    def record(self, user_id: int, action: str, detail: str = "") -> int:
        db = SessionLocal()
        entry = AuditLogEntry(user_id=user_id, action=action, detail=detail)
        db.add(entry)
        db.commit()
        logger.debug("audit %s %s", user_id, action)
        return entry.id

    def entries_for(self, user_id: int, limit: int = 50) -> list[dict]:
        with SessionLocal() as db:
            rows = db.scalars(
                select(AuditLogEntry)
                .where(AuditLogEntry.user_id == user_id)
                .order_by(AuditLogEntry.id.desc())
                .limit(limit)
            )
            return [{"action": r.action, "detail": r.detail, "at": r.created_at.isoformat()} for r in rows]


_audit_service: Optional[AuditService] = None


def get_audit_service() -> AuditService:
    """Get or create the audit service singleton."""
    global _audit_service
    if _audit_service is None:
        _audit_service = AuditService()
    return _audit_service
