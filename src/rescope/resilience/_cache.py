"""The fallback cache: what the resilient Redis client serves while Redis is down."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Hashable

from rescope.resilience._breaker_config import use_default_clock
from rescope.resilience._clock import Clock

__all__ = ["MISSING", "FallbackCache"]


class _Missing:
    __slots__ = ()

    def __repr__(self) -> str:
        return "MISSING"

    def __bool__(self) -> bool:
        return False


#: What :meth:`FallbackCache.get` returns on a miss (``None`` is a value Redis can give).
MISSING = _Missing()


class FallbackCache:
    """A bounded LRU cache whose entries expire after their time to live.

    Args:
        maxsize: Entries kept; the least recently used one goes first.
        ttl: Seconds an entry lives when its own time to live is unknown.
        clock: A monotonic clock (default ``time.monotonic``; ``testing()`` swaps it).
    """

    __slots__ = ("__weakref__", "_clock", "_data", "hits", "maxsize", "misses", "ttl")

    def __init__(self, maxsize: int = 1000, ttl: float = 300.0, clock: Clock | None = None) -> None:
        self.maxsize = maxsize
        self.ttl = ttl
        self._clock = use_default_clock(self) if clock is None else clock
        self._data: OrderedDict[Hashable, tuple[object, float]] = OrderedDict()
        self.hits = 0
        self.misses = 0

    def get(self, key: Hashable) -> object:
        """Return the live value of ``key`` (most recently used now), or :data:`MISSING`."""
        entry = self._data.get(key)
        if entry is None:
            self.misses += 1
            return MISSING
        value, expires = entry
        if expires <= self._clock():
            del self._data[key]
            self.misses += 1
            return MISSING
        self._data.move_to_end(key)
        self.hits += 1
        return value

    def peek(self, key: Hashable) -> object:
        """Return the live value of ``key`` without counting a hit or a miss."""
        entry = self._data.get(key)
        if entry is None or entry[1] <= self._clock():
            return MISSING
        return entry[0]

    def put(self, key: Hashable, value: object, ttl: float | None = None) -> None:
        """Store ``value`` for ``ttl`` seconds (default: the cache's ``ttl``)."""
        if self.maxsize <= 0:
            return
        data = self._data
        data[key] = (value, self._clock() + (self.ttl if ttl is None else ttl))
        data.move_to_end(key)
        if len(data) > self.maxsize:
            data.popitem(last=False)

    def expire(self, key: Hashable, ttl: float) -> None:
        """Give an existing entry a new time to live (nothing happens if it is absent)."""
        entry = self._data.get(key)
        if entry is not None:
            self._data[key] = (entry[0], self._clock() + ttl)

    def remaining(self, key: Hashable) -> float | None:
        """Seconds ``key`` has left, or ``None`` if it is not cached."""
        entry = self._data.get(key)
        if entry is None:
            return None
        left = entry[1] - self._clock()
        return left if left > 0 else None

    def delete(self, key: Hashable) -> None:
        """Forget ``key``."""
        self._data.pop(key, None)

    def clear(self) -> None:
        """Forget everything."""
        self._data.clear()

    def __len__(self) -> int:
        return len(self._data)

    def __contains__(self, key: object) -> bool:
        return self.peek(key) is not MISSING  # type: ignore[arg-type,unused-ignore]
