"""Usage totals, rate limits, budgets, and what a running turn reports to telemetry.

:class:`UsageLedger` is the client's book: token totals per thread (as codex reports them) and for the
client (what it saw used since it was made), the latest rate-limit snapshot, and the turns started. It
reads the few notifications it needs on the reader (``thread/tokenUsage/updated``,
``account/rateLimits/updated``, tool items, auto-review results), never deltas.

:class:`TurnWatch` watches one turn that has a budget or a trace: it refuses a turn past ``max_turns``
(or a client budget already spent) before anything is sent, stops a turn that goes past ``max_tokens``
when codex reports its usage, and one past ``max_seconds_per_turn`` by a timer; a stop ends the turn's
queue with :class:`BudgetExceededError` (after what was already queued), and the turn loop's ``finally``
interrupts the turn on the server. A turn without budget or trace has no watch: it pays nothing.
"""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING, Any

from ..errors import BudgetExceededError

# Imported where first needed, not with the clients (docs/performance.md): the token counts when a client
# is made, _telemetry (and json) with the first turn's watch.
if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from .. import _telemetry
    from ..events._usage import Usage
    from ..hooks import RequestContext
    from ..protocol._models.rate_limit_snapshot import RateLimitSnapshot
    from ._turns import TurnRun, TurnTracker

__all__ = ["OBSERVED", "Budget", "TurnWatch", "UsageLedger"]

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
        trace = run.watch.trace if run is not None and run.watch is not None else None
        if trace is None or ctx.kind in ("tool_call", "current_time"):
            return  # a tool call is its execute_tool span
        hook = name if by in ("hook", "fail_closed") else None
        from .. import _telemetry  # loaded: there is a trace

        trace.approval(
            ctx.kind,
            ctx.item_id,
            _telemetry.decision_of(ctx.kind, result),
            by,
            started_ns=int(ctx.received_at * 1e9),
            hook=hook,
            rule=ctx.policy_rule if by == "policy_engine" else None,
        )

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
        from .. import _telemetry  # lazy (see the imports)

        tracer = _telemetry.tracer_for(self.tracer_provider)
        if tracer is None and budget is None and self.budget is None:
            return None
        make_trace = None
        if tracer is not None:
            model, provider = self._models.get(thread_id, (None, None))
            turn_model = params.get("model")

            def make_trace() -> _telemetry.TurnTrace:
                return _telemetry.TurnTrace(
                    tracer,
                    thread_id=thread_id,
                    method=method,
                    model=turn_model if isinstance(turn_model, str) else model,
                    provider=provider,
                    capture=_telemetry.capture_content(self.capture_content),
                    prompt=params.get("input"),
                )

        return TurnWatch(self, budget, make_trace)


