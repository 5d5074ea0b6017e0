"""Errors of ``rescope audit`` that stop it from running (findings are not errors)."""

from __future__ import annotations

from rescope.exceptions._base import RescopeError

__all__ = ["AuditError"]


class AuditError(RescopeError):
    """Raised when the audit cannot run at all (bad paths, bad configuration), not for findings."""
