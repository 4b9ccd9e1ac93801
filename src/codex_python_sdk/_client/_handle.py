"""Thread handles: ``client.thread()`` returns one thread as an object, for people who prefer that.

A thin layer over the client's flat methods (``responses_create``, ``turn_steer``, ``thread_fork`` ...):
each method of :class:`AsyncThreadHandle` calls one of them with the handle's thread id, so the semantics
are the flat methods' own. The sync :class:`~codex_python_sdk.ThreadHandle` runs these same methods on
the sync client's loop.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable, Mapping
from typing import TYPE_CHECKING, Any, TypeVar, overload

from .._unset import UNSET, Unset
from ..errors import CodexAgenticError
from ._turns import TurnRun

if TYPE_CHECKING:
    from typing_extensions import Unpack

    from ..events import AgentResponse, TypedEvent
    from ..events._parsed import OutputT, ParsedResponse
    from ..inputs import Prompt
    from ..protocol import (
        Thread,
        ThreadArchiveResponse,
        ThreadCompactStartResponse,
        ThreadRevertResponse,
        ThreadUnarchiveResponse,
        TurnInterruptResponse,
        TurnSteerResponse,
    )
    from ..protocol._base import JsonValue
    from ._async import AsyncCodexAgenticClient
    from ._thread_options import ThreadForkOptions, TurnOptions
    from ._usage import Budget

__all__ = ["AsyncThreadHandle", "wire_options"]

T = TypeVar("T")

_WAIT_FOR_TURN = 10.0  # seconds a steer or interrupt waits for a starting turn to be announced
_ANSWER_GRACE = 1.0  # seconds an interrupt's answer may trail the end of its turn


def wire_options(
    model: str, params: Mapping[str, object] | None, options: Mapping[str, object]
) -> dict[str, Any]:
    """``params`` (wire names) with ``options`` (the snake_case fields of the protocol model ``model``,
    e.g. ``approval_policy=``) on top; TypeError for an option the model does not have."""
    out: dict[str, Any] = dict(params or {})
    if not options:
        return out
    from ..protocol import _registry
    from ..protocol._base import _field_table, to_wire_value

    names, _required = _field_table(_registry.load_model(model))
    for key, value in options.items():
        wire = names.get(key)
        if wire is None or wire in ("threadId", "input"):  # the handle's own id; the prompt
            raise TypeError(f"unexpected option {key!r} (the options are the fields of {model})")
        if value is not UNSET:
            out[wire] = to_wire_value(value)
    return out


async def _aclose(agen: object) -> None:
    aclose = getattr(agen, "aclose", None)
    if aclose is not None:
        await aclose()


def _answered_turn_id(start: asyncio.Future[Any] | None) -> str | None:
    """The turn id in turn/start's answer (the turn loop copies it to its run when it next runs)."""
    if start is None or not start.done() or start.cancelled() or start.exception() is not None:
        return None
    turn = start.result().get("turn") if isinstance(start.result(), dict) else None
    turn_id = turn.get("id") if isinstance(turn, dict) else None
    return turn_id if isinstance(turn_id, str) else None


