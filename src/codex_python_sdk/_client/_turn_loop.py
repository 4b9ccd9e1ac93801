"""One turn, from its start request to ``turn/completed``: the one loop under ``responses_*`` and reviews.

Every turn ends. :func:`turn_messages` yields the raw notification messages of one turn (cheap: no event
objects) and guarantees that a turn left early — ``break``, ``aclose()``, ``task.cancel()``, a timeout,
Ctrl-C in the sync client, a full buffer — is interrupted on the server, also when the cancel hits while
``turn/start`` is still in flight (its response is awaited in the background for the id). The thread stays
usable: the next turn on it waits (briefly) until the interrupted one has ended.

:class:`TurnAccumulator` folds messages into an :class:`AgentResponse`; :func:`turn_events` and
:func:`collect` are what ``responses_events`` / ``responses_create`` (``_responses.py``) hand back.

Not imported with the clients (docs/performance.md): the client imports it when it connects, after codex
was started, so it loads while codex boots; the events are imported with the first turn too.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Callable, Iterator
from typing import TYPE_CHECKING, Any

from ..errors import (
    CodexAgenticError,
    RpcError,
    StreamIdleTimeoutError,
    StreamOverflowError,
    TurnStoppedError,
    TurnTimeoutError,
    turn_failed_error,
)
from ._turns import INTERRUPT_TIMEOUT

if TYPE_CHECKING:
    from .._rpc import RpcConnection
    from ..events import AgentResponse, ResponseEvent, TypedEvent
    from ._routing import EventQueue, Router
    from ._turns import TurnRun, TurnTracker
    from ._watch import TurnWatch

__all__ = ["TurnAccumulator", "closing", "collect", "collect_events", "turn_events", "turn_messages"]

logger = logging.getLogger("codex_python_sdk")

_NOT_ACTIVE = ": no active turn to interrupt"  # codex 0.163's answer to an interrupt that came too early


# -- the loop ------------------------------------------------------------------------------------------
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
                raise TurnTimeoutError(f"the turn on thread {thread_id} ran past its turn_timeout")
            assert idle_timeout is not None
            if router.hooks_in_flight(thread_id):
                # Waiting on a hook (e.g. a human approving) is not idleness: restart the clock.
                idle_deadline = now + idle_timeout
                continue
            since_hook = now - router.last_hook_finished(thread_id)
            if since_hook < idle_timeout:
                idle_deadline = now + (idle_timeout - since_hook)
                continue
            raise StreamIdleTimeoutError(f"no event from thread {thread_id} for {idle_timeout:g} s")


def _turn_id_of(method: str, result: Any) -> str:
    turn = result.get("turn") if isinstance(result, dict) else None
    turn_id = turn.get("id") if isinstance(turn, dict) else None
    if not isinstance(turn_id, str) or not turn_id:
        raise CodexAgenticError(f"{method} returned no turn id: {str(result)[:300]}", method=method)
    return turn_id


async def turn_messages(
    conn: RpcConnection,
    router: Router,
    tracker: TurnTracker,
    run: TurnRun,
    params: dict[str, Any],
    *,
    idle_timeout: float | None,
    turn_timeout: float | None,
    max_buffered: int,
    spawn: Callable[[Any], None],
    watch: TurnWatch | None = None,
) -> AsyncIterator[dict[str, Any]]:
    """Start ``run`` (``run.method`` with ``params``) and yield its messages, ``turn/completed`` last.

    ``watch`` (budgets, tracing) may refuse the turn before anything is sent and stop it later.
    """
    thread_id = run.thread_id
    deadline = time.monotonic() + turn_timeout if turn_timeout is not None else None
    await tracker.reserve(run)

    def overflow(count: int) -> BaseException:
        spawn(interrupt_later(conn, tracker, run))  # at once: the turn must not keep running meanwhile
        return StreamOverflowError(
            f"the consumer of the turn on thread {thread_id} fell {count} events behind "
            "(max_buffered_events); the turn was interrupted"
        )

    # Subscribed before the start request: events may beat its response.
    sub = router.subscribe_turn(thread_id, max_buffered, overflow)
    if watch is not None:
        try:
            watch.begin(run, sub.queue.fail)
        except BaseException:  # refused by a budget: nothing was sent
            sub.close()
            tracker.release(run)
            raise
    try:
        run.start_future = conn.start_request(run.method, {**params, "threadId": thread_id})
        # Shielded: a cancel here must not cancel the request; its answer names the turn to interrupt.
        result = await asyncio.shield(run.start_future)
        run.turn_id = _turn_id_of(run.method, result)
        if watch is not None:
            watch.started(run.turn_id)
        if run.running_id is None and run.method == "review/start":
            run.running_id = tracker.running_id(thread_id, run.turn_id) if run.turn_id else None
            if run.running_id == run.turn_id:
                run.running_id = None
        sub.bind(run.turn_id)
        queue = sub.queue
        items = queue._items  # fast path: take what is queued without a call; wait only when empty
        while True:
            msg = (
                items.popleft()
                if items
                else await next_message(queue, router, thread_id, idle_timeout, deadline)
            )
            if msg.get("method") == "turn/completed":
                run.completed = True
                tracker.release(run)
                if watch is not None:
                    watch.completed(msg)
                    watch.end()
                yield msg
                return
            yield msg
    except BaseException as exc:
        if watch is not None:
            watch.end(exc)
        raise
    finally:
        sub.close()
        if not run.completed:
            run.abandoned = True
            if conn.closed:
                tracker.release(run)
            else:
                spawn(interrupt_later(conn, tracker, run))


async def interrupt_later(conn: RpcConnection, tracker: TurnTracker, run: TurnRun) -> None:
    """Interrupt a turn its consumer left, then wait (bounded) for it to end; never raises."""
    if run.done.done() or run.interrupting:
        return
    run.interrupting = True
    try:
        if run.turn_id is None:
            if run.start_future is None:
                return
            try:
                result = await run.start_future
            except Exception:  # the start failed: no turn is running
                tracker.release(run)
                return
            run.turn_id = _turn_id_of(run.method, result)
        if run.done.done():
            return
        target = run.running_id or await tracker.running_id_soon(run.thread_id, run.turn_id)
        logger.debug("interrupting abandoned turn %s of thread %s", target, run.thread_id)
        await _interrupt(conn, run, target)
        await asyncio.wait_for(asyncio.shield(run.done), INTERRUPT_TIMEOUT)
    except asyncio.CancelledError:
        tracker.release(run)  # the client is closing
        raise
    except Exception as exc:  # best effort: the turn may have finished meanwhile
        logger.debug("interrupt of abandoned turn on thread %s: %s", run.thread_id, exc)
        tracker.release(run)


async def _interrupt(conn: RpcConnection, run: TurnRun, target: str) -> None:
    """Send ``turn/interrupt``, again while codex says the turn is not active yet (bounded).

    codex answers ``turn/start`` before the turn is active and refuses to interrupt it until then ("no
    active turn to interrupt"): a turn abandoned that early is interrupted once ``turn/started`` came.
    """
    deadline = time.monotonic() + INTERRUPT_TIMEOUT
    params = {"threadId": run.thread_id, "turnId": target}
    while True:
        try:
            await conn.request("turn/interrupt", params, timeout=INTERRUPT_TIMEOUT)
            return
        except RpcError as exc:
            if not exc.message.endswith(_NOT_ACTIVE) or run.done.done() or time.monotonic() > deadline:
                raise
        if run.started.done():  # announced, yet not interruptible: give codex a moment
            await asyncio.sleep(0.05)
        else:  # polled too: a client may have opted out of turn/started
            await asyncio.wait({run.started, run.done}, timeout=0.5, return_when=asyncio.FIRST_COMPLETED)


class TurnAccumulator:
    """Folds a turn's messages into an :class:`AgentResponse` (text, items, usage, diff, status)."""

    def __init__(self, thread_id: str, *, keep_events: bool) -> None:
        self.thread_id = thread_id
        self.turn_id: str | None = None
        self.events: list[ResponseEvent] | None = None
        if keep_events:
            from ..events._event import ResponseEvent  # lazy (see the imports); bound once, used per event

            self.events = []
            self._to_event = ResponseEvent.from_notification
        self.items: list[dict[str, Any]] = []
        self._deltas: dict[str, list[str]] = {}
        self._last_agent_item: str | None = None
        self.usage: dict[str, Any] | None = None
        from ..events._usage import TurnUsageCounter  # lazy (see the imports)

        self._turn_usage = TurnUsageCounter()
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
            self.events.append(self._to_event(msg, self.thread_id))
        if method == "item/agentMessage/delta":
            self.add_delta(params.get("itemId"), params.get("delta"))
        elif method == "item/completed":
            item = params.get("item")
            if isinstance(item, dict):
                self.items.append(item)
        elif method == "thread/tokenUsage/updated":
            usage = params.get("tokenUsage")
            if isinstance(usage, dict):
                self.usage = usage
                self._turn_usage.add(usage)
        elif method == "turn/diff/updated":
            diff = params.get("diff")
            self.diff = diff if isinstance(diff, str) else self.diff
        elif method == "turn/completed":
            turn = params.get("turn")
            if not isinstance(turn, dict):
                turn = {}
            turn_id = turn.get("id")
            self.turn_id = turn_id if isinstance(turn_id, str) else self.turn_id
            status = turn.get("status")
            self.status = status if isinstance(status, str) and status else "completed"
            error = turn.get("error")
            self.error = error if isinstance(error, dict) else None
            self.raw = msg

    def add_event(self, event: ResponseEvent) -> None:
        """Take one :class:`ResponseEvent` into account (for events that did not come from this client's
        own stream, e.g. a ``responses_events`` a user replaced; synthetic ones may have no ``raw``)."""
        if self.events is not None:
            self.events.append(event)
        if event.thread_id:
            self.thread_id = event.thread_id
        if event.turn_id:
            self.turn_id = event.turn_id
        raw = event.raw
        if isinstance(raw, dict) and isinstance(raw.get("method"), str):
            keep, self.events = self.events, None  # already recorded above
            try:
                self.add(raw)
            finally:
                self.events = keep
            return
        if event.type == "item/agentMessage/delta":
            self.add_delta(event.item_id, event.text_delta)
        elif event.message_text and (
            event.type == "codex/event/agent_message"  # the legacy event of the final message
            or (event.type == "item/completed" and event.phase == "assistant")
        ):
            self.items.append({"type": "agentMessage", "id": event.item_id, "text": event.message_text})
        elif event.type == "turn/completed":
            self.status = "completed"
            self.raw = raw if raw is not None else {}

    def add_delta(self, item_id: str | None, delta: str | None) -> None:
        """Take one ``item/agentMessage/delta`` into account (for callers that already parsed it)."""
        key = item_id if isinstance(item_id, str) else ""
        parts = self._deltas.get(key)
        if parts is None:
            parts = self._deltas[key] = []
            self._last_agent_item = key
        parts.append(delta if isinstance(delta, str) else "")

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

    def response(self, *, status: str | None = None) -> AgentResponse:
        """The result so far (``status`` overrides the turn's, e.g. ``"interrupted"`` for a partial)."""
        from ..events._response import AgentResponse  # lazy (see the imports)

        return AgentResponse(
            text=self.text(),
            thread_id=self.thread_id,
            raw=self.raw,
            events=self.events,
            turn_id=self.turn_id,
            status=status or self.status,
            error=self.error,
            usage=self.usage,
            items=self.items,
            diff=self.diff,
            turn_usage=self._turn_usage.usage,
        )

    def raise_if_failed(self) -> AgentResponse:
        """The response, or :class:`TurnFailedError` (carrying it) when the turn failed."""
        response = self.response()
        if self.status == "failed":
            raise turn_failed_error(
                self.error, thread_id=self.thread_id, turn_id=self.turn_id, response=response
            )
        return response

    @contextlib.contextmanager
    def partial_on_stop(self, run: TurnRun) -> Iterator[None]:
        """Attach the response gathered so far to a :class:`TurnStoppedError` raised inside."""
        try:
            yield
        except TurnStoppedError as exc:
            if self.turn_id is None:
                self.turn_id = run.turn_id
            exc.thread_id = exc.thread_id or run.thread_id
            exc.turn_id = exc.turn_id or run.turn_id
            if exc.response is None:
                exc.response = self.response(status="interrupted")
            raise


# -- what the turn methods hand back -------------------------------------------------------------------
async def turn_events(run: TurnRun, stream: AsyncIterator[dict[str, Any]]) -> AsyncIterator[TypedEvent]:
    """``thread/ready``, then the turn's events (``responses_events``, ``review_events``); a failed turn
    raises :class:`TurnFailedError` after its ``turn/completed`` event."""
    from ..events._event import ResponseEvent, ThreadReadyEvent  # lazy (see the imports)

    yield ThreadReadyEvent("thread/ready", "system", thread_id=run.thread_id, raw={"threadId": run.thread_id})
    from_notification = ResponseEvent.from_notification
    acc = TurnAccumulator(run.thread_id, keep_events=False)  # so a failure carries the partial result
    with acc.partial_on_stop(run):
        async with closing(stream):
            async for msg in stream:
                event = from_notification(msg, run.thread_id)
                if event.type == "item/agentMessage/delta":  # the hot path: reuse what the event parsed
                    acc.add_delta(event.item_id, event.text_delta)
                else:
                    acc.add(msg)
                yield event
    if acc.raw is not None:  # turn/completed arrived
        acc.raise_if_failed()


async def collect(run: TurnRun, stream: AsyncIterator[dict[str, Any]], include_events: bool) -> AgentResponse:
    """The turn run to its end, as an :class:`AgentResponse` (``responses_create``, ``review``)."""
    acc = TurnAccumulator(run.thread_id, keep_events=include_events)
    if acc.events is not None:
        from ..events._event import ThreadReadyEvent  # lazy (see the imports)

        acc.events.append(
            ThreadReadyEvent(
                "thread/ready", "system", thread_id=run.thread_id, raw={"threadId": run.thread_id}
            )
        )
    with acc.partial_on_stop(run):
        async with closing(stream):
            async for msg in stream:
                acc.add(msg)
    if acc.turn_id is None:
        acc.turn_id = run.turn_id
    return acc.raise_if_failed()


async def collect_events(
    events: AsyncIterator[ResponseEvent], thread_id: str, include_events: bool
) -> AgentResponse:
    """An :class:`AgentResponse` from a stream of events (a ``responses_events`` a user replaced)."""
    acc = TurnAccumulator(thread_id, keep_events=include_events)
    async with closing(events):  # type: ignore[arg-type]
        async for event in events:
            acc.add_event(event)
    return acc.raise_if_failed()


class closing(contextlib.AbstractAsyncContextManager["AsyncIterator[dict[str, Any]]"]):
    """``async with`` that closes an async generator (so its ``finally`` runs now, not at GC)."""

    def __init__(self, agen: AsyncIterator[dict[str, Any]]) -> None:
        self._agen = agen

    async def __aenter__(self) -> AsyncIterator[dict[str, Any]]:
        return self._agen

    async def __aexit__(self, *exc: object) -> None:
        aclose: Callable[[], Any] | None = getattr(self._agen, "aclose", None)
        if aclose is not None:
            await aclose()
