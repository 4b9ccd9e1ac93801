"""Which turn runs on which thread: :class:`TurnRun` and :class:`TurnTracker`, kept by the client.

:class:`TurnTracker` knows which turn runs on which thread (this client's, and those ``turn/started``
announces), so a second ``turn/start`` on a busy thread raises :class:`TurnInProgressError` instead of
being silently merged into the running turn by the server; and it knows the *running* id of a review
(codex 0.163 answers ``review/start`` with the id ``turn/completed`` will carry, while the turn that
runs — and must be named by ``turn/interrupt`` — has another id, announced by ``turn/started`` with
``rootTurnId`` set).

The turn loop itself (``turn_messages``, ``TurnAccumulator``) is in ``_turn_loop.py``, imported with the
first turn (while codex boots), not with the clients (docs/performance.md).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from typing import TYPE_CHECKING, Any

from ..errors import TurnInProgressError

if TYPE_CHECKING:
    from ._watch import TurnWatch

__all__ = ["INTERRUPT_TIMEOUT", "TurnRun", "TurnTracker"]

INTERRUPT_TIMEOUT = 10.0
"""Seconds to wait for ``turn/interrupt``'s answer, and then for the interrupted turn to end."""


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
        """The turn's budget and trace, if it has any (see ``_watch.py``)."""
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
