"""``FrozenValue``: the base of the SDK's small immutable value classes (``Usage``, ``Budget``).

Written out rather than frozen dataclasses: those modules are imported with the clients, and making a
dataclass costs about a millisecond of import time (docs/performance.md). A subclass lists its fields
in ``__slots__`` and ``_FIELDS`` (the same tuple), sets them with ``_set`` in ``__init__`` and gets
equality and hashing by value, a keyword repr, pickling and immutability from here.
"""

from __future__ import annotations

from typing import ClassVar, Generic, TypeVar

__all__ = ["FrozenValue"]

T = TypeVar("T")


class FrozenValue(Generic[T]):
    """An immutable record whose fields, named in ``_FIELDS``, all hold values of type ``T``."""

    __slots__ = ()
    _FIELDS: ClassVar[tuple[str, ...]] = ()

    def _set(self, values: tuple[T, ...]) -> None:
        for name, value in zip(self._FIELDS, values, strict=True):
            object.__setattr__(self, name, value)

    def _values(self) -> tuple[T, ...]:
        return tuple(getattr(self, name) for name in self._FIELDS)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"{type(self).__name__} is immutable (cannot set {name!r})")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"{type(self).__name__} is immutable (cannot delete {name!r})")

    def __reduce__(self) -> tuple[type[FrozenValue[T]], tuple[T, ...]]:
        # pickle / copy: pools send options and responses across processes
        return (type(self), self._values())

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        assert isinstance(other, FrozenValue)
        return self._values() == other._values()

    def __hash__(self) -> int:
        return hash(self._values())

    def __repr__(self) -> str:
        pairs = zip(self._FIELDS, self._values(), strict=True)
        return f"{type(self).__name__}({', '.join(f'{name}={value!r}' for name, value in pairs)})"
