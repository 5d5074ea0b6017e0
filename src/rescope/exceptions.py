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
    │   │   ├── MissingContextError ... a context value was not passed when entering the scope
    │   │   └── UnexpectedContextError  a context value no registration declares was passed
    │   ├── InvalidScopeError ......... a scope was entered out of order
    │   ├── ClosedError ............... the container or scope was used after closing
    │   ├── AsyncFinalizerError ....... async finalizers need an async close
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
    │   ├── CompletionTimeoutError .... nothing notified a waited-for key in time
    │   ├── CompletionFailedError ..... the job reported failure through notify_error()
    │   ├── EventEncodingError ........ a result or event cannot travel as JSON
    │   ├── EventsClosedError ......... a notifier, bus or router was used after aclose()
    │   ├── DuplicateRunError ......... a run id is registered twice in one user's registry
    │   └── UnknownRunError ........... a run id is not in this user's registry
    ├── IsolationError ................ a pytest-kit check found per-user state shared
    │   ├── CrossUserLeakError ........ a user received a payload that belongs to another user
    │   ├── SharedInstanceError ....... a per-user service is one object for several users
    │   ├── MemoryGrowthError ......... memory grew past its bound after users came and went
    │   └── SimulationError ........... simulated users' workflows raised errors
    ├── AuditError .................... the audit could not run (not a finding)
    ├── MigrationError ................ a migration phase could not be applied
    │   └── VerificationError ......... the project's tests got worse after a migration
    └── ServiceError .................. base for application errors (code, status, message)
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = [
    "AsyncFinalizerError",
    "AsyncProviderError",
    "AuditError",
    "CircuitOpenError",
    "CleanupError",
    "ClosedError",
    "CompletionFailedError",
    "CompletionTimeoutError",
    "ConfigurationError",
    "ContainerError",
    "CrossUserLeakError",
    "CycleError",
    "DatabaseError",
    "DuplicateRegistrationError",
    "DuplicateRunError",
    "EventEncodingError",
    "EventError",
    "EventsClosedError",
    "GraphValidationError",
    "InvalidScopeError",
    "IsolationError",
    "MemoryGrowthError",
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
    "SharedInstanceError",
    "SimulationError",
    "UnexpectedContextError",
    "UnknownRunError",
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
    """Raised when settings read from the environment fail validation.

    Args:
        message: Which variables are wrong, what they hold and the form they must take.
        variables: The environment variables that failed, in the order reported.
        hint: How to fix them.
    """

    def __init__(
        self, message: str, *, variables: Sequence[str] = (), hint: str | None = None
    ) -> None:
        super().__init__(message, setting=variables[0] if variables else None, hint=hint)
        self.variables = tuple(variables)


class UsageError(RescopeError):
    """Raised when the command line is used wrongly; the CLI exits with code 2."""


class NotImplementedYetError(UsageError):
    """Raised by a command that has not landed yet."""


# --- dependency injection (rescope.di) ------------------------------------------------


def _qualified_name(obj: object) -> str:
    """Render a service, provider or scope the way DI errors name it: ``module.Qualname``."""
    if isinstance(obj, str):
        return obj
    qualname = getattr(obj, "__qualname__", None)
    module = getattr(obj, "__module__", None)
    if isinstance(qualname, str) and not hasattr(obj, "__origin__"):
        if module in {None, "builtins"}:
            return qualname
        return f"{module}.{qualname}"
    return repr(obj).replace("typing.", "")


class ContainerError(RescopeError):
    """Base class for dependency-injection errors."""


class RegistrationError(ContainerError):
    """Raised when a provider cannot be registered as given (not callable, no return type, ...).

    Args:
        message: What is wrong with the registration and why.
        provider: The object that was registered.
        hint: How to register it instead.
    """

    def __init__(self, message: str, *, provider: object = None, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.provider = provider


class DuplicateRegistrationError(RegistrationError):
    """Raised when a type is registered twice without ``override=True``.

    Args:
        service: The type registered twice.
        first: The provider registered first.
        second: The provider registered second.
    """

    def __init__(self, service: object, *, first: object, second: object) -> None:
        name = _qualified_name(service)
        super().__init__(
            f"`{name}` is registered twice: by `{_qualified_name(first)}` and by"
            f" `{_qualified_name(second)}`; the container would have to guess which one to use.",
            provider=second,
            hint="removing one of them, or pass override=True to the registration that should win.",
        )
        self.service = service
        self.first = first
        self.second = second


class GraphValidationError(ContainerError):
    """Raised when the container is built and its dependency graph is invalid."""


class MissingDependencyError(GraphValidationError):
    """Raised when a provider depends on a type that nothing provides.

    Args:
        service: The service whose provider has the dependency.
        dependency: The type nothing provides.
        parameter: The provider's parameter that asks for it.
    """

    def __init__(self, service: object, *, dependency: object, parameter: str) -> None:
        dep = _qualified_name(dependency)
        super().__init__(
            f"`{_qualified_name(service)}` needs `{dep}` (parameter `{parameter}`),"
            f" but nothing provides `{dep}`.",
            hint=f"registering it (`registry.add({dep.rsplit('.', 1)[-1]})` or a factory that"
            " returns it), or declare it with `registry.context(...)` if it is passed when a"
            " scope is entered.",
        )
        self.service = service
        self.dependency = dependency
        self.parameter = parameter


class CycleError(GraphValidationError):
    """Raised when providers depend on each other in a cycle (drawn as ``A -> B -> A``).

    Args:
        path: The services of the cycle, the first one repeated at the end.
    """

    def __init__(self, path: Sequence[object]) -> None:
        drawn = " -> ".join(f"`{_qualified_name(s)}`" for s in path)
        super().__init__(
            f"dependency cycle: {drawn}; none of these services can be created first.",
            hint="breaking the cycle: move the shared part into a service of its own, or let"
            " one side depend on an interface it is given later.",
        )
        self.path = tuple(path)


class ScopeViolationError(GraphValidationError):
    """Raised when a longer-lived service depends on a shorter-lived one (a captive dependency).

    Args:
        service: The longer-lived service.
        scope: Its scope.
        dependency: The shorter-lived service it depends on (directly or through transients).
        dependency_scope: The dependency's scope.
    """

    def __init__(
        self, service: object, *, scope: object, dependency: object, dependency_scope: object
    ) -> None:
        name, dep = _qualified_name(service), _qualified_name(dependency)
        lived = str(scope).lower()
        article = "an" if lived[:1] in "aeiou" else "a"
        super().__init__(
            f"`{name}` (scope {scope}) depends on `{dep}` (scope {dependency_scope}):"
            f" {article} {lived}-scoped service would keep one {str(dependency_scope).lower()}'s"
            f" `{dep.rsplit('.', 1)[-1]}` forever.",
            hint=f"registering `{name.rsplit('.', 1)[-1]}` with scope={dependency_scope}, or"
            f" annotate the parameter `Lazy[{dep.rsplit('.', 1)[-1]}]` (from rescope.di): a"
            " callable that resolves it from the current scope each time it is called.",
        )
        self.service = service
        self.scope = scope
        self.dependency = dependency
        self.dependency_scope = dependency_scope


class AsyncProviderError(GraphValidationError):
    """Raised when a service with an async provider is required through a sync resolution.

    Which services need an async provider is worked out when the container is built; a
    sync ``get`` of one raises this error before anything is created.

    Args:
        service: The service that was requested.
        provider: The async provider on its dependency path.
        path: The services from the requested one to the one the async provider makes.
    """

    def __init__(self, service: object, *, provider: object, path: Sequence[object]) -> None:
        name = _qualified_name(service)
        drawn = " -> ".join(f"`{_qualified_name(s)}`" for s in path)
        super().__init__(
            f"`{name}` cannot be resolved with a sync get: it needs"
            f" `{_qualified_name(path[-1])}` ({drawn}), whose provider"
            f" `{_qualified_name(provider)}` is async.",
            hint=f"`await scope.aget({name.rsplit('.', 1)[-1]})`, or create"
            f" `{_qualified_name(path[-1]).rsplit('.', 1)[-1]}` once at startup with `await"
            " container.aget(...)` when it is app-scoped.",
        )
        self.service = service
        self.provider = provider
        self.path = tuple(path)


class UnresolvableParameterError(GraphValidationError):
    """Raised when a provider parameter cannot be injected (no annotation, bad annotation, ...).

    Args:
        provider: The provider whose parameter it is.
        parameter: The parameter's name.
        reason: Why it cannot be injected.
        hint: How to make it injectable.
    """

    def __init__(self, provider: object, *, parameter: str, reason: str, hint: str) -> None:
        super().__init__(
            f"parameter `{parameter}` of `{_qualified_name(provider)}` cannot be injected:"
            f" {reason}.",
            hint=hint,
        )
        self.provider = provider
        self.parameter = parameter
        self.reason = reason


class ResolutionError(ContainerError):
    """Base class for errors raised while resolving a service."""


class UnknownServiceError(ResolutionError):
    """Raised when a type that nothing provides is resolved.

    Args:
        service: The requested type.
    """

    def __init__(self, service: object) -> None:
        name = _qualified_name(service)
        super().__init__(
            f"nothing provides `{name}`, so the container cannot resolve it.",
            hint=f"registering it (`registry.add({name.rsplit('.', 1)[-1]})` or a factory that"
            " returns it) before the Container is built.",
        )
        self.service = service


class ScopeNotActiveError(ResolutionError):
    """Raised when a service is resolved outside the scope its provider lives in.

    Args:
        service: The requested type.
        scope: The scope the service needs.
        current: The scope it was resolved from.
    """

    def __init__(self, service: object, *, scope: object, current: object) -> None:
        name = _qualified_name(service).rsplit(".", 1)[-1]
        super().__init__(
            f"`{_qualified_name(service)}` needs scope {scope}, which is not entered here"
            f" (this is scope {current}).",
            hint=f"`with container.scope(Scope.{scope}) as scope: scope.get({name})`.",
        )
        self.service = service
        self.scope = scope
        self.current = current


class MissingContextError(ResolutionError):
    """Raised when a context value a provider needs was not given when entering its scope.

    Args:
        service: The context type.
        scope: The scope that declares it.
    """

    def __init__(self, service: object, *, scope: object) -> None:
        name = _qualified_name(service).rsplit(".", 1)[-1]
        super().__init__(
            f"`{_qualified_name(service)}` is a context value of scope {scope}, but it was not"
            " passed when the scope was entered.",
            hint=f"`container.scope(Scope.{scope}, context={{{name}: ...}})`.",
        )
        self.service = service
        self.scope = scope


class UnexpectedContextError(ResolutionError):
    """Raised when a scope is entered with a context value that no registration declares.

    Args:
        service: The context value's type key.
        scope: The scope that was entered.
    """

    def __init__(self, service: object, *, scope: object) -> None:
        name = _qualified_name(service).rsplit(".", 1)[-1]
        super().__init__(
            f"`{_qualified_name(service)}` was passed as a context value of scope {scope},"
            " but no registration declares it there, so nothing could ever use it.",
            hint=f"declaring it: `registry.context({name}, scope=Scope.{scope})`.",
        )
        self.service = service
        self.scope = scope


class InvalidScopeError(ContainerError):
    """Raised when a scope is entered out of order (not shorter-lived than the current one)."""


class ClosedError(ContainerError):
    """Raised when a container or scope is used after it was closed.

    Args:
        what: What was closed (``"container"``, ``"scope REQUEST"``).
    """

    def __init__(self, what: str) -> None:
        super().__init__(
            f"the {what} is closed: its services were finalized, so it resolves nothing more.",
            hint="resolving inside the `with` block of the scope, or build a new Container.",
        )
        self.what = what


class AsyncFinalizerError(ContainerError):
    """Raised when a scope holding async finalizers is closed synchronously.

    Nothing is finalized: the scope stays open so it can still be closed with ``aclose``.

    Args:
        scope: The scope that was being closed.
    """

    def __init__(self, scope: object) -> None:
        super().__init__(
            f"scope {scope} holds async finalizers (async generators or async context"
            " managers), which a sync close cannot run.",
            hint="`async with container.scope(...)` or `await scope.aclose()`.",
        )
        self.scope = scope


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

    The context lives in ``args`` and the message is rendered only when the error is
    printed. A breaker raises one instance of its own for every rejection of an open period
    (nothing allocated per rejection); that instance reads ``retry_after`` live from the
    breaker and pickles or copies as a plain snapshot.

    Args:
        name: The breaker's name.
        retry_after: Seconds until the breaker lets a trial call through, if known.
    """

    def __init__(self, name: str, retry_after: float | None = None) -> None:
        # No RescopeError.__init__: the message is derived from the attributes on demand.
        self.args = (name, retry_after)

    @property
    def name(self) -> str:
        """The breaker's name."""
        return str(self.args[0])

    @property
    def retry_after(self) -> float | None:
        """Seconds until the breaker lets a trial call through, if known."""
        value = self.args[1] if len(self.args) > 1 else None
        return None if value is None else float(value)

    @property
    def message(self) -> str:
        """What happened, rendered on demand."""
        retry_after = self.retry_after
        wait = "" if retry_after is None else f" for another {max(retry_after, 0.0):.1f}s"
        return f"circuit {self.name!r} is open{wait}: the call was rejected without running."

    @message.setter
    def message(self, value: str) -> None:
        del value  # the message is derived from the attributes

    @property
    def hint(self) -> str | None:
        """No hint: the fix depends on the caller (a fallback, or waiting for recovery)."""
        return None

    @hint.setter
    def hint(self, value: str | None) -> None:
        del value


class RedisUnavailableError(ResilienceError):
    """Raised by the resilient Redis client in STRICT mode when Redis cannot be reached.

    Args:
        command: The Redis command that could not run (``"SET"``, ``"PIPELINE"``, ...).
        reason: Why: the breaker is open, or the error the connection raised.
    """

    def __init__(self, command: str, *, reason: str) -> None:
        super().__init__(
            f"Redis {command} did not run: {reason}. In STRICT mode the client raises rather"
            " than pretend the operation succeeded.",
            hint="PERMISSIVE mode for this call (`mode=RedisMode.PERMISSIVE`) if a fallback"
            " value is acceptable, or check that Redis is up (`health_check()`).",
        )
        self.command = command
        self.reason = reason


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
    """Raised when retries ran out of attempts or of their total time budget.

    The last error is chained as ``__cause__`` and kept as :attr:`last_error`.

    Args:
        target: What was retried (a function's qualified name).
        attempts: How many attempts ran.
        elapsed: Seconds spent, waits included.
        last_error: The error the last attempt raised.
    """

    def __init__(
        self, target: str, *, attempts: int, elapsed: float, last_error: BaseException
    ) -> None:
        super().__init__(
            f"{target} failed {attempts} time(s) in {elapsed:.2f}s and its retry budget is"
            f" spent; the last error was {type(last_error).__name__}: {last_error}",
            hint="a larger `attempts` or `timeout`, or find out why the dependency keeps failing.",
        )
        self.target = target
        self.attempts = attempts
        self.elapsed = elapsed
        self.last_error = last_error


# --- resources (rescope.resources) ----------------------------------------------------


class ResourceError(RescopeError):
    """Base class for resource-safety errors."""


class ProcessError(ResourceError):
    """Raised when a subprocess cannot start, or exits with a non-zero code and ``check=True``.

    Args:
        argv: The command that ran.
        returncode: Its exit code (negative: killed by that signal; ``None``: never started).
        stderr_tail: The last part of what it wrote to stderr.
        message: What happened, when it is not a plain non-zero exit.
        hint: The fix, when there is one.
    """

    def __init__(
        self,
        argv: Sequence[str],
        *,
        returncode: int | None,
        stderr_tail: str = "",
        message: str | None = None,
        hint: str | None = None,
    ) -> None:
        text = message or f"`{' '.join(argv)}` exited with code {returncode}"
        if stderr_tail:
            text = f"{text}\n--- stderr (tail) ---\n{stderr_tail}"
        super().__init__(text, hint=hint)
        self.argv = list(argv)
        self.returncode = returncode
        self.stderr_tail = stderr_tail


class ProcessTimeoutError(ProcessError):
    """Raised when a subprocess ran past its timeout; its whole process group was killed.

    Args:
        argv: The command that ran.
        returncode: The exit code after the kill (negative: the signal that ended it).
        stderr_tail: The last part of what it wrote to stderr before it was killed.
        timeout: The timeout in seconds, if known.
    """

    def __init__(
        self,
        argv: Sequence[str],
        *,
        returncode: int | None,
        stderr_tail: str = "",
        timeout: float | None = None,
    ) -> None:
        after = f" after {timeout:g}s" if timeout is not None else ""
        super().__init__(
            argv,
            returncode=returncode,
            stderr_tail=stderr_tail,
            message=f"`{' '.join(argv)}` timed out{after}; its process group was killed",
            hint="a longer `timeout`, or find out why the command hangs (the stderr tail above).",
        )
        self.timeout = timeout


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


# --- testing (rescope.testing) --------------------------------------------------------


def _listed(findings: Sequence[object], limit: int = 10) -> str:
    lines = [f"  - {finding}" for finding in findings[:limit]]
    if len(findings) > limit:
        lines.append(f"  ... and {len(findings) - limit} more")
    return "\n".join(lines)


class IsolationError(RescopeError, AssertionError):
    """Base class for the pytest kit's isolation checks.

    It is also an :class:`AssertionError`, so pytest reports a failed check as a test
    failure with the message below, not as an error.
    """


class CrossUserLeakError(IsolationError):
    """Raised by ``assert_no_cross_user_leakage`` when a user received another user's data.

    Args:
        leaks: What leaked; each renders as one line naming the receiving user, the owner
            and the payload.
        users: How many users were checked.
    """

    def __init__(self, leaks: Sequence[object], *, users: int) -> None:
        super().__init__(
            f"{len(leaks)} payload(s) reached a user they do not belong to"
            f" ({users} users checked):\n{_listed(leaks)}\nPer-user state is shared: a"
            " connection list, run registry or cache that holds several users' data hands"
            " it to the wrong one.",
            hint="keeping per-user state in the SESSION scope (one instance per user) instead"
            " of a module global or an APP-scoped service, and sending events with"
            " `send_to_user(owner, event)` rather than to every connection.",
        )
        self.leaks = tuple(leaks)
        self.users = users


class SharedInstanceError(IsolationError):
    """Raised by ``SingletonDetector.verify()`` when per-user services are not per user.

    Args:
        findings: Each renders as one line naming the service, the users and the object
            they share (or the several objects one user got).
    """

    def __init__(self, findings: Sequence[object]) -> None:
        super().__init__(
            f"{len(findings)} service(s) that should be one per user are not:\n"
            f"{_listed(findings)}\nOne object serving several users carries one user's"
            " state to the next (a singleton); several objects for one user lose state"
            " between that user's requests.",
            hint="registering the service with scope=Scope.SESSION (one per user), not as an"
            " APP singleton or a module global; a user's requests then share one instance.",
        )
        self.findings = tuple(findings)


class MemoryGrowthError(IsolationError):
    """Raised by ``MemoryGrowthDetector`` when memory grew past its bound.

    Args:
        growth: Bytes still allocated after the users left, compared with before.
        limit: The bound in bytes.
        users: How many users came and went.
        top: The allocation sites that grew most, one line each.
    """

    def __init__(self, growth: int, *, limit: int, users: int, top: Sequence[str]) -> None:
        super().__init__(
            f"memory grew by {growth / 1024:.1f} KiB after {users} users came and went,"
            f" over the bound of {limit / 1024:.1f} KiB. Per-user state outlives its users."
            f" Largest growth by allocation site:\n{_listed(top)}",
            hint="keeping per-user state in the SESSION scope so it is released when the user"
            " scope is evicted, and check that the finalizers of per-user services run.",
        )
        self.growth = growth
        self.limit = limit
        self.users = users
        self.top = tuple(top)


class SimulationError(IsolationError):
    """Raised by ``SimulationResult.raise_errors()`` when simulated users' workflows failed.

    Args:
        failures: One line per failed user: the user and the error its workflow raised.
        users: How many users were simulated.
    """

    def __init__(self, failures: Sequence[object], *, users: int) -> None:
        super().__init__(
            f"{len(failures)} of {users} simulated users failed:\n{_listed(failures)}",
            hint="reading the first error: a status the workflow did not expect, a websocket"
            " closed early or a timeout usually names the service that broke under load.",
        )
        self.failures = tuple(failures)
        self.users = users


# --- audit and migrate ----------------------------------------------------------------


class AuditError(RescopeError):
    """Raised when the audit cannot run at all (bad paths, bad configuration), not for findings."""


class MigrationError(RescopeError):
    """Raised when a migration cannot run (not a directory, a bad option, a failed ``--verify``)."""


class VerificationError(MigrationError):
    """Raised when tests that passed before a migration do not pass after it.

    Args:
        regressions: The tests (``module::name``) that passed before and not after.
        command: The test command that was run before and after.
    """

    def __init__(self, regressions: Sequence[str], *, command: str) -> None:
        shown = ", ".join(regressions[:10])
        if len(regressions) > 10:  # noqa: PLR2004 - the message lists ten
            shown += f" and {len(regressions) - 10} more"
        super().__init__(
            f"`{command}` passed these tests before the migration and not after: {shown}.",
            hint="reading the diff along those tests' code paths; the files are written, so"
            " revert them with your version control and run the phases one at a time.",
        )
        self.regressions = tuple(regressions)
        self.command = command


# --- application errors ---------------------------------------------------------------


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
