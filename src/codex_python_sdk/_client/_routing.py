"""Who gets which notification.

- A turn stream subscribes to its thread *before* sending ``turn/start`` (events can beat the response)
  and is bound to the turn id once known; then it sees only its own turn's events plus the thread's
  turn-less ones. Events of another (older, abandoned) turn never leak in.
- ``command/exec`` output is routed by ``processId``.
- Listeners (:meth:`Router.add_listener`) see every notification that matches their filter, bounded; a
  listener that falls behind is told so (:class:`NotificationOverflowError`), never silently trimmed.
- Turn queues are unbounded: a turn's consumer must see every event, so nothing is dropped.

The router only looks at ``threadId``/``turnId`` (or ``thread.id``/``turn.id``); payloads stay raw.
"""

from __future__ import annotations

import asyncio
import collections
import logging
import time
from collections.abc import Callable, Iterable
from typing import Any, Generic, TypeVar

from ..errors import NotificationOverflowError

__all__ = ["EventQueue", "Listener", "Router", "TurnSubscription", "route_keys"]

logger = logging.getLogger("codex_python_sdk")
T = TypeVar("T")


class EndOfQueue(Exception):
    """Raised by :meth:`EventQueue.get` after :meth:`EventQueue.close` once the queue is empty."""


class EventQueue(Generic[T]):
    """A single-consumer async queue: unbounded unless ``maxsize``; can end with an error.

    Putting never blocks (the reader calls it). A waiting consumer is woken once per burst: after the
    first put wakes it, further puts in the same loop iteration only append.
    """

    __slots__ = ("_error", "_items", "_maxsize", "_on_overflow", "_waiter")

    def __init__(self, maxsize: int = 0, on_overflow: Callable[[int], BaseException] | None = None) -> None:
        self._items: collections.deque[T] = collections.deque()
        self._waiter: asyncio.Future[None] | None = None
        self._error: BaseException | None = None
        self._maxsize = maxsize
        # Makes the error a full queue ends with; given one, the queued items are dropped with the
        # error (the consumer hears at once that the stream broke, instead of after draining it).
        self._on_overflow = on_overflow

    def __len__(self) -> int:
        return len(self._items)

    def put(self, item: T) -> bool:
        """Append; False (and the queue fails) when a bounded queue is full."""
        if self._error is not None:
            return False
        if self._maxsize and len(self._items) >= self._maxsize:
            if self._on_overflow is not None:
                error = self._on_overflow(len(self._items))
                self._items.clear()
            else:
                error = NotificationOverflowError(f"listener queue full ({self._maxsize} notifications)")
            self.fail(error)
            return False
        self._items.append(item)
        waiter = self._waiter
        if waiter is not None:
            self._waiter = None
            if not waiter.done():
                waiter.set_result(None)
        return True

    def fail(self, error: BaseException) -> None:
        """End the queue: after the queued items, :meth:`get` raises ``error``."""
        if self._error is None:
            self._error = error
            waiter = self._waiter
            self._waiter = None
            if waiter is not None and not waiter.done():
                waiter.set_result(None)

    def close(self) -> None:
        """End the queue normally: after the queued items, :meth:`get` raises :class:`EndOfQueue`."""
        self.fail(EndOfQueue())

    @property
    def ended(self) -> bool:
        """True once failed or closed (items may still be queued)."""
        return self._error is not None

    def get_nowait(self) -> T:
        """Pop the next item; raises ``IndexError`` when empty (or the end error if the queue ended)."""
        if self._items:
            return self._items.popleft()
        if self._error is not None:
            raise self._error
        raise IndexError("empty")

    async def wait(self, timeout: float | None = None) -> bool:
        """Wait until an item (or the end) is available; False when ``timeout`` passed first."""
        if self._items or self._error is not None:
            return True
        loop = asyncio.get_running_loop()
        waiter = loop.create_future()
        self._waiter = waiter
        handle = loop.call_later(timeout, _expire, waiter) if timeout is not None else None
        try:
            await waiter
        finally:
            if handle is not None:
                handle.cancel()
            if self._waiter is waiter:
                self._waiter = None
        return bool(self._items) or self._error is not None

    async def get(self) -> T:
        """Wait for and pop the next item."""
        while True:
            if self._items:
                return self._items.popleft()
            if self._error is not None:
                raise self._error
            await self.wait()


def _expire(waiter: asyncio.Future[None]) -> None:
    if not waiter.done():
        waiter.set_result(None)


