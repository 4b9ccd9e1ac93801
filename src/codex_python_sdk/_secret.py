"""``Secret``: a credential that never shows itself. No imports: the options hold one on the cold path."""

from __future__ import annotations

__all__ = ["Secret"]


class Secret:
    """A string that never shows itself: ``repr`` and ``str`` say ``<redacted>``; :meth:`reveal` gives it.

    Held instead of the plain string wherever a credential is kept (the bearer token of a remote
    app-server), so that a repr in a log, a traceback's locals or a debugger's view cannot print it.
    """

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        """The secret itself, for the one place that sends it."""
        return self._value

    def __repr__(self) -> str:
        return "Secret(<redacted>)"

    __str__ = __repr__

    def __reduce__(self) -> str:
        raise TypeError("a Secret is not pickled: it would be written out in clear")
