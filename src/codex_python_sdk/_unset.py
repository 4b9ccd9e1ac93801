"""The one "not given" sentinel: :data:`UNSET`.

Used wherever ``None`` is a meaningful value and so cannot mean "not given": an omitted JSON key in the
protocol models (``None`` sends ``null``), a timeout left at its default (``None`` means no limit), a
filter not set (``thread_id=None`` means "no thread").
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import ClassVar, Final

__all__ = ["UNSET", "Unset"]


class Unset:
    """Type of :data:`UNSET`: "leave this key out of the JSON object" (``None`` sends ``null``)."""

    __slots__ = ()
    _instance: ClassVar[Unset | None] = None

    def __new__(cls) -> Unset:
        if cls._instance is None:
            cls._instance = object.__new__(cls)
        return cls._instance

    def __bool__(self) -> bool:
        return False

    def __repr__(self) -> str:
        return "UNSET"

    def __reduce__(self) -> str:
        return "UNSET"

    def __copy__(self) -> Unset:
        return self

    def __deepcopy__(self, memo: object) -> Unset:
        return self


UNSET: Final[Unset] = Unset()
"""Not given (the key is left out, the default applies)."""