class AsyncThreadHandle:
    """One thread of an :class:`~codex_python_sdk.AsyncCodexAgenticClient`, as an object.

    Made by ``client.thread()`` (a new thread, started on first use with the given options) or
    ``client.thread(thread_id)`` (an existing one; options given are sent with ``thread/resume`` on first
    use, as ``thread_params`` would be). Every method calls the client's flat method of the same purpose
    with this thread's id: :meth:`run` is ``responses_create``, :meth:`steer` ``turn_steer`` ... so errors,
    timeouts, cancellation and interrupts behave as there. :meth:`steer` and :meth:`interrupt` act on the
    turn running on the thread (this client's, or one it saw start), so no turn id is needed.
    """

    def __init__(
        self, client: AsyncCodexAgenticClient, thread_id: str | None, params: Mapping[str, object]
    ) -> None:
        if thread_id is not None and (not isinstance(thread_id, str) or not thread_id.strip()):
            raise ValueError(f"thread_id must be a non-empty string, got {thread_id!r}")
        self._client = client
        self._id = thread_id
        self._params = dict(params)
        self._ready = thread_id is not None and not self._params  # nothing to send before the first turn
        self._lock: asyncio.Lock | None = None  # made on first use: it belongs to the client's loop
        self._active = 0  # this handle's turn calls under way (steer / interrupt wait for their turn)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self._id or '(not started)'}>"

    @property
    def id(self) -> str | None:
        """The thread's id (None until a handle made without one has started its thread)."""
        return self._id

    @property
    def client(self) -> AsyncCodexAgenticClient:
        """The client this handle uses."""
        return self._client

    async def start(self) -> str:
        """Start the thread (``thread_start`` with the handle's options) or resume it with them, once;
        return its id. The other methods call it first, so calling it yourself is optional."""
        if self._ready and self._id is not None:
            return self._id
        if self._lock is None:
            self._lock = asyncio.Lock()
        async with self._lock:
            if not self._ready:
                if self._id is None:
                    started = await self._client.thread_start(params=self._params)
                    self._id = started.thread.id
                else:
                    await self._client.thread_resume(self._id, params=self._params)
                self._ready = True
        assert self._id is not None
        return self._id

    # -- turns -----------------------------------------------------------------------------------------
    @overload
    async def run(
        self,
        prompt: Prompt,
        *,
        output_type: None = None,
        turn_params: Mapping[str, object] | None = None,
        include_events: bool = False,
        turn_timeout: float | Unset | None = UNSET,
        budget: Budget | None = None,
        **options: Unpack[TurnOptions],
    ) -> AgentResponse: ...
    @overload
    async def run(
        self,
        prompt: Prompt,
        *,
        output_type: type[OutputT],
        turn_params: Mapping[str, object] | None = None,
        include_events: bool = False,
        turn_timeout: float | Unset | None = UNSET,
        budget: Budget | None = None,
        **options: Unpack[TurnOptions],
    ) -> ParsedResponse[OutputT]: ...
    @overload
    async def run(
        self,
        prompt: Prompt,
        *,
        output_type: Mapping[str, object],
        turn_params: Mapping[str, object] | None = None,
        include_events: bool = False,
        turn_timeout: float | Unset | None = UNSET,
        budget: Budget | None = None,
        **options: Unpack[TurnOptions],
    ) -> ParsedResponse[JsonValue]: ...
    @overload
    async def run(
        self,
        prompt: Prompt,
        *,
        output_type: type[Any] | Mapping[str, object] | None = None,
        turn_params: Mapping[str, object] | None = None,
        include_events: bool = False,
        turn_timeout: float | Unset | None = UNSET,
        budget: Budget | None = None,
        **options: Unpack[TurnOptions],
    ) -> AgentResponse: ...
    async def run(
        self,
        prompt: Prompt,
        *,
        output_type: type[Any] | Mapping[str, object] | None = None,
        turn_params: Mapping[str, object] | None = None,
        include_events: bool = False,
        turn_timeout: float | Unset | None = UNSET,
        budget: Budget | None = None,
        **options: Unpack[TurnOptions],
    ) -> AgentResponse:
        """Run one turn on this thread to the end (``responses_create``).

        ``options`` are turn settings by their snake_case names (``model=``, ``effort=``,
        ``collaboration_mode=`` ...: the fields of ``TurnStartParams``), on top of ``turn_params`` (wire
        names). ``output_type`` asks for structured output, ``turn_timeout`` and ``budget`` bound the turn,
        as in ``responses_create``.
        """
        params = wire_options("TurnStartParams", turn_params, options)
        self._active += 1
        try:
            return await self._client.responses_create(
                prompt=prompt,
                thread_id=await self.start(),
                turn_params=params,
                include_events=include_events,
                turn_timeout=turn_timeout,
                budget=budget,
                output_type=output_type,
            )
        finally:
            self._active -= 1

    async def stream(
        self,
        prompt: Prompt,
        *,
        turn_params: Mapping[str, object] | None = None,
        turn_timeout: float | Unset | None = UNSET,
        budget: Budget | None = None,
        **options: Unpack[TurnOptions],
    ) -> AsyncIterator[str]:
        """Run one turn and yield the agent's text as it streams (``responses_stream_text``); leaving
        early interrupts the turn."""
        params = wire_options("TurnStartParams", turn_params, options)
        relay = self._relay(self._client.responses_stream_text, prompt, params, turn_timeout, budget)
        async with relay as inner:
            async for chunk in inner:
                yield chunk

    async def events(
        self,
        prompt: Prompt,
        *,
        turn_params: Mapping[str, object] | None = None,
        turn_timeout: float | Unset | None = UNSET,
        budget: Budget | None = None,
        **options: Unpack[TurnOptions],
    ) -> AsyncIterator[TypedEvent]:
        """Run one turn and yield its events (``responses_events``); leaving early interrupts the turn."""
        params = wire_options("TurnStartParams", turn_params, options)
        relay = self._relay(self._client.responses_events, prompt, params, turn_timeout, budget)
        async with relay as inner:
            async for event in inner:
                yield event

    @contextlib.asynccontextmanager
    async def _relay(
        self,
        method: Callable[..., AsyncIterator[T]],
        prompt: Prompt,
        params: dict[str, Any],
        turn_timeout: float | Unset | None,
        budget: Budget | None,
    ) -> AsyncIterator[AsyncIterator[T]]:
        """The flat streaming ``method``'s turn on this thread, counted as this handle's while it runs
        and closed on leaving: now, not at garbage collection, since that interrupts a turn left early."""
        self._active += 1
        try:
            inner = method(
                prompt=prompt,
                thread_id=await self.start(),
                turn_params=params,
                turn_timeout=turn_timeout,
                budget=budget,
            )
            try:
                yield inner
            finally:
                await _aclose(inner)
        finally:
            self._active -= 1

    async def steer(self, prompt: Prompt, *, turn_id: str | None = None) -> TurnSteerResponse:
        """Add input to the turn running on this thread (``turn_steer``); the model sees it in its next
        request of that turn. ``turn_id`` names the turn; by default, the one running now, waiting (up to
        10 s) while a ``run``, ``stream`` or ``events`` call of this handle is still starting its turn.
        :class:`CodexAgenticError` when no turn is running."""
        found = await self._running(turn_id)
        if found is None:
            raise CodexAgenticError(f"no turn is running on thread {self._id or '(not started)'} to steer")
        thread_id, target, _run = found
        return await self._client.turn_steer(thread_id, target, prompt)

    async def interrupt(self, *, turn_id: str | None = None) -> TurnInterruptResponse | None:
        """Interrupt the turn running on this thread (``turn_interrupt``); its ``run`` returns with status
        ``interrupted`` and its streams end. None when no turn was running (or it ended meanwhile)."""
        found = await self._running(turn_id)
        if found is None:
            return None
        thread_id, target, run = found
        request = asyncio.ensure_future(self._client.turn_interrupt(thread_id, target))
        try:
            if run is not None:
                # codex answers an interrupt of a turn that has just ended only when a later turn ends:
                # stop waiting once the turn is over (after a moment for an answer already on its way).
                either: set[asyncio.Future[Any]] = {request, run.done}
                await asyncio.wait(either, return_when=asyncio.FIRST_COMPLETED)
                if not request.done():
                    await asyncio.wait({request}, timeout=_ANSWER_GRACE)
                if not request.done():
                    request.cancel()
                    return None
            return await request
        except BaseException:
            request.cancel()  # no-op once it is done
            raise

    async def _running(self, turn_id: str | None) -> tuple[str, str, TurnRun | None] | None:
        """(thread id, the turn id to name, this client's run of that turn), or None when no turn runs."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + _WAIT_FOR_TURN
        while True:
            current = self._client._turns.current(self._id) if self._id is not None else None
            if current is not None or (turn_id is not None and self._id is not None):
                break
            if not self._active or loop.time() >= deadline:
                return None
            # A turn of this handle is on its way (its thread starting, or the turn being reserved).
            await asyncio.sleep(0.01)
        thread_id = self._id
        assert thread_id is not None
        run = current if isinstance(current, TurnRun) else None
        if turn_id is not None:
            ours = run is not None and turn_id in (run.turn_id, run.running_id)
            return thread_id, turn_id, run if ours else None
        if run is None:
            assert isinstance(current, str)
            return thread_id, current, None
        # codex accepts a steer or an interrupt only once turn/started announced the turn, and its id comes
        # with turn/start's answer: wait (bounded) for both. asyncio.wait cancels none of them.
        if not run.started.done() and not run.done.done():
            await asyncio.wait({run.started, run.done}, timeout=_WAIT_FOR_TURN, return_when="FIRST_COMPLETED")
        start = run.start_future
        if run.turn_id is None and start is not None and not run.done.done():
            answered: set[asyncio.Future[Any]] = {start, run.done}
            await asyncio.wait(answered, timeout=_WAIT_FOR_TURN, return_when="FIRST_COMPLETED")
        target = run.running_id or run.turn_id or _answered_turn_id(start)
        return None if run.done.done() or target is None else (thread_id, target, run)

    # -- the thread ------------------------------------------------------------------------------------
    async def fork(
        self, *, params: Mapping[str, object] | None = None, **options: Unpack[ThreadForkOptions]
    ) -> AsyncThreadHandle:
        """A handle on a new thread forked from this one (``thread_fork``): the history so far, the
        settings unless ``options`` (the fields of ``ThreadForkParams``) or ``params`` override them."""
        thread_id = await self.start()
        forked = await self._client.thread_fork(
            thread_id, params=wire_options("ThreadForkParams", params, options)
        )
        return AsyncThreadHandle(self._client, forked.thread.id, {})

    async def read(self, *, include_turns: bool = False) -> Thread:
        """The thread (``thread_read``), with its turns when ``include_turns``."""
        return await self._client.thread_read(await self.start(), include_turns=include_turns)

    async def revert(
        self, before_turn_id: str | None = None, *, turns: int | None = None
    ) -> ThreadRevertResponse:
        """Drop turns from the thread's history: ``before_turn_id`` and every later turn, or the last
        ``turns`` turns (``thread_rollback``). Local file changes are not undone."""
        if (before_turn_id is None) == (turns is None):
            raise TypeError("revert() takes before_turn_id or turns=, one of them")
        thread_id = await self.start()
        if turns is not None:
            return await self._client.thread_rollback(thread_id, turns)
        assert before_turn_id is not None
        return await self._client.rpc.thread_revert(thread_id=thread_id, before_turn_id=before_turn_id)

    async def compact(self) -> ThreadCompactStartResponse:
        """Start compacting the thread's history (``thread_compact_start``; it runs as a turn)."""
        return await self._client.thread_compact_start(await self.start())

    async def archive(self) -> ThreadArchiveResponse:
        """Archive the thread (``thread_archive``); :meth:`unarchive` brings it back."""
        return await self._client.thread_archive(await self.start())

    async def unarchive(self) -> ThreadUnarchiveResponse:
        """Unarchive the thread (``thread_unarchive``); its next turn resumes it."""
        return await self._client.thread_unarchive(await self.start())
