"""Providers: what a registration turns into, and the reading of its signature."""

from __future__ import annotations

import enum
import inspect
import typing
from collections.abc import (
    AsyncGenerator,
    AsyncIterable,
    AsyncIterator,
    Callable,
    Generator,
    Iterable,
    Iterator,
)
from contextlib import AbstractAsyncContextManager, AbstractContextManager
from dataclasses import dataclass
from types import NoneType
from typing import Annotated, Any, get_args, get_origin

from rescope.di._scope import Scope
from rescope.exceptions import RegistrationError, UnresolvableParameterError, _qualified_name

__all__ = [
    "NO_DEFAULT",
    "Dependency",
    "Kind",
    "Provider",
    "context_provider",
    "make_provider",
    "value_provider",
]

NO_DEFAULT: Any = inspect.Parameter.empty

_SYNC_ITER = {Iterator, Generator, Iterable, typing.Iterator, typing.Generator, typing.Iterable}
_ASYNC_ITER = {
    AsyncIterator,
    AsyncGenerator,
    AsyncIterable,
    typing.AsyncIterator,
    typing.AsyncGenerator,
    typing.AsyncIterable,
}
_SYNC_CM = {AbstractContextManager, typing.ContextManager}
_ASYNC_CM = {AbstractAsyncContextManager, typing.AsyncContextManager}


class Kind(enum.Enum):
    """How a provider makes its value, and whether it has a finalizer."""

    CLASS = "class"
    FACTORY = "factory"
    ASYNC_FACTORY = "async factory"
    GENERATOR = "generator"
    ASYNC_GENERATOR = "async generator"
    CONTEXT_MANAGER = "context manager"
    ASYNC_CONTEXT_MANAGER = "async context manager"
    VALUE = "value"
    CONTEXT = "context"

    @property
    def is_async(self) -> bool:
        """Whether making the value needs an ``await``."""
        return self in {Kind.ASYNC_FACTORY, Kind.ASYNC_GENERATOR, Kind.ASYNC_CONTEXT_MANAGER}


@dataclass(frozen=True, slots=True)
class Dependency:
    """One injectable parameter of a provider.

    Attributes:
        name: The parameter's name.
        key: The annotation, the type key looked up first.
        fallback: ``key`` without ``Annotated`` metadata, looked up when ``key`` is not provided.
        positional: Whether the parameter is positional-only.
        keyword_only: Whether the parameter is keyword-only.
        default: The parameter's default, or ``NO_DEFAULT``.
    """

    name: str
    key: object
    fallback: object
    positional: bool
    keyword_only: bool
    default: object


@dataclass(frozen=True, slots=True, eq=False)
class Provider:
    """A registration: the keys it provides, how and in which scope it makes them.

    Attributes:
        provides: The type keys it provides (the first one names it in graphs).
        source: The class, function or value that was registered.
        kind: How the value is made.
        scope: The scope the value lives in.
        override: Whether it may replace an earlier registration of the same keys.
    """

    provides: tuple[object, ...]
    source: object
    kind: Kind
    scope: Scope
    override: bool = False

    def dependencies(self) -> tuple[Dependency, ...]:
        """Read the injectable parameters from the signature and type hints.

        Raises:
            UnresolvableParameterError: When a parameter has no usable annotation.
        """
        if self.kind in {Kind.VALUE, Kind.CONTEXT}:
            return ()
        target = self.source
        if isinstance(target, type):
            init = target.__init__  # type: ignore[misc]
            if init is object.__init__:
                return ()
            hints_of: Any = init
            try:
                signature = inspect.signature(target)
            except (TypeError, ValueError):
                return ()
        else:
            hints_of = target
            signature = inspect.signature(target)  # type: ignore[arg-type]
        try:
            hints = typing.get_type_hints(hints_of, include_extras=True)
        except NameError as exc:
            raise UnresolvableParameterError(
                self.source,
                parameter=str(exc.name),
                reason=f"its annotation names `{exc.name}`, which is not defined at runtime",
                hint=f"importing `{exc.name}` at module level: the container reads annotations"
                " when it is built, so names imported under TYPE_CHECKING are invisible to it.",
            ) from None
        deps = []
        for param in signature.parameters.values():
            if param.kind in {param.VAR_POSITIONAL, param.VAR_KEYWORD}:
                continue
            annotation = hints.get(param.name, NO_DEFAULT)
            if annotation is NO_DEFAULT:
                if param.default is not NO_DEFAULT:
                    continue
                raise UnresolvableParameterError(
                    self.source,
                    parameter=param.name,
                    reason="it has no type annotation and no default, so there is no type to"
                    " look up",
                    hint=f"annotating it (`{param.name}: SomeService`) or giving it a default.",
                )
            fallback = (
                get_args(annotation)[0] if get_origin(annotation) is Annotated else annotation
            )
            deps.append(
                Dependency(
                    name=param.name,
                    key=annotation,
                    fallback=fallback,
                    positional=param.kind is param.POSITIONAL_ONLY,
                    keyword_only=param.kind is param.KEYWORD_ONLY,
                    default=param.default,
                )
            )
        return tuple(deps)


