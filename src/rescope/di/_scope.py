"""Scopes: the ordered lifetimes a service can live for."""

from __future__ import annotations

from typing import ClassVar, Final

from rescope.exceptions import RegistrationError

__all__ = ["Scope"]


class Scope:
    """A lifetime: APP -> SESSION -> REQUEST -> ACTION, plus TRANSIENT and custom scopes.

    Scopes are ordered from the longest-lived (APP) to the shortest-lived. A service lives
    in one scope: it is created once per entered scope of that kind and finalized when that
    scope closes. ``TRANSIENT`` services are created anew on every resolution.

    Custom scopes are inserted into the order with :meth:`custom`; compare scopes with
    ``<`` (longer-lived first).

    Args:
        name: The name shown in errors and graphs.
        rank: The position in the order (tuples compare element by element).
    """

    __slots__ = ("_children", "name", "rank")

    APP: ClassVar[Scope]
    SESSION: ClassVar[Scope]
    REQUEST: ClassVar[Scope]
    ACTION: ClassVar[Scope]
    TRANSIENT: ClassVar[Scope]

    def __init__(self, name: str, rank: tuple[int, ...]) -> None:
        self.name: Final = name
        self.rank: Final = rank
        self._children = 0

    @classmethod
    def custom(cls, name: str, *, after: Scope) -> Scope:
        """Create a scope that comes right after ``after`` in the order.

        A second custom scope created after the same scope comes after the first one, so
        ``Scope.custom("job", after=Scope.SESSION)`` sits between SESSION and REQUEST.

        Args:
            name: The scope's name, shown in errors and graphs.
            after: The longer-lived scope it nests in.

        Raises:
            RegistrationError: When ``after`` is TRANSIENT or ``name`` is empty.
        """
        if after is Scope.TRANSIENT or type(after) is not Scope:
            raise RegistrationError(
                f"custom scope {name!r} cannot come after {after!r}: only entered scopes"
                " (APP, SESSION, REQUEST, ACTION or a custom scope) have a place in the order.",
                hint=f"`Scope.custom({name!r}, after=Scope.SESSION)`.",
            )
        if not name:
            raise RegistrationError(
                "a custom scope needs a name: it is shown in errors and graphs.",
                hint='`Scope.custom("job", after=Scope.SESSION)`.',
            )
        after._children += 1
        return cls(name, (*after.rank, after._children))

    @property
    def is_transient(self) -> bool:
        """Whether services of this scope are created on every resolution."""
        return self is Scope.TRANSIENT

    def __lt__(self, other: Scope) -> bool:
        return self.rank < other.rank

    def __le__(self, other: Scope) -> bool:
        return self.rank <= other.rank

    def __gt__(self, other: Scope) -> bool:
        return self.rank > other.rank

    def __ge__(self, other: Scope) -> bool:
        return self.rank >= other.rank

    def __repr__(self) -> str:
        if getattr(Scope, self.name, None) is self:
            return f"Scope.{self.name}"
        return f"<Scope {self.name!r}>"

    def __str__(self) -> str:
        return self.name


Scope.APP = Scope("APP", (0,))
Scope.SESSION = Scope("SESSION", (1,))
Scope.REQUEST = Scope("REQUEST", (2,))
Scope.ACTION = Scope("ACTION", (3,))
Scope.TRANSIENT = Scope("TRANSIENT", (1_000_000,))
