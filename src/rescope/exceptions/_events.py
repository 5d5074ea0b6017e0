"""Event errors (``rescope.events``): completions, encoding, closed parts, run registries."""

from __future__ import annotations

from rescope.exceptions._base import RescopeError

__all__ = [
    "CompletionFailedError",
    "CompletionTimeoutError",
    "DuplicateRunError",
    "EventEncodingError",
    "EventError",
    "EventsClosedError",
    "UnknownRunError",
]


class EventError(RescopeError):
    """Base class for event errors."""


class CompletionTimeoutError(EventError, TimeoutError):
    """Raised when nothing notified a waited-for key within the timeout.

    Args:
        key: The key that was waited for.
        timeout: The timeout in seconds.
    """

    def __init__(self, key: str, *, timeout: float) -> None:
        super().__init__(
            f"no completion for {key!r} within {timeout:g}s.",
            hint="a longer timeout, or check that the job's webhook calls notify() with this key.",
        )
        self.key = key
        self.timeout = timeout


class CompletionFailedError(EventError):
    """Raised by ``wait()`` when the job behind the key reported failure with ``notify_error()``.

    Args:
        key: The key that was waited for.
        error: The error payload: ``type`` and ``message``, plus whatever the notifier sent.
    """

    def __init__(self, key: str, *, error: dict[str, object]) -> None:
        kind = error.get("type") or "error"
        detail = error.get("message") or "no message"
        super().__init__(f"the job for {key!r} failed: {kind}: {detail}")
        self.key = key
        self.error = error


class EventEncodingError(EventError, TypeError):
    """Raised when a result, error payload or event cannot be encoded as JSON.

    Results and events travel as JSON: between processes over Redis, and to websockets.

    Args:
        what: What was being sent, for the message (``"the result for 'job-1'"``).
        reason: Why the encoder refused it.
    """

    def __init__(self, what: str, *, reason: str) -> None:
        super().__init__(
            f"{what} cannot be sent: {reason}. Results and events travel as JSON"
            " (between processes over Redis, and to websockets).",
            hint="sending plain JSON values (dict, list, str, int, float, bool, None);"
            " convert models first (`model.model_dump()`, `dataclasses.asdict(obj)`).",
        )
        self.what = what
        self.reason = reason


class EventsClosedError(EventError):
    """Raised when a notifier, event bus or event router is used after ``aclose()``.

    Args:
        component: What was closed (``"InMemoryNotifier"``, ``"EventRouter for user 'bob'"``).
        action: What the caller tried to do.
    """

    def __init__(self, component: str, *, action: str) -> None:
        super().__init__(
            f"cannot {action}: {component} is closed. It closes with its scope"
            " (the app for notifiers and buses, the user's session for routers).",
            hint="resolving it again inside the scope that is active now, rather than"
            " keeping a reference past the end of its scope.",
        )
        self.component = component
        self.action = action


class DuplicateRunError(EventError):
    """Raised when a run id is registered twice in one user's ``RunRegistry``.

    Args:
        run_id: The run id.
        user_id: The user whose registry it is.
    """

    def __init__(self, run_id: str, *, user_id: str) -> None:
        super().__init__(
            f"run {run_id!r} is already registered for user {user_id!r}.",
            hint="unregister() the finished run first, or give every run a unique id.",
        )
        self.run_id = run_id
        self.user_id = user_id


class UnknownRunError(EventError, LookupError):
    """Raised when a run id is looked up in a user's ``RunRegistry`` that does not hold it.

    Args:
        run_id: The run id.
        user_id: The user whose registry was asked.
    """

    def __init__(self, run_id: str, *, user_id: str) -> None:
        super().__init__(
            f"run {run_id!r} is not registered for user {user_id!r}: a user's registry"
            " holds that user's runs only.",
            hint="looking it up in the registry of the user who started the run,"
            " or check whether the run already finished and was unregistered.",
        )
        self.run_id = run_id
        self.user_id = user_id