def _return_key(func: Callable[..., object]) -> object:
    """The return annotation of ``func``, resolved, or ``NO_DEFAULT`` when it has none."""
    try:
        hints = typing.get_type_hints(func, include_extras=True)
    except NameError:
        raw = getattr(func, "__annotations__", {}).get("return", NO_DEFAULT)
        if isinstance(raw, str):
            raise RegistrationError(
                f"the return annotation {raw!r} of `{_qualified_name(func)}` names something"
                " that is not defined at runtime, so the container cannot tell what it provides.",
                provider=func,
                hint="importing the returned type at module level, or pass provides=TheType.",
            ) from None
        return raw
    except TypeError:
        return NO_DEFAULT
    return hints.get("return", NO_DEFAULT)


def _kind_of(func: Callable[..., object]) -> tuple[Kind, Callable[..., object]]:
    """The kind of a function provider and the function whose annotations describe it."""
    if inspect.isasyncgenfunction(func):
        return Kind.ASYNC_GENERATOR, func
    if inspect.isgeneratorfunction(func):
        return Kind.GENERATOR, func
    if inspect.iscoroutinefunction(func):
        return Kind.ASYNC_FACTORY, func
    wrapped = getattr(func, "__wrapped__", None)
    if wrapped is not None and inspect.isasyncgenfunction(wrapped):
        return Kind.ASYNC_CONTEXT_MANAGER, func
    if wrapped is not None and inspect.isgeneratorfunction(wrapped):
        return Kind.CONTEXT_MANAGER, func
    return Kind.FACTORY, func


def _unwrap_return(kind: Kind, annotation: object) -> tuple[Kind, object]:
    """What a provider of ``kind`` returning ``annotation`` provides."""
    origin = get_origin(annotation)
    args = get_args(annotation)
    if kind in {Kind.GENERATOR, Kind.CONTEXT_MANAGER} and origin in _SYNC_ITER and args:
        return kind, args[0]
    if (
        kind in {Kind.ASYNC_GENERATOR, Kind.ASYNC_CONTEXT_MANAGER}
        and origin in _ASYNC_ITER
        and args
    ):
        return kind, args[0]
    if kind is Kind.FACTORY and origin in _SYNC_CM and args:
        return Kind.CONTEXT_MANAGER, args[0]
    if kind is Kind.FACTORY and origin in _ASYNC_CM and args:
        return Kind.ASYNC_CONTEXT_MANAGER, args[0]
    return kind, annotation


def _as_tuple(provides: object) -> tuple[object, ...]:
    if isinstance(provides, list | tuple):
        return tuple(provides)
    return (provides,)


def _check_keys(source: object, keys: tuple[object, ...]) -> None:
    if not keys:
        raise RegistrationError(
            f"`{_qualified_name(source)}` was registered with an empty provides=, so it would"
            " provide nothing.",
            provider=source,
            hint="provides=TheType or provides=[Interface, OtherInterface].",
        )
    for key in keys:
        if key is None or key is NoneType:
            raise RegistrationError(
                f"`{_qualified_name(source)}` is registered as a provider of None: None is not"
                " a service, and a factory annotated `-> None` returns nothing to inject.",
                provider=source,
                hint="annotating the factory with the type it returns, or pass provides=TheType.",
            )
        try:
            hash(key)
        except TypeError:
            raise RegistrationError(
                f"`{key!r}` cannot be a service key for `{_qualified_name(source)}`: it is not"
                " hashable.",
                provider=source,
                hint="a class, a Protocol or `Annotated[TheType, 'name']` as the key.",
            ) from None


