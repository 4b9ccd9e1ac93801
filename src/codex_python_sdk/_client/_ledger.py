"""The client's book of usage: :class:`UsageLedger`.

Token totals per thread (as codex reports them) and for the client (what it saw used since it was made),
the latest rate-limit snapshot, and the turns started. It reads the few notifications it needs on the
reader (``thread/tokenUsage/updated``, ``account/rateLimits/updated``, tool items, auto-review results),
never deltas, and builds the watch of each turn that has a budget or a trace.

Imported when a client is made (with the token counts), not with the clients (docs/performance.md).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..events._usage import Usage

if TYPE_CHECKING:
    from collections.abc import Mapping

    from ..hooks import RequestContext
    from ..protocol._models.rate_limit_snapshot import RateLimitSnapshot
    from ._turns import TurnTracker
    from ._usage import Budget
    from ._watch import TurnWatch

__all__ = ["UsageLedger"]


class UsageLedger:
    """The client's usage totals, rate limits and turn count; builds the watch of each turn."""

    def __init__(self, budget: Budget | None, tracer_provider: Any, capture_content: bool | None) -> None:
        self.budget = budget
        self.tracer_provider = tracer_provider
        self.capture_content = capture_content
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