class TurnWatch:
    """One turn's budget checks and trace (see the module's doc)."""

    def __init__(
        self,
        ledger: UsageLedger,
        budget: Budget | None,
        make_trace: Callable[[], _telemetry.TurnTrace] | None,
    ) -> None:
        self.ledger = ledger
        self.budget = budget
        self._make_trace = make_trace
        self.trace: _telemetry.TurnTrace | None = None
        """Made when the turn begins (so a turn that never starts leaves no span open)."""
        from ..events._usage import TurnUsageCounter  # loaded with the client

        self.counter = TurnUsageCounter()
        self.status = "inProgress"
        self.error_type: str | None = None
        self.text: str | None = None
        self._run: TurnRun | None = None
        self._stop: Callable[[BaseException], None] | None = None
        self._timer: asyncio.TimerHandle | None = None
        self._started = time.monotonic()

    def begin(self, run: TurnRun, stop: Callable[[BaseException], None]) -> None:
        """Before ``turn/start``: refuse the turn if a budget is already spent, else count it and arm
        the time limit. ``stop(error)`` ends the turn's stream with ``error``."""
        if self._make_trace is not None:
            self.trace = self._make_trace()
        self._started = time.monotonic()
        client = self.ledger.budget
        spent = self.ledger.total.total_tokens
        refusal = None
        if client is not None and client.max_turns is not None and self.ledger.turns >= client.max_turns:
            refusal = ("max_turns", client.max_turns, self.ledger.turns, "the client")
        elif self.budget is not None and self.budget.max_turns == 0:
            refusal = ("max_turns", 0, 0, "the call")
        elif client is not None and client.max_tokens is not None and spent >= client.max_tokens:
            refusal = ("max_tokens", client.max_tokens, spent, "the client")
        if refusal is not None:
            name, limit, used, whose = refusal
            error = BudgetExceededError(
                f"a turn on thread {run.thread_id} was not started: {whose}'s budget {name}={limit} is used "
                f"up ({used})",
                budget=name,
                limit=limit,
                used=used,
                usage=self.ledger.total,
                thread_id=run.thread_id,
            )
            self.end(error)
            raise error
        self.ledger.turns += 1
        self._run = run
        self._stop = stop
        run.watch = self
        seconds = [
            b.max_seconds_per_turn
            for b in (client, self.budget)
            if b is not None and b.max_seconds_per_turn is not None
        ]
        if seconds:
            self._timer = asyncio.get_running_loop().call_later(min(seconds), self._time_up, min(seconds))

    def started(self, turn_id: str) -> None:
        """``turn/start`` answered with the turn's id."""
        if self.trace is not None:
            self.trace.turn_id(turn_id)

    def _time_up(self, limit: float) -> None:
        self._exceeded("max_seconds_per_turn", limit, round(time.monotonic() - self._started, 3))

    def _exceeded(self, name: str, limit: float, used: float) -> None:
        run, stop, self._stop = self._run, self._stop, None
        if run is None or stop is None or run.completed:
            return
        from ..events._usage import Usage  # loaded with the client

        stop(
            BudgetExceededError(
                f"the turn on thread {run.thread_id} went past its budget {name}={limit:g} ({used:g}); "
                "it was interrupted",
                budget=name,
                limit=limit,
                used=used,
                usage=self.counter.usage or Usage(),
                thread_id=run.thread_id,
                turn_id=run.turn_id,
            )
        )

    def notification(self, method: str, params: dict[str, Any]) -> None:
        """A notification of this turn that the ledger reads."""
        trace = self.trace
        if method == "thread/tokenUsage/updated":
            usage = self.counter.add(params.get("tokenUsage"))
            if usage is not None:
                self._check_tokens(usage)
        elif trace is None:
            return
        elif method == "item/started" or method == "item/completed":
            item = params.get("item")
            if type(item) is dict:
                (trace.item_started if method == "item/started" else trace.item_completed)(item)
        elif method == "item/autoApprovalReview/completed":
            review: dict[str, Any] = params.get("review") or {}
            action: dict[str, Any] = params.get("action") or {}
            started, ended = params.get("startedAtMs"), params.get("completedAtMs")
            trace.approval(
                "command" if type(action) is dict and action.get("type") == "command" else "auto_review",
                params.get("targetItemId"),
                str(review.get("status") if type(review) is dict else None),
                "reviewer",
                started_ns=started * 1_000_000 if isinstance(started, int) else time.time_ns(),
                ended_ns=ended * 1_000_000 if isinstance(ended, int) else None,
                risk=_str(review.get("riskLevel")) if type(review) is dict else None,
            )

    def _check_tokens(self, usage: Usage) -> None:
        call, client = self.budget, self.ledger.budget
        if call is not None and call.max_tokens is not None and usage.total_tokens > call.max_tokens:
            self._exceeded("max_tokens", call.max_tokens, usage.total_tokens)
        elif client is not None and client.max_tokens is not None:
            spent = self.ledger.total.total_tokens
            if spent > client.max_tokens:
                self._exceeded("max_tokens", client.max_tokens, spent)

    def completed(self, msg: dict[str, Any]) -> None:
        """``turn/completed`` of this turn."""
        turn = (msg.get("params") or {}).get("turn")
        if type(turn) is not dict:
            return
        self.status = str(turn.get("status") or "completed")
        error = turn.get("error")
        if self.status == "failed":
            info = error.get("codexErrorInfo") if type(error) is dict else None
            if isinstance(info, dict) and info:
                info = next(iter(info))
            self.error_type = str(info) if isinstance(info, str) else "_OTHER"
        items = turn.get("items")
        if isinstance(items, list):
            texts = [i.get("text") for i in items if type(i) is dict and i.get("type") == "agentMessage"]
            self.text = texts[-1] if texts and isinstance(texts[-1], str) else None

    def end(self, error: BaseException | None = None) -> None:
        """The turn loop is done with the turn (``error``: what ended it early, if anything)."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._stop = None
        if self.trace is None:
            return
        error_type = self.error_type
        status = self.status
        if error is not None and status == "inProgress":
            status = "interrupted"
            if not isinstance(error, GeneratorExit):  # the consumer left: its choice, not an error
                error_type = type(error).__name__
        self.trace.finish(status=status, usage=self.counter.usage, error_type=error_type, text=self.text)


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


def _str(value: object) -> str | None:
    return value if isinstance(value, str) else None
