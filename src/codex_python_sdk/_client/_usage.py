"""Usage totals, rate limits, budgets, and what a running turn reports to telemetry.

:class:`UsageLedger` is the client's book: token totals per thread (as codex reports them) and for the
client (what it saw used since it was made), the latest rate-limit snapshot, and the turns started. It
reads the few notifications it needs on the reader (``thread/tokenUsage/updated``,
``account/rateLimits/updated``, tool items, auto-review results), never deltas.

The watch of one turn that has a budget or a trace (``TurnWatch``) is in ``_watch.py``, imported with the
first turn (while codex boots), not with the clients.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

# Imported where first needed, not with the clients (docs/performance.md): the token counts when a client
# is made, the watch of a turn (and _telemetry, json) with the first turn.
if TYPE_CHECKING:
    from collections.abc import Mapping

    from ..events._usage import Usage
    from ..hooks import RequestContext
    from ..protocol._models.rate_limit_snapshot import RateLimitSnapshot
    from ._turns import TurnTracker
    from ._watch import TurnWatch

__all__ = ["OBSERVED", "Budget", "UsageLedger", "UsageMethods", "check_budget"]

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


class Budget:
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

    # Written out rather than a frozen dataclass: this module is imported with the client, and making a
    # dataclass costs about a millisecond of import time.
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
            object.__setattr__(self, name, value)

    def _values(self) -> tuple[float | None, ...]:
        return tuple(getattr(self, name) for name in self._FIELDS)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"Budget is immutable (cannot set {name!r})")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"Budget is immutable (cannot delete {name!r})")

    def __reduce__(self) -> tuple[type[Budget], tuple[float | None, ...]]:
        return (Budget, self._values())  # pickle / copy (pools send options across processes)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Budget):
            return NotImplemented
        return self._values() == other._values()

    def __hash__(self) -> int:
        return hash(self._values())

    def __repr__(self) -> str:
        pairs = zip(self._FIELDS, self._values(), strict=True)
        fields = ", ".join(f"{name}={value!r}" for name, value in pairs)
        return f"Budget({fields})"


def check_budget(value: object, name: str = "budget") -> Budget | None:
    """``value`` if it is a :class:`Budget` or None; TypeError otherwise (a dict is a likely slip)."""
    if value is None or isinstance(value, Budget):
        return value
    raise TypeError(f"{name} must be a Budget(...) or None, got {type(value).__name__}")


class UsageLedger:
    """The client's usage totals, rate limits and turn count; builds the watch of each turn."""

    def __init__(self, budget: Budget | None, tracer_provider: Any, capture_content: bool | None) -> None:
        self.budget = budget
        self.tracer_provider = tracer_provider
        self.capture_content = capture_content
        from ..events._usage import Usage

        self.total = Usage()
        self.turns = 0
        self.rate_limits: dict[str, Any] | None = None
        self._threads: dict[str, Usage] = {}
        self._models: dict[str, tuple[str | None, str | None]] = {}

    # -- what the client reports -----------------------------------------------------------------------
    def thread_loaded(self, result: Mapping[str, Any]) -> None:
        """A ``thread/start`` / ``resume`` / ``fork`` result: remember the thread's model and provider."""
        thread = result.get("thread")
        if isinstance(thread, dict) and isinstance(thread.get("id"), str):
            model, provider = result.get("model"), result.get("modelProvider")
            self._models[thread["id"]] = (
                model if isinstance(model, str) else None,
                provider if isinstance(provider, str) else None,
            )

    def thread_usage(self, thread_id: str) -> Usage | None:
        """The thread's total as codex last reported it on this client (None: no report yet)."""
        return self._threads.get(thread_id)

    def notification(self, method: str, params: Any, tracker: TurnTracker) -> None:
        """One of :data:`OBSERVED` (after it was routed)."""
        if type(params) is not dict:
            return
        if method == "account/rateLimits/updated":
            self._rate_limits(params.get("rateLimits"))
            return
        thread_id = params.get("threadId")
        if type(thread_id) is not str:
            return
        if method == "thread/tokenUsage/updated":
            self._token_usage(thread_id, params.get("tokenUsage"))
        run = tracker.run_of(thread_id)
        if run is None or run.watch is None:
            return
        turn_id = params.get("turnId")
        # The turn's first events may come before the answer to turn/start that names it: while the
        # answer is pending, the thread's events are this turn's (one turn of ours per thread).
        if turn_id is None or run.turn_id is None or turn_id in (run.turn_id, run.running_id):
            run.watch.notification(method, params)

    def decided(
        self, tracker: TurnTracker, ctx: RequestContext, result: Mapping[str, Any], by: str, name: str | None
    ) -> None:
        """A server request was answered (by a hook, the policy engine, a tool, or fail-closed)."""
        run = tracker.run_of(ctx.thread_id) if ctx.thread_id else None
        if run is not None and run.watch is not None:
            run.watch.decided(ctx, result, by, name)

    def _token_usage(self, thread_id: str, token_usage: Any) -> None:
        if type(token_usage) is not dict:
            return
        from ..events._usage import Usage  # loaded with the client

        total = Usage.from_wire(token_usage.get("total"))
        before = self._threads.get(thread_id)
        # A thread first seen here (resumed): only its last request counts as this client's use.
        self.total += total.since(before) if before is not None else Usage.from_wire(token_usage.get("last"))
        self._threads[thread_id] = total

    def _rate_limits(self, snapshot: Any) -> None:
        if type(snapshot) is not dict:
            return
        # Updates are sparse: a value left out (or null) does not clear one seen before.
        merged = dict(self.rate_limits or {})
        merged.update({k: v for k, v in snapshot.items() if v is not None})
        self.rate_limits = merged

    def rate_limit_snapshot(self) -> RateLimitSnapshot | None:
        """The latest rate limits (merged updates), as the generated model."""
        if self.rate_limits is None:
            return None
        from ..protocol import _registry

        snapshot: RateLimitSnapshot = _registry.decode("RateLimitSnapshot", dict(self.rate_limits))
        return snapshot

    # -- a turn ----------------------------------------------------------------------------------------
    def watch(
        self, thread_id: str, method: str, params: Mapping[str, Any], budget: Budget | None
    ) -> TurnWatch | None:
        """The watch of a turn about to start, or None when it has neither budget nor trace."""
        from ._watch import watch_for  # with the first turn (see the imports)

        return watch_for(self, thread_id, method, params, budget)


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
