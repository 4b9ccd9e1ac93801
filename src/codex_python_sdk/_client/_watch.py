"""The watch of one turn that has a budget or a trace.

:class:`TurnWatch` refuses a turn past ``max_turns`` (or a client budget already spent) before anything is
sent, stops a turn that goes past ``max_tokens`` when codex reports its usage, and one past
``max_seconds_per_turn`` by a timer; a stop ends the turn's queue with :class:`BudgetExceededError` (after
what was already queued), and the turn loop's ``finally`` interrupts the turn on the server. It also
writes the turn's trace (spans of the turn, its items and approvals). A turn without budget or trace has
no watch: it pays nothing.

Not imported with the clients (docs/performance.md): the client imports it when it connects, after codex
was started, with OpenTelemetry's glue (``_telemetry``).
"""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING, Any

from .. import _telemetry
from ..errors import BudgetExceededError

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from ..events._usage import Usage
    from ..hooks import RequestContext
    from ._ledger import UsageLedger
    from ._turns import TurnRun
    from ._usage import Budget

__all__ = ["TurnWatch", "watch_for"]


def watch_for(
    ledger: UsageLedger, thread_id: str, method: str, params: Mapping[str, Any], budget: Budget | None
) -> TurnWatch | None:
    """The watch of a turn about to start, or None when it has neither budget nor trace."""
    tracer = _telemetry.tracer_for(ledger.tracer_provider)
    if tracer is None and budget is None and ledger.budget is None:
        return None
    make_trace = None
    if tracer is not None:
        model, provider = ledger._models.get(thread_id, (None, None))
        turn_model = params.get("model")

        def make_trace() -> _telemetry.TurnTrace:
            return _telemetry.TurnTrace(
                tracer,
                thread_id=thread_id,
                method=method,
                model=turn_model if isinstance(turn_model, str) else model,
                provider=provider,
                capture=_telemetry.capture_content(ledger.capture_content),
                prompt=params.get("input"),
            )

    return TurnWatch(ledger, budget, make_trace)


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

    def decided(self, ctx: RequestContext, result: Mapping[str, Any], by: str, name: str | None) -> None:
        """A server request of this turn was answered (by a hook, the policy engine, a tool, or
        fail-closed): an approval span, when the turn has a trace."""
        trace = self.trace
        if trace is None or ctx.kind in ("tool_call", "current_time"):
            return  # a tool call is its execute_tool span
        hook = name if by in ("hook", "fail_closed") else None
        trace.approval(
            ctx.kind,
            ctx.item_id,
            _telemetry.decision_of(ctx.kind, result),
            by,
            started_ns=int(ctx.received_at * 1e9),
            hook=hook,
            rule=ctx.policy_rule if by == "policy_engine" else None,
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


def _str(value: object) -> str | None:
    return value if isinstance(value, str) else None
