"""Registry: the declarative list of providers a Container is built from."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, TypeVar, overload

from rescope.di._providers import Provider, context_provider, make_provider, value_provider
from rescope.di._scope import Scope
from rescope.exceptions import DuplicateRegistrationError

__all__ = ["Registry"]

F = TypeVar("F", bound=Callable[..., Any])


class Registry:
    """A group of providers: register services here, then build a ``Container`` from it.

    Registries compose: a feature module keeps its own registry and the application
    includes it (``Registry(auth_registry, billing_registry)`` or :meth:`include`).
    Registering a key twice in one registry, or in two registries that end up in one
    container, is an error unless the later registration passes ``override=True``.

    Args:
        *included: Registries whose providers come first, in order.
    """

    __slots__ = ("_providers",)

    def __init__(self, *included: Registry) -> None:
        self._providers: list[Provider] = []
        self.include(*included)

    def add(
        self,
        provider: Callable[..., Any],
        /,
        *,
        scope: Scope = Scope.APP,
        provides: object = None,
        override: bool = False,
        enter: bool = False,
    ) -> None:
        """Register a class or a factory.

        A class is built by calling it with its ``__init__`` parameters injected by their
        annotations. A function may be sync or async, a generator or async generator (the
        code after ``yield`` runs when the scope closes) or a ``@contextmanager`` function.
        It provides its return annotation (``Iterator[T]`` provides ``T``).

        A class that is itself a context manager (a client with ``__enter__``/``__exit__``
        or ``__aenter__``/``__aexit__``) is only entered when asked: ``enter=True``.

        Args:
            provider: The class or function.
            scope: The scope its values live in (default APP: one per container).
            provides: The key, or a list of keys, to provide instead of the class or the
                return annotation: bind an implementation to its interfaces.
            override: Replace an earlier registration of the same keys.
            enter: Enter the made object (``__aenter__`` when its class has one, else
                ``__enter__``), provide what entering returns, and exit it when the scope
                closes. For classes and sync factories whose return type is such a class.

        Raises:
            RegistrationError: When the provider is not callable, provides nothing usable
                or cannot be entered.
            DuplicateRegistrationError: When a key is already registered here.
        """
        self._append(
            make_provider(provider, scope=scope, provides=provides, override=override, enter=enter)
        )

    @overload
    def provide(self, func: F, /) -> F: ...

    @overload
    def provide(
        self,
        func: None = None,
        /,
        *,
        scope: Scope = Scope.APP,
        provides: object = None,
        override: bool = False,
        enter: bool = False,
    ) -> Callable[[F], F]: ...

    def provide(
        self,
        func: F | None = None,
        /,
        *,
        scope: Scope = Scope.APP,
        provides: object = None,
        override: bool = False,
        enter: bool = False,
    ) -> F | Callable[[F], F]:
        """Register the decorated class or function, as :meth:`add` does; return it unchanged.

        Use it bare (``@registry.provide``) or with options
        (``@registry.provide(scope=Scope.REQUEST)``).

        Args:
            func: The class or function (when used bare).
            scope: The scope its values live in.
            provides: The key or keys to provide instead of the return annotation.
            override: Replace an earlier registration of the same keys.
            enter: Enter the made object as a context manager (see :meth:`add`).

        Raises:
            RegistrationError: When the function cannot be registered.
        """

        def decorate(target: F) -> F:
            self.add(target, scope=scope, provides=provides, override=override, enter=enter)
            return target

        return decorate if func is None else decorate(func)

    def value(self, value: object, /, *, provides: object = None, override: bool = False) -> None:
        """Register a ready object (APP scope), such as settings or a client built elsewhere.

        Args:
            value: The object; it is not finalized by the container.
            provides: The key or keys to provide; by default ``type(value)``.
            override: Replace an earlier registration of the same keys.

        Raises:
            RegistrationError: When ``provides`` is empty or None.
        """
        self._append(value_provider(value, provides=provides, override=override))

    def context(self, service: object, /, *, scope: Scope = Scope.REQUEST) -> None:
        """Declare a value that is passed in when ``scope`` is entered.

        ``container.scope(Scope.REQUEST, context={Request: request})`` then makes
        ``Request`` injectable into every provider resolved in that scope.

        Args:
            service: The type key of the value.
            scope: The scope whose entry passes it (APP: pass it to ``Container(context=)``).

        Raises:
            RegistrationError: When ``scope`` is TRANSIENT.
            DuplicateRegistrationError: When the key is already registered here.
        """
        self._append(context_provider(service, scope=scope))

    def include(self, *registries: Registry) -> None:
        """Add every provider of other registries, in order (a module of services).

        Args:
            *registries: The registries to include.

        Raises:
            DuplicateRegistrationError: When they register a key that is already registered
                here without ``override=True``.
        """
        for registry in registries:
            for provider in registry:
                self._append(provider)

    def __iter__(self) -> Iterator[Provider]:
        return iter(self._providers)

    def __len__(self) -> int:
        return len(self._providers)

    def __repr__(self) -> str:
        return f"<Registry with {len(self._providers)} providers>"

    def _append(self, provider: Provider) -> None:
        if provider in self._providers:
            return
        if not provider.override:
            for existing in self._providers:
                for key in provider.provides:
                    if key in existing.provides:
                        raise DuplicateRegistrationError(
                            key, first=existing.source, second=provider.source
                        )
        self._providers.append(provider)
