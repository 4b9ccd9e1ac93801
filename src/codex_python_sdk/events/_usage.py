"""Token usage as plain numbers: ``Usage``, and the arithmetic that gives a turn's share of a thread's.

codex reports ``thread/tokenUsage/updated`` after every model response with the thread's running
``total`` and the ``last`` request's usage. A turn's usage is the thread's total now minus the total
before the turn's first request (``total - last`` of the turn's first report), so it is right also for a
thread this client resumed and never saw before.
"""

from __future__ import annotations

from .._frozen import FrozenValue

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

__all__ = ["Usage", "TurnUsageCounter"]

# wire name (TokenUsageBreakdown) -> field
_WIRE = {
    "inputTokens": "input_tokens",
    "cachedInputTokens": "cached_input_tokens",
    "cacheWriteInputTokens": "cache_write_input_tokens",
    "outputTokens": "output_tokens",
    "reasoningOutputTokens": "reasoning_output_tokens",
    "totalTokens": "total_tokens",
}


class Usage(FrozenValue[int]):
    """Token counts (of a turn, a thread or a client). ``cached_input_tokens`` and
    ``cache_write_input_tokens`` are part of ``input_tokens``, ``reasoning_output_tokens`` part of
    ``output_tokens``; ``total_tokens`` is input plus output. ``Usage`` objects add up with ``+``, compare
    equal by value and are immutable."""

    __slots__ = _FIELDS = (
        "input_tokens",
        "cached_input_tokens",
        "cache_write_input_tokens",
        "output_tokens",
        "reasoning_output_tokens",
        "total_tokens",
    )
    input_tokens: int
    cached_input_tokens: int
    cache_write_input_tokens: int
    output_tokens: int
    reasoning_output_tokens: int
    total_tokens: int

    def __init__(
        self,
        input_tokens: int = 0,
        cached_input_tokens: int = 0,
        cache_write_input_tokens: int = 0,
        output_tokens: int = 0,
        reasoning_output_tokens: int = 0,
        total_tokens: int = 0,
    ) -> None:
        values = (
            input_tokens,
            cached_input_tokens,
            cache_write_input_tokens,
            output_tokens,
            reasoning_output_tokens,
            total_tokens,
        )
        self._set(values)

    @classmethod
    def from_wire(cls, breakdown: Any) -> Usage:
        """A ``TokenUsageBreakdown`` (its wire dict or model) as ``Usage``; missing counts are 0."""
        get = getattr(breakdown, "get", None)
        if get is None:
            return cls()
        values = {}
        for wire, name in _WIRE.items():
            value = get(wire)
            values[name] = value if type(value) is int and value > 0 else 0
        return cls(**values)

    def __add__(self, other: Usage) -> Usage:
        if not isinstance(other, Usage):
            return NotImplemented
        return Usage(*(a + b for a, b in zip(self._values(), other._values(), strict=True)))

    def since(self, earlier: Usage) -> Usage:
        """What was used after ``earlier`` (counts never below 0: a server that resets its totals must
        not make a turn look negative)."""
        return Usage(*(max(0, a - b) for a, b in zip(self._values(), earlier._values(), strict=True)))


class TurnUsageCounter:
    """Follows one turn's ``thread/tokenUsage/updated`` reports: :attr:`usage` is the turn's so far."""

    __slots__ = ("_base", "usage")

    def __init__(self) -> None:
        self._base: Usage | None = None
        self.usage: Usage | None = None
        """None until the turn's first report."""

    def add(self, token_usage: Any) -> Usage | None:
        """Take one ``tokenUsage`` (``{"total": ..., "last": ...}``) into account; returns :attr:`usage`."""
        get = getattr(token_usage, "get", None)
        if get is None:
            return self.usage
        total = Usage.from_wire(get("total"))
        if self._base is None:  # the thread's total before the turn's first request
            self._base = total.since(Usage.from_wire(get("last")))
        self.usage = total.since(self._base)
        return self.usage