def route_keys(method: str, params: Any) -> tuple[Any, Any]:
    """(thread id, turn id) of a notification, from ``threadId``/``turnId`` or ``thread.id``/``turn.id``.

    The values are as sent (``None`` when absent); :meth:`Router.dispatch` skips a message whose ids are
    not strings.
    """
    if type(params) is not dict:
        return None, None
    thread_id = params.get("threadId")
    turn_id = params.get("turnId")
    if thread_id is None:
        thread = params.get("thread")
        if type(thread) is dict:
            thread_id = thread.get("id")
    if turn_id is None:
        turn = params.get("turn")
        if type(turn) is dict:
            turn_id = turn.get("id")
    return thread_id, turn_id


def _skip(method: str, what: str, *values: Any) -> None:
    shown = ", ".join(type(v).__name__ for v in values)
    logger.warning("skipped a %.100r notification: its %s is not a string (%s)", method, what, shown)


class TurnSubscription:
    """Receives the notifications of one turn (raw messages, in arrival order).

    ``maxsize`` bounds what may wait for the consumer (0: unbounded); past it the queue ends with the
    error ``on_overflow(count)`` returns (that callback also gets the turn interrupted).
    """

    __slots__ = ("_early", "bound", "queue", "router", "thread_id", "turn_ids")

    def __init__(
        self,
        router: Router,
        thread_id: str,
        maxsize: int = 0,
        on_overflow: Callable[[int], BaseException] | None = None,
    ) -> None:
        self.router = router
        self.thread_id = thread_id
        self.turn_ids: set[str] = set()
        self.bound = False
        self._early: list[tuple[str | None, dict[str, Any]]] = []
        self.queue: EventQueue[dict[str, Any]] = EventQueue(maxsize, on_overflow)

    def offer(self, method: str, msg: dict[str, Any], turn_id: str | None) -> None:
        if not self.bound:
            self._early.append((turn_id, msg))
            return
        if turn_id is None or turn_id in self.turn_ids:
            self.queue.put(msg)
        elif method == "turn/started":
            # review/start runs an inner turn whose id differs but whose rootTurnId is ours.
            turn = msg.get("params", {}).get("turn")
            root = turn.get("rootTurnId") if type(turn) is dict else None
            if type(root) is str and root in self.turn_ids:
                self.turn_ids.add(turn_id)
                self.queue.put(msg)

    def bind(self, turn_id: str) -> None:
        """Attach to ``turn_id``: replay what arrived early for it (or for no turn), drop the rest."""
        self.turn_ids.add(turn_id)
        self.bound = True
        early, self._early = self._early, []
        for early_turn, msg in early:
            self.offer(msg["method"], msg, early_turn)

    def close(self) -> None:
        """Stop receiving (idempotent)."""
        self.router._remove(self)
        self.queue.close()


class Listener:
    """A bounded, filtered view of all notifications (see :meth:`Router.add_listener`)."""

    __slots__ = ("methods", "queue", "router", "thread_filter")

    _ALL: Any = object()

    def __init__(
        self, router: Router, methods: Iterable[str] | None, thread_filter: Any, maxsize: int
    ) -> None:
        self.router = router
        self.methods = frozenset(methods) if methods is not None else None
        self.thread_filter = thread_filter
        self.queue: EventQueue[dict[str, Any]] = EventQueue(maxsize)

    def matches(self, method: str, thread_id: str | None) -> bool:
        if self.methods is not None and method not in self.methods:
            return False
        return self.thread_filter is Listener._ALL or self.thread_filter == thread_id

    def close(self) -> None:
        """Stop receiving (idempotent)."""
        self.router._remove_listener(self)
        self.queue.close()


