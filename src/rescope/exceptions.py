"""Every error rescope raises, in one hierarchy.

Catch :class:`RescopeError` to catch them all. Each class says when it is raised; the
message says what happened, why it matters and, where there is one, the fix (a ``Try ...``
line). Context is kept as attributes so handlers can act on it without parsing text::

    RescopeError
    ├── ConfigurationError ............ a setting or `[tool.rescope]` option is wrong
    │   ├── MissingExtraError ......... an integration needs its extra (also an ImportError)
    │   └── SettingsError ............. environment variables failed validation
    ├── UsageError .................... the command line was used wrongly (exit code 2)
    │   └── NotImplementedYetError .... a command that has not landed yet
    ├── ContainerError ................ dependency injection
    │   ├── RegistrationError ......... a provider cannot be registered as given
    │   │   └── DuplicateRegistrationError
    │   ├── GraphValidationError ...... the graph is invalid (raised when the container is built)
    │   │   ├── MissingDependencyError
    │   │   ├── CycleError
    │   │   ├── ScopeViolationError ... a longer-lived service depends on a shorter-lived one
    │   │   ├── AsyncProviderError .... an async provider is needed by a sync resolution
    │   │   └── UnresolvableParameterError
    │   ├── ResolutionError ........... a service cannot be resolved right now
    │   │   ├── UnknownServiceError ... nothing provides the requested type
    │   │   ├── ScopeNotActiveError ... the provider's scope has not been entered
    │   │   └── MissingContextError ... a context value was not passed when entering the scope
    │   ├── ClosedError ............... the container or scope was used after closing
    │   └── CleanupError .............. finalizers failed (also an ExceptionGroup)
    ├── ResilienceError
    │   ├── CircuitOpenError .......... the breaker rejected a call without running it
    │   ├── RedisUnavailableError ..... Redis is down and the client is in STRICT mode
    │   ├── RateLimitExceededError .... a caller went over its limit
    │   └── RetryBudgetExceededError .. retries ran out of attempts or time
    ├── ResourceError
    │   ├── ProcessError .............. a subprocess failed (exit code, argv, stderr tail)
    │   │   └── ProcessTimeoutError ... a subprocess ran past its timeout and was killed
    │   └── DatabaseError ............. a session, transaction or engine failed
    ├── EventError
    │   └── CompletionTimeoutError .... nothing notified a waited-for key in time
    ├── AuditError .................... the audit could not run (not a finding)
    ├── MigrationError ................ a migration phase could not be applied
    │   └── VerificationError ......... the project's tests got worse after a migration
    └── ServiceError .................. base for application errors (code, status, message)
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = [
    "AsyncProviderError",
    "AuditError",
    "CircuitOpenError",
    "CleanupError",
    "ClosedError",
    "CompletionTimeoutError",
    "ConfigurationError",
    "ContainerError",
    "CycleError",
    "DatabaseError",
    "DuplicateRegistrationError",
    "EventError",
    "GraphValidationError",
    "MigrationError",
    "MissingContextError",
    "MissingDependencyError",
    "MissingExtraError",
    "NotImplementedYetError",
    "ProcessError",
    "ProcessTimeoutError",
    "RateLimitExceededError",
    "RedisUnavailableError",
    "RegistrationError",
    "RescopeError",
    "ResilienceError",
    "ResolutionError",
    "ResourceError",
    "RetryBudgetExceededError",
    "ScopeNotActiveError",
    "ScopeViolationError",
    "ServiceError",
    "SettingsError",
    "UnknownServiceError",
    "UnresolvableParameterError",
    "UsageError",
    "VerificationError",
]


class RescopeError(Exception):
    """Base class of every error rescope raises.

    Args:
        message: What happened and why it matters.
        hint: The fix, rendered on its own line as ``Try <hint>``.
    """

    def __init__(self, message: str = "", *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        if self.hint:
            return f"{self.message}\nTry {self.hint}"
        return self.message


# --- configuration and command line ---------------------------------------------------


class ConfigurationError(RescopeError):
    """Raised when a setting or a ``[tool.rescope]`` option has a wrong value.

    Args:
        message: What is wrong with the setting.
        setting: The name of the setting, as the user writes it.
        hint: How to fix it.
    """

    def __init__(
        self, message: str, *, setting: str | None = None, hint: str | None = None
    ) -> None:
        super().__init__(message, hint=hint)
        self.setting = setting


class MissingExtraError(ConfigurationError, ImportError):
    """Raised when an integration module is imported without its optional dependencies.

    Args:
        extra: The name of the extra that provides the missing packages.
        module: The integration module that needed it.
        missing: The top-level package that failed to import.
    """

    def __init__(self, extra: str, *, module: str, missing: str) -> None:
        super().__init__(
            f"{module} needs the {missing!r} package, which is not installed.",
            setting=extra,
            hint=f"`pip install 'rescope[{extra}]'`.",
        )
        self.extra = extra
        self.module = module
        self.missing = missing


class SettingsError(ConfigurationError):
    """Raised when settings read from the environment fail validation."""


class UsageError(RescopeError):
    """Raised when the command line is used wrongly; the CLI exits with code 2."""


class NotImplementedYetError(UsageError):
    """Raised by a command that has not landed yet."""


# --- dependency injection (rescope.di) ------------------------------------------------


class ContainerError(RescopeError):
    """Base class for dependency-injection errors."""


class RegistrationError(ContainerError):
    """Raised when a provider cannot be registered as given (not callable, no return type, ...)."""


class DuplicateRegistrationError(RegistrationError):
    """Raised when a type is registered twice without ``override=True``."""


class GraphValidationError(ContainerError):
    """Raised when the container is built and its dependency graph is invalid."""


class MissingDependencyError(GraphValidationError):
    """Raised when a provider depends on a type that nothing provides."""


class CycleError(GraphValidationError):
    """Raised when providers depend on each other in a cycle (drawn as ``A -> B -> A``)."""


class ScopeViolationError(GraphValidationError):
    """Raised when a longer-lived service depends on a shorter-lived one (a captive dependency)."""


class AsyncProviderError(GraphValidationError):
    """Raised when a service with an async provider is required through a sync resolution."""


class UnresolvableParameterError(GraphValidationError):
    """Raised when a provider parameter cannot be injected (no annotation, positional-only, ...)."""


class ResolutionError(ContainerError):
    """Base class for errors raised while resolving a service."""


class UnknownServiceError(ResolutionError):
    """Raised when a type that nothing provides is resolved."""


class ScopeNotActiveError(ResolutionError):
    """Raised when a service is resolved outside the scope its provider lives in."""


class MissingContextError(ResolutionError):
    """Raised when a context value a provider needs was not given when entering its scope."""


class ClosedError(ContainerError):
    """Raised when a container or scope is used after it was closed."""


class CleanupError(ContainerError, ExceptionGroup[Exception]):
    """Raised after every finalizer of a scope ran and one or more of them failed.

    It is an :class:`ExceptionGroup` of the finalizers' errors, so ``except*`` works.

    Args:
        message: What was being closed.
        errors: The finalizers' exceptions, in the order they were raised.
    """

    def __init__(self, message: str, errors: Sequence[Exception]) -> None:
        # ExceptionGroup.__new__ already stored message and errors; only add our attribute.
        del message, errors
        self.hint = None

    def __str__(self) -> str:
        return BaseExceptionGroup.__str__(self)


# --- resilience (rescope.resilience) --------------------------------------------------


class ResilienceError(RescopeError):
    """Base class for resilience errors."""


class CircuitOpenError(ResilienceError):
    """Raised when a circuit breaker rejects a call without running it.

    Args:
        name: The breaker's name.
        retry_after: Seconds until the breaker lets a trial call through, if known.
    """

    def __init__(self, name: str, *, retry_after: float | None = None) -> None:
        wait = f" for another {retry_after:.1f}s" if retry_after is not None else ""
        super().__init__(f"circuit {name!r} is open{wait}: the call was rejected without running.")
        self.name = name
        self.retry_after = retry_after


class RedisUnavailableError(ResilienceError):
    """Raised by the resilient Redis client in STRICT mode when Redis cannot be reached."""


class RateLimitExceededError(ResilienceError):
    """Raised when a caller goes over its rate limit.

    Args:
        key: The limited key (user, route, ...).
        limit: Calls allowed per window.
        window: The window in seconds.
        retry_after: Seconds until a call would be allowed again.
    """

    def __init__(self, key: str, *, limit: int, window: float, retry_after: float) -> None:
        super().__init__(
            f"rate limit for {key!r} exceeded: {limit} calls per {window:g}s;"
            f" retry in {retry_after:.1f}s."
        )
        self.key = key
        self.limit = limit
        self.window = window
        self.retry_after = retry_after


class RetryBudgetExceededError(ResilienceError):
    """Raised when retries ran out of attempts or of their total time budget."""


# --- resources (rescope.resources) ----------------------------------------------------


class ResourceError(RescopeError):
    """Base class for resource-safety errors."""


class ProcessError(ResourceError):
    """Raised when a subprocess exits with a non-zero code and ``check=True``.

    Args:
        argv: The command that ran.
        returncode: Its exit code (negative: killed by that signal).
        stderr_tail: The last part of what it wrote to stderr.
    """

    def __init__(
        self,
        argv: Sequence[str],
        *,
        returncode: int | None,
        stderr_tail: str = "",
        message: str | None = None,
    ) -> None:
        text = message or f"`{' '.join(argv)}` exited with code {returncode}"
        if stderr_tail:
            text = f"{text}\n--- stderr (tail) ---\n{stderr_tail}"
        super().__init__(text)
        self.argv = list(argv)
        self.returncode = returncode
        self.stderr_tail = stderr_tail


class ProcessTimeoutError(ProcessError):
    """Raised when a subprocess ran past its timeout; its whole process group was killed."""


class DatabaseError(ResourceError):
    """Raised when a database session, transaction or engine cannot do what was asked."""


# --- events (rescope.events) ----------------------------------------------------------


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


# --- audit and migrate ----------------------------------------------------------------


class AuditError(RescopeError):
    """Raised when the audit cannot run at all (bad paths, bad configuration), not for findings."""


class MigrationError(RescopeError):
    """Raised when a migration phase cannot be applied."""


class VerificationError(MigrationError):
    """Raised when tests that passed before a migration fail after it."""


# --- application errors ---------------------------------------------------------------


class ServiceError(RescopeError):
    """Base class for an application's own errors, rendered as RFC 9457 problem+json.

    Subclass it and set the class attributes, or pass them per instance.

    Args:
        detail: What went wrong, safe to show to the client.
        code: A stable, machine-readable error code.
        status: The HTTP status to answer with.
    """

    code: str = "service_error"
    status: int = 500
    title: str = "Service error"

    def __init__(
        self, detail: str = "", *, code: str | None = None, status: int | None = None
    ) -> None:
        super().__init__(detail or self.title)
        self.detail = detail or self.title
        if code is not None:
            self.code = code
        if status is not None:
            self.status = status
