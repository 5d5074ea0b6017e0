"""``ServiceError``: the base of an application's own errors, rendered as problem+json."""

from __future__ import annotations

from rescope.exceptions._base import RescopeError

__all__ = ["ServiceError"]


class ServiceError(RescopeError):
    """Base class for an application's own errors, rendered as RFC 9457 problem+json.

    Subclass it and set the class attributes, or pass them per instance. Only ``detail``,
    ``title``, ``code``, ``status``, ``type_uri`` and ``extensions`` reach the client
    (:meth:`to_problem`); ``internal`` is for logs and never leaves the server.

    Args:
        detail: What went wrong, safe to show to the client.
        code: A stable, machine-readable error code.
        status: The HTTP status to answer with.
        internal: Context for operators (ids, upstream errors); shown by ``str()``, never
            rendered into the problem document.
        extensions: Extra public members of the problem document (``{"retry_after": 5}``).
    """

    code: str = "service_error"
    status: int = 500
    title: str = "Service error"
    type_uri: str = "about:blank"

    def __init__(
        self,
        detail: str = "",
        *,
        code: str | None = None,
        status: int | None = None,
        internal: str | None = None,
        extensions: dict[str, object] | None = None,
    ) -> None:
        public = detail or self.title
        super().__init__(f"{public} [internal: {internal}]" if internal else public)
        self.detail = public
        self.internal = internal
        self.extensions = dict(extensions or {})
        if code is not None:
            self.code = code
        if status is not None:
            self.status = status

    def to_problem(self, *, instance: str | None = None) -> dict[str, object]:
        """Return the RFC 9457 problem document for this error (``application/problem+json``).

        Args:
            instance: A URI naming this occurrence (usually the request path).
        """
        problem: dict[str, object] = {
            **self.extensions,
            "type": self.type_uri,
            "title": self.title,
            "status": self.status,
            "detail": self.detail,
            "code": self.code,
        }
        if instance is not None:
            problem["instance"] = instance
        return problem