class Router:
    """Routes notifications to turn subscriptions, command/exec streams and listeners."""

    def __init__(self) -> None:
        self._threads: dict[str, list[TurnSubscription]] = {}
        self._processes: dict[str, EventQueue[dict[str, Any]]] = {}
        self._listeners: list[Listener] = []
        self._hooks_in_flight: collections.Counter[str] = collections.Counter()
        self._hook_finished_at: dict[str, float] = {}
        self._error: BaseException | None = None

    # -- subscriptions ---------------------------------------------------------------------------------
    def subscribe_turn(
        self,
        thread_id: str,
        maxsize: int = 0,
        on_overflow: Callable[[int], BaseException] | None = None,
    ) -> TurnSubscription:
        """Start collecting the thread's notifications for a turn that is about to start."""
        sub = TurnSubscription(self, thread_id, maxsize, on_overflow)
        if self._error is not None:
            sub.queue.fail(self._error)
        else:
            self._threads.setdefault(thread_id, []).append(sub)
        return sub

    def _remove(self, sub: TurnSubscription) -> None:
        subs = self._threads.get(sub.thread_id)
        if subs and sub in subs:
            subs.remove(sub)
            if not subs:
                del self._threads[sub.thread_id]

    def subscribe_process(self, process_id: str) -> EventQueue[dict[str, Any]]:
        """Collect ``command/exec/outputDelta`` for one ``processId``."""
        queue: EventQueue[dict[str, Any]] = EventQueue()
        if self._error is not None:
            queue.fail(self._error)
        else:
            self._processes[process_id] = queue
        return queue

    def unsubscribe_process(self, process_id: str) -> None:
        """Stop routing a process's output."""
        queue = self._processes.pop(process_id, None)
        if queue is not None:
            queue.close()

    def add_listener(
        self, methods: Iterable[str] | None = None, thread_id: Any = Listener._ALL, maxsize: int = 10_000
    ) -> Listener:
        """A listener for notifications matching ``methods`` (None: all) and ``thread_id``.

        ``thread_id``: a thread id, ``None`` for notifications that belong to no thread, or
        ``Listener._ALL`` (the default) for everything.
        """
        listener = Listener(self, methods, thread_id, maxsize)
        if self._error is not None:
            listener.queue.fail(self._error)
        else:
            self._listeners.append(listener)
        return listener

    def _remove_listener(self, listener: Listener) -> None:
        if listener in self._listeners:
            self._listeners.remove(listener)

    # -- hooks in flight pause the idle timer of their thread ------------------------------------------
    def hook_started(self, thread_id: str | None) -> None:
        """A server request of ``thread_id`` is being handled by user code."""
        if thread_id and type(thread_id) is str:  # a malformed request's id must not break the counts
            self._hooks_in_flight[thread_id] += 1

    def hook_finished(self, thread_id: str | None) -> None:
        """Pair of :meth:`hook_started`."""
        if thread_id and type(thread_id) is str and self._hooks_in_flight[thread_id] > 0:
            self._hook_finished_at[thread_id] = time.monotonic()
            self._hooks_in_flight[thread_id] -= 1
            if not self._hooks_in_flight[thread_id]:
                del self._hooks_in_flight[thread_id]

    def hooks_in_flight(self, thread_id: str) -> int:
        """How many server requests of the thread are waiting on user code right now."""
        return self._hooks_in_flight.get(thread_id, 0)

    def last_hook_finished(self, thread_id: str) -> float:
        """``time.monotonic()`` when a hook of the thread last finished (0.0 if never)."""
        return self._hook_finished_at.get(thread_id, 0.0)

    # -- dispatch (called by the reader for every notification) ----------------------------------------
    def dispatch(self, method: str, msg: dict[str, Any]) -> None:
        """Route one notification message. Never raises: one whose ids are not strings is logged and
        skipped (it cannot be told apart from another thread's or turn's)."""
        params = msg.get("params")
        if type(params) is dict and "threadId" in params and "turnId" in params:  # most events: no call
            thread_id, turn_id = params["threadId"], params["turnId"]
        else:
            thread_id, turn_id = route_keys(method, params)
        if (type(thread_id) is not str and thread_id is not None) or (
            type(turn_id) is not str and turn_id is not None
        ):
            _skip(method, "threadId/turnId", thread_id, turn_id)
            return
        if thread_id is not None:
            subs = self._threads.get(thread_id)
            if subs:
                for sub in subs:
                    sub.offer(method, msg, turn_id)
        elif method == "command/exec/outputDelta" and type(params) is dict:
            process_id = params.get("processId")
            if type(process_id) is str:
                queue = self._processes.get(process_id)
                if queue is not None:
                    queue.put(msg)
            elif process_id is not None:
                _skip(method, "processId", process_id)
                return
        if self._listeners:
            for listener in list(self._listeners):
                if listener.matches(method, thread_id) and not listener.queue.put(msg):
                    logger.warning("a notification listener fell behind and was closed (queue full)")
                    self._remove_listener(listener)

    def fail_all(self, error: BaseException) -> None:
        """The connection is gone: end every subscription with ``error``."""
        self._error = error
        for subs in list(self._threads.values()):
            for sub in subs:
                sub.queue.fail(error)
        self._threads.clear()
        for queue in self._processes.values():
            queue.fail(error)
        self._processes.clear()
        for listener in self._listeners:
            listener.queue.fail(error)
        self._listeners.clear()