def _entered_kind(source: object, made: object) -> Kind:
    """The kind of a provider registered with ``enter=True`` whose values are ``made``.

    Raises:
        RegistrationError: When ``made`` is not a (sync or async) context manager class.
    """
    if isinstance(made, type) and hasattr(made, "__aenter__") and hasattr(made, "__aexit__"):
        return Kind.ASYNC_CONTEXT_MANAGER
    if isinstance(made, type) and hasattr(made, "__enter__") and hasattr(made, "__exit__"):
        return Kind.CONTEXT_MANAGER
    raise RegistrationError(
        f"`{_qualified_name(source)}` is registered with enter=True, but"
        f" `{_qualified_name(made)}` is not a context manager class (it has neither"
        " `__enter__`/`__exit__` nor `__aenter__`/`__aexit__`), so there is nothing to enter.",
        provider=source,
        hint="registering it without enter=True, or register a generator that yields the"
        " value and cleans up after the yield.",
    )


def make_provider(
    source: object,
    *,
    scope: Scope,
    provides: object = None,
    override: bool = False,
    enter: bool = False,
) -> Provider:
    """Turn a class or a function into a :class:`Provider`.

    Args:
        source: The class (constructor injection) or function (factory, generator, ...).
        scope: The scope its values live in.
        provides: The key or keys it provides; by default the class or the return annotation.
        override: Whether it may replace an earlier registration of the same keys.
        enter: Enter the made object as a context manager (``__aenter__`` when the class
            has it, else ``__enter__``); the value is what entering returns and exiting
            is its finalizer.

    Raises:
        RegistrationError: When ``source`` is not callable, provides nothing or provides
            None, or ``enter=True`` is given for something that cannot be entered.
    """
    if type(scope) is not Scope:
        raise RegistrationError(
            f"scope={scope!r} for `{_qualified_name(source)}` is not a Scope.",
            provider=source,
            hint="scope=Scope.APP, Scope.SESSION, Scope.REQUEST, Scope.ACTION or Scope.TRANSIENT.",
        )
    if isinstance(source, type):
        keys = _as_tuple(provides) if provides is not None else (source,)
        _check_keys(source, keys)
        kind = _entered_kind(source, source) if enter else Kind.CLASS
        return Provider(keys, source, kind, scope, override)
    if not callable(source):
        raise RegistrationError(
            f"{source!r} is not callable, so it cannot make a service.",
            provider=source,
            hint="`registry.value(obj)` to register a ready object, or register its class or a"
            " factory function.",
        )
    kind, described = _kind_of(source)
    if provides is not None:
        keys = _as_tuple(provides)
        kind = _unwrap_return(kind, _return_key(described))[0]
    else:
        annotation = _return_key(described)
        if annotation is NO_DEFAULT:
            what = "a lambda" if getattr(source, "__name__", "") == "<lambda>" else "it"
            raise RegistrationError(
                f"`{_qualified_name(source)}` has no return annotation, and {what} is registered"
                " without provides=, so the container cannot tell which type it provides.",
                provider=source,
                hint="annotating the return type (`def make() -> Service:`) or pass"
                " provides=Service.",
            )
        kind, key = _unwrap_return(kind, annotation)
        keys = (key,)
    _check_keys(source, keys)
    if enter:
        if kind is not Kind.FACTORY:
            raise RegistrationError(
                f"`{_qualified_name(source)}` is a {kind.value} provider, and enter=True"
                " applies to classes and sync factory functions only: this provider already"
                " says how its value is made and finalized.",
                provider=source,
                hint="registering it without enter=True (an async factory of a context"
                " manager: an async generator that enters it and yields the value).",
            )
        kind = _entered_kind(source, _return_key(described))
    return Provider(keys, source, kind, scope, override)


def context_provider(service: object, *, scope: Scope) -> Provider:
    """A provider for a value passed in when ``scope`` is entered.

    Args:
        service: The type key of the value.
        scope: The scope whose entry passes it.

    Raises:
        RegistrationError: When ``scope`` is TRANSIENT or ``service`` is None.
    """
    if type(scope) is not Scope or scope is Scope.TRANSIENT:
        raise RegistrationError(
            f"context value `{_qualified_name(service)}` needs an entered scope, not {scope!r}.",
            provider=service,
            hint="scope=Scope.REQUEST (or the scope whose entry passes the value).",
        )
    _check_keys(service, (service,))
    return Provider((service,), service, Kind.CONTEXT, scope)


def value_provider(value: object, *, provides: object = None, override: bool = False) -> Provider:
    """A provider of a ready object, in APP scope.

    Args:
        value: The object.
        provides: The key or keys; by default ``type(value)``.
        override: Whether it may replace an earlier registration of the same keys.

    Raises:
        RegistrationError: When the keys are empty, None or unhashable.
    """
    keys = (type(value),) if provides is None else _as_tuple(provides)
    _check_keys(value, keys)
    return Provider(keys, value, Kind.VALUE, Scope.APP, override)
