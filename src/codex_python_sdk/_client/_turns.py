"""One turn, from ``turn/start`` to ``turn/completed``: the engine under ``responses_*``.

:func:`turn_messages` yields the raw notification messages of one turn (cheap: no event objects), and
guarantees that a turn left early — ``break``, cancellation, an idle timeout, an error — is interrupted
on the server, so it stops running commands and its events do not pile up. :class:`TurnAccumulator`
folds those messages into an :class:`AgentResponse`.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

from .._rpc._connection import RpcConnection
from ..errors import StreamIdleTimeoutError, TurnTimeoutError, turn_failed_error
from ..events import AgentResponse, ResponseEvent
from ._routing import EventQueue, Router

__all__ = ["TurnAccumulator", "TurnState", "next_message", "turn_messages"]

logger = logging.getLogger("codex_python_sdk")


@dataclass
class TurnState:
    """What is known about a running turn (shared with the caller for interrupts)."""

    thread_id: str
    turn_id: str | None = None
    start_future: asyncio.Future[Any] | None = None
    completed: bool = False


async def next_message(
    queue: EventQueue[dict[str, Any]],
    router: Router,
    thread_id: str,
    idle_timeout: float | None,
    deadline: float | None = None,
) -> dict[str, Any]:
    """The next message of a turn.

    Raises :class:`StreamIdleTimeoutError` after ``idle_timeout`` seconds without one, not counting time
    during which a hook of this thread was running, and :class:`TurnTimeoutError` once the absolute
    ``deadline`` (``time.monotonic()``) has passed, whatever the turn is doing.
    """
    while True:
        try:
            return queue.get_nowait()
        except IndexError:
            pass
        now = time.monotonic()
        idle_deadline = now + idle_timeout if idle_timeout is not None else None
        while True:
            limits = [d for d in (idle_deadline, deadline) if d is not None]
            if not limits:
                await queue.wait()
                break
            remaining = min(limits) - time.monotonic()
            if remaining > 0 and await queue.wait(remaining):
                break
            now = time.monotonic()
            if deadline is not None and now >= deadline:
                raise TurnTimeoutError(
                    f"the turn on thread {thread_id} ran past its deadline; it was interrupted"
                )
            assert idle_timeout is not None
            if router.hooks_in_flight(thread_id):
                # Waiting on a hook (e.g. a human approving) is not idleness: restart the clock.
                idle_deadline = now + idle_timeout
                continue
            since_hook = now - router.last_hook_finished(thread_id)
            if since_hook < idle_timeout:
                idle_deadline = now + (idle_timeout - since_hook)
                continue
            raise StreamIdleTimeoutError(
                f"no event from thread {thread_id} for {idle_timeout:g} s; the turn was interrupted"
            )


async def turn_messages(
    conn: RpcConnection,
    router: Router,
    state: TurnState,
    turn_params: dict[str, Any],
    *,
    idle_timeout: float | None,
    spawn: Callable[[Any], None],
    turn_timeout: float | None = None,
) -> AsyncIterator[dict[str, Any]]:
    """Start a turn on ``state.thread_id`` and yield its notification messages, ``turn/completed`` last."""
    thread_id = state.thread_id
    deadline = time.monotonic() + turn_timeout if turn_timeout is not None else None
    sub = router.subscribe_turn(thread_id)  # before turn/start: events may beat its response
    try:
        state.start_future = conn.start_request("turn/start", {**turn_params, "threadId": thread_id})
        result = await state.start_future
        state.turn_id = result["turn"]["id"]
        sub.bind(state.turn_id)
        queue = sub.queue
        items = queue._items  # fast path: take what is queued without a call; wait only when empty
        while True:
            msg = (
                items.popleft()
                if items
                else await next_message(queue, router, thread_id, idle_timeout, deadline)
            )
            if msg.get("method") == "turn/completed":
                state.completed = True
                yield msg
                return
            yield msg
    finally:
        sub.close()
        if not state.completed and not conn.closed:
            spawn(_interrupt_later(conn, state))


async def _interrupt_later(conn: RpcConnection, state: TurnState) -> None:
    """Interrupt a turn its consumer left; waits for the turn id if ``turn/start`` is still in flight."""
    try:
        if state.turn_id is None and state.start_future is not None:
            result = await state.start_future
            state.turn_id = result["turn"]["id"]
        if state.turn_id is None:
            return
        logger.debug("interrupting abandoned turn %s of thread %s", state.turn_id, state.thread_id)
        await conn.request(
            "turn/interrupt", {"threadId": state.thread_id, "turnId": state.turn_id}, timeout=10
        )
    except Exception as exc:  # best effort: the turn may have finished meanwhile
        logger.debug("interrupt of abandoned turn failed: %s", exc)


class TurnAccumulator:
    """Folds a turn's messages into an :class:`AgentResponse` (text, items, usage, diff, status)."""

    def __init__(self, thread_id: str, *, keep_events: bool) -> None:
        self.thread_id = thread_id
        self.turn_id: str | None = None
        self.events: list[ResponseEvent] | None = [] if keep_events else None
        self.items: list[dict[str, Any]] = []
        self._deltas: dict[str, list[str]] = {}
        self._last_agent_item: str | None = None
        self.usage: dict[str, Any] | None = None
        self.diff: str | None = None
        self.status = "inProgress"
        self.error: dict[str, Any] | None = None
        self.raw: Any = None

    def add(self, msg: dict[str, Any]) -> None:
        """Take one message into account."""
        method = msg.get("method")
        params = msg.get("params")
        if type(params) is not dict:
            params = {}
        if self.events is not None:
            self.events.append(ResponseEvent.from_notification(msg, self.thread_id))
        if method == "item/agentMessage/delta":
            self.add_delta(params.get("itemId"), params.get("delta"))
        elif method == "item/completed":
            item = params.get("item")
            if isinstance(item, dict):
                self.items.append(item)
        elif method == "thread/tokenUsage/updated":
            self.usage = params.get("tokenUsage")
        elif method == "turn/diff/updated":
            self.diff = params.get("diff")
        elif method == "turn/completed":
            turn = params.get("turn")
            if not isinstance(turn, dict):
                turn = {}
            self.turn_id = turn.get("id") or self.turn_id
            self.status = turn.get("status") or "completed"
            self.error = turn.get("error")
            self.raw = msg

    def add_delta(self, item_id: str | None, delta: str | None) -> None:
        """Take one ``item/agentMessage/delta`` into account (for callers that already parsed it)."""
        item_id = item_id or ""
        parts = self._deltas.get(item_id)
        if parts is None:
            parts = self._deltas[item_id] = []
            self._last_agent_item = item_id
        parts.append(delta or "")

    def text(self) -> str:
        """The agent's final message: the last completed ``agentMessage`` that is not commentary;
        for a turn cut short, the streamed text of its last message."""
        messages = [i for i in self.items if i.get("type") == "agentMessage"]
        for item in reversed(messages):
            if item.get("phase") != "commentary":
                return str(item.get("text") or "")
        if messages:
            return str(messages[-1].get("text") or "")
        if self._last_agent_item is not None:
            return "".join(self._deltas[self._last_agent_item])
        return ""

    def response(self) -> AgentResponse:
        """The result so far."""
        return AgentResponse(
            text=self.text(),
            thread_id=self.thread_id,
            raw=self.raw,
            events=self.events,
            turn_id=self.turn_id,
            status=self.status,
            error=self.error,
            usage=self.usage,
            items=self.items,
            diff=self.diff,
        )

    def raise_if_failed(self) -> AgentResponse:
        """The response, or :class:`TurnFailedError` (carrying it) when the turn failed."""
        response = self.response()
        if self.status == "failed":
            raise turn_failed_error(
                self.error, thread_id=self.thread_id, turn_id=self.turn_id, response=response
            )
        return response
