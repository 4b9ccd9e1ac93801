"""One turn, from its start request to ``turn/completed``: the one loop under ``responses_*`` and reviews.

Every turn ends. :func:`turn_messages` yields the raw notification messages of one turn (cheap: no event
objects) and guarantees that a turn left early — ``break``, ``aclose()``, ``task.cancel()``, a timeout,
Ctrl-C in the sync client, a full buffer — is interrupted on the server, also when the cancel hits while
``turn/start`` is still in flight (its response is awaited in the background for the id). The thread stays
usable: the next turn on it waits (briefly) until the interrupted one has ended.

:class:`TurnTracker` knows which turn runs on which thread (this client's, and those ``turn/started``
announces), so a second ``turn/start`` on a busy thread raises :class:`TurnInProgressError` instead of
being silently merged into the running turn by the server; and it knows the *running* id of a review
(codex 0.163 answers ``review/start`` with the id ``turn/completed`` will carry, while the turn that
runs — and must be named by ``turn/interrupt`` — has another id, announced by ``turn/started`` with
``rootTurnId`` set).

:class:`TurnAccumulator` folds messages into an :class:`AgentResponse`.
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
    TurnInProgressError,
    TurnStoppedError,
    TurnTimeoutError,
    turn_failed_error,
)

# Importing the clients must stay cheap (docs/performance.md): the events are imported with the first turn.
if TYPE_CHECKING:
    from .._rpc import RpcConnection
    from ..events import AgentResponse, ResponseEvent
    from ._routing import EventQueue, Router
    from ._usage import TurnWatch

__all__ = ["TurnAccumulator", "TurnRun", "TurnTracker", "turn_messages"]

logger = logging.getLogger("codex_python_sdk")

INTERRUPT_TIMEOUT = 10.0
"""Seconds to wait for ``turn/interrupt``'s answer, and then for the interrupted turn to end."""
_NOT_ACTIVE = ": no active turn to interrupt"  # codex 0.163's answer to an interrupt that came too early


class TurnRun:
    """One turn this client started: what is known about it while it runs."""

    __slots__ = (
        "abandoned",
        "completed",
        "done",
        "interrupting",
        "method",
        "running_id",
        "start_future",
        "started",
        "thread_id",
        "turn_id",
        "watch",
    )

    def __init__(self, thread_id: str, method: str = "turn/start") -> None:
        self.thread_id = thread_id
        self.method = method
        self.turn_id: str | None = None
        """The turn's id (for a review: the one ``review/start`` returned and ``turn/completed`` carries)."""
        self.running_id: str | None = None
        """The id ``turn/interrupt`` needs (a review's inner turn); None: :attr:`turn_id`."""
        self.start_future: asyncio.Future[Any] | None = None
        self.watch: TurnWatch | None = None
        """The turn's budget and trace, if it has any (see ``_usage.py``)."""
        self.completed = False
        self.abandoned = False
        self.interrupting = False
        loop = asyncio.get_running_loop()
        self.started: asyncio.Future[None] = loop.create_future()
        """Resolved when ``turn/started`` announced the turn (codex refuses to interrupt it before)."""
        self.done: asyncio.Future[None] = loop.create_future()
        """Resolved when the turn has ended on the server (or can no longer be waited for)."""

    def finish(self) -> None:
        if not self.done.done():
            self.done.set_result(None)


