"""Dependency-injection errors (``rescope.di``): registration, graph, resolution, closing."""

from __future__ import annotations

from collections.abc import Sequence

from rescope.exceptions._base import RescopeError, _qualified_name

__all__ = [
    "AsyncFinalizerError",
    "AsyncProviderError",
    "CleanupError",
    "ClosedError",
    "ContainerError",
    "CycleError",
    "DuplicateRegistrationError",
    "GraphValidationError",
    "InvalidScopeError",
    "MissingContextError",
    "MissingDependencyError",
    "RegistrationError",
    "ResolutionError",
    "ScopeNotActiveError",
    "ScopeViolationError",
    "UnexpectedContextError",
    "UnknownServiceError",
    "UnresolvableParameterError",
]


# --- registration ---------------------------------------------------------------------


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


# --- the graph, checked when the container is built -----------------------------------


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


# --- resolution -----------------------------------------------------------------------


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


# --- scopes and closing ---------------------------------------------------------------


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
