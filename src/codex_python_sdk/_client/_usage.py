"""Budgets (:class:`Budget`) and the client's usage accessors (:class:`UsageMethods`).

The client's book of usage (``UsageLedger``) is in ``_ledger.py``, imported when a client is made; the
watch of one turn that has a budget or a trace (``TurnWatch``) in ``_watch.py``, imported with the first
turn (while codex boots). Neither comes with the clients (docs/performance.md).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._frozen import FrozenValue

if TYPE_CHECKING:
    from ..events._usage import Usage
    from ..protocol._models.rate_limit_snapshot import RateLimitSnapshot
    from ._ledger import UsageLedger

__all__ = ["OBSERVED", "Budget", "UsageMethods", "check_budget"]

OBSERVED = frozenset(
    {
        "thread/tokenUsage/updated",
        "account/rateLimits/updated",
        "item/started",
        "item/completed",
        "item/autoApprovalReview/completed",
    }
)
"""The notifications the ledger reads (besides routing them as usual)."""


class Budget(FrozenValue["float | None"]):
    """Limits for turns, opt-in: ``budget=`` on the client (counted across its turns) or per call
    (``responses_create(..., budget=...)``: that call's turn). None means no limit.

    - ``max_turns``: turns that may start (counted when a turn starts; one past it is refused before
      ``turn/start`` is sent). Per call it only makes sense as 0.
    - ``max_tokens``: total tokens (input + output, as codex reports them after each model response).
      Per call: the turn's own; on the client: all this client has seen used, so a client budget that
      is spent also refuses the next turn before it starts.
    - ``max_seconds_per_turn``: wall time of one turn, like ``turn_timeout``.

    Past a limit the turn is interrupted on the server and :class:`BudgetExceededError` raised, with the
    partial response; tokens are checked when codex reports them (after each model response), so a turn
    may end a little past ``max_tokens``, by at most one model response.
    """

    __slots__ = _FIELDS = ("max_turns", "max_tokens", "max_seconds_per_turn")
    max_turns: int | None
    max_tokens: int | None
    max_seconds_per_turn: float | None

    def __init__(
        self,
        max_turns: int | None = None,
        max_tokens: int | None = None,
        max_seconds_per_turn: float | None = None,
    ) -> None:
        for name, value in zip(self._FIELDS, (max_turns, max_tokens, max_seconds_per_turn), strict=True):
            number = (int, float) if name == "max_seconds_per_turn" else (int,)
            if value is not None and (isinstance(value, bool) or not isinstance(value, number) or value < 0):
                raise ValueError(f"Budget.{name} must be a number >= 0 or None, got {value!r}")
        self._set((max_turns, max_tokens, max_seconds_per_turn))


def check_budget(value: object, name: str = "budget") -> Budget | None:
    """``value`` if it is a :class:`Budget` or None; TypeError otherwise (a dict is a likely slip)."""
    if value is None or isinstance(value, Budget):
        return value
    raise TypeError(f"{name} must be a Budget(...) or None, got {type(value).__name__}")


class UsageMethods:
    """Mixin of the client's usage accessors (the client supplies ``_ledger``)."""

    if TYPE_CHECKING:
        _ledger: UsageLedger

    @property
    def usage(self) -> Usage:
        """Tokens this client has seen used, on all its threads, since it was made (a :class:`Usage`)."""
        return self._ledger.total

    def thread_usage(self, thread_id: str) -> Usage | None:
        """A thread's token total as codex last reported it to this client (None: no report yet)."""
        return self._ledger.thread_usage(thread_id)

    @property
    def rate_limits(self) -> RateLimitSnapshot | None:
        """The latest ``account/rateLimits/updated`` snapshot (sparse updates merged), or None. Each update
        is also an event: ``client.notifications(["account/rateLimits/updated"])``."""
        return self._ledger.rate_limit_snapshot()