class TurnTracker:
    """Which turn runs on which thread, as far as this client can know."""

    def __init__(self) -> None:
        self._ours: dict[str, TurnRun] = {}
        self._foreign: dict[str, str] = {}  # thread id -> id of a running turn this client did not start
        self._inner: dict[tuple[str, str], str] = {}  # (thread, review turn id) -> its running inner id

    # -- reservation -----------------------------------------------------------------------------------
    async def reserve(self, run: TurnRun) -> None:
        """Make ``run`` the thread's turn, or raise :class:`TurnInProgressError` when one is running.

        A turn of ours that was abandoned and is being interrupted is waited for (a few seconds).
        """
        thread_id = run.thread_id
        current = self._ours.get(thread_id)
        if current is not None and current.abandoned:
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(asyncio.shield(current.done), INTERRUPT_TIMEOUT)
            current = self._ours.get(thread_id)
        if current is not None:
            raise TurnInProgressError(
                f"thread {thread_id} is already running turn {current.turn_id or '(starting)'}: add input "
                "to it with turn_steer(thread_id, turn_id, prompt), stop it with turn_interrupt(thread_id, "
                "turn_id), or wait for it to end",
                thread_id=thread_id,
                turn_id=current.turn_id,
            )
        foreign = self._foreign.get(thread_id)
        if foreign is not None:
            raise TurnInProgressError(
                f"thread {thread_id} is already running turn {foreign} (not started by this call): add "
                "input to it with turn_steer(thread_id, turn_id, prompt), stop it with "
                "turn_interrupt(thread_id, turn_id), or wait for it to end",
                thread_id=thread_id,
                turn_id=foreign,
            )
        self._ours[thread_id] = run

    def release(self, run: TurnRun) -> None:
        """The turn ended (or never started): the thread is free again."""
        if self._ours.get(run.thread_id) is run:
            del self._ours[run.thread_id]
        run.finish()

    # -- what the server says --------------------------------------------------------------------------
    def observe(self, method: str, params: Any) -> None:
        """Follow ``turn/started`` / ``turn/completed`` (called for every such notification)."""
        if type(params) is not dict:
            return
        thread_id = params.get("threadId")
        turn = params.get("turn")
        if type(thread_id) is not str or type(turn) is not dict:
            return
        turn_id = turn.get("id")
        if type(turn_id) is not str:
            return
        run = self._ours.get(thread_id)
        if method == "turn/started":
            root = turn.get("rootTurnId")
            if type(root) is str and root != turn_id:
                self._inner[(thread_id, root)] = turn_id
                if run is not None and run.turn_id in (root, None):
                    run.running_id = turn_id
            if run is None:
                self._foreign[thread_id] = turn_id
            elif run.turn_id in (turn_id, root, None) and not run.started.done():
                run.started.set_result(None)
        elif method == "turn/completed":
            if self._foreign.get(thread_id) is not None:
                del self._foreign[thread_id]
            for key in [k for k in self._inner if k[0] == thread_id]:
                del self._inner[key]
            if run is not None and run.turn_id is not None and turn_id in (run.turn_id, run.running_id):
                self.release(run)

    def run_of(self, thread_id: str) -> TurnRun | None:
        """The turn of ours running (or starting) on the thread, if any."""
        return self._ours.get(thread_id)

    def forget_thread(self, thread_id: str) -> None:
        """The thread was closed or unloaded: nothing runs on it any more."""
        self._foreign.pop(thread_id, None)
        run = self._ours.get(thread_id)
        if run is not None and run.abandoned:
            self.release(run)

    def running_id(self, thread_id: str, turn_id: str) -> str:
        """The id to interrupt for ``turn_id`` (a review's inner turn, when known)."""
        return self._inner.get((thread_id, turn_id), turn_id)

    async def running_id_soon(self, thread_id: str, turn_id: str, timeout: float = 2.0) -> str:
        """Like :meth:`running_id`, waiting up to ``timeout`` for a review's inner turn to be announced
        when ``turn_id`` is a review of ours that has not started yet."""
        run = self._ours.get(thread_id)
        if run is not None and run.method == "review/start" and run.turn_id == turn_id:
            deadline = time.monotonic() + timeout
            while run.running_id is None and not run.done.done() and time.monotonic() < deadline:
                await asyncio.sleep(0.02)
        return self.running_id(thread_id, turn_id)

    def current(self, thread_id: str) -> TurnRun | str | None:
        """The turn running on ``thread_id``: this client's :class:`TurnRun`, the id of a turn it did not
        start, or None (what a thread handle steers or interrupts)."""
        return self._ours.get(thread_id) or self._foreign.get(thread_id)


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
