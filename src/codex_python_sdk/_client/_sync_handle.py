"""``ThreadHandle``: the sync client's thread handle.

Each method runs the same method of an :class:`AsyncThreadHandle` on the sync client's loop (one
implementation); streams are lazy :class:`SyncStream` s that interrupt their turn when left early. Calls
from several threads run concurrently, so ``steer`` or ``interrupt`` from a second thread reaches a
``run`` blocking in the first.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, overload

from .._unset import UNSET, Unset
from ._handle import AsyncThreadHandle

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
    from ._portal import Portal, SyncStream
    from ._sync import CodexAgenticClient
    from ._thread_options import ThreadForkOptions, TurnOptions
    from ._usage import Budget

__all__ = ["ThreadHandle"]


class ThreadHandle:
    """One thread of a :class:`~codex_python_sdk.CodexAgenticClient`, as an object (``client.thread()``).

    The blocking twin of :class:`~codex_python_sdk.AsyncThreadHandle`: the same methods, with the same
    arguments and meaning.
    """

    def __init__(self, client: CodexAgenticClient, handle: AsyncThreadHandle) -> None:
        self._client = client
        self._portal: Portal = client._portal
        self._handle = handle

    def __repr__(self) -> str:
        return f"<ThreadHandle {self._handle.id or '(not started)'}>"

    @property
    def id(self) -> str | None:
        """The thread's id (None until a handle made without one has started its thread)."""
        return self._handle.id

    @property
    def client(self) -> CodexAgenticClient:
        """The client this handle uses."""
        return self._client

    @property
    def async_handle(self) -> AsyncThreadHandle:
        """The async handle this one runs on the client's loop."""
        return self._handle

    def start(self) -> str:
        """Start (or resume) the thread once, with the handle's options; return its id."""
        return self._portal.call(self._handle.start())

    @overload
    def run(
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
    def run(
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
    def run(
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
    def run(
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
    def run(
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
        """Run one turn on this thread to the end (see ``AsyncThreadHandle.run``)."""
        return self._portal.call(
            self._handle.run(
                prompt,
                output_type=output_type,
                turn_params=turn_params,
                include_events=include_events,
                turn_timeout=turn_timeout,
                budget=budget,
                **options,
            )
        )

    def stream(
        self,
        prompt: Prompt,
        *,
        turn_params: Mapping[str, object] | None = None,
        turn_timeout: float | Unset | None = UNSET,
        budget: Budget | None = None,
        **options: Unpack[TurnOptions],
    ) -> SyncStream[str]:
        """Run one turn and iterate over the agent's text as it streams; lazy, ``close()`` stops it."""
        return self._portal.iterate(
            self._handle.stream(
                prompt, turn_params=turn_params, turn_timeout=turn_timeout, budget=budget, **options
            )
        )

    def events(
        self,
        prompt: Prompt,
        *,
        turn_params: Mapping[str, object] | None = None,
        turn_timeout: float | Unset | None = UNSET,
        budget: Budget | None = None,
        **options: Unpack[TurnOptions],
    ) -> SyncStream[TypedEvent]:
        """Run one turn and iterate over its events; lazy, ``close()`` stops it."""
        return self._portal.iterate(
            self._handle.events(
                prompt, turn_params=turn_params, turn_timeout=turn_timeout, budget=budget, **options
            )
        )

    def steer(self, prompt: Prompt, *, turn_id: str | None = None) -> TurnSteerResponse:
        """Add input to the turn running on this thread (see ``AsyncThreadHandle.steer``)."""
        return self._portal.call(self._handle.steer(prompt, turn_id=turn_id))

    def interrupt(self, *, turn_id: str | None = None) -> TurnInterruptResponse | None:
        """Interrupt the turn running on this thread; None when none was running."""
        return self._portal.call(self._handle.interrupt(turn_id=turn_id))

    def fork(
        self, *, params: Mapping[str, object] | None = None, **options: Unpack[ThreadForkOptions]
    ) -> ThreadHandle:
        """A handle on a new thread forked from this one (see ``AsyncThreadHandle.fork``)."""
        return ThreadHandle(self._client, self._portal.call(self._handle.fork(params=params, **options)))

    def read(self, *, include_turns: bool = False) -> Thread:
        """The thread, with its turns when ``include_turns``."""
        return self._portal.call(self._handle.read(include_turns=include_turns))

    def revert(self, before_turn_id: str | None = None, *, turns: int | None = None) -> ThreadRevertResponse:
        """Drop ``before_turn_id`` and every later turn, or the last ``turns`` turns."""
        return self._portal.call(self._handle.revert(before_turn_id, turns=turns))

    def compact(self) -> ThreadCompactStartResponse:
        """Start compacting the thread's history (it runs as a turn)."""
        return self._portal.call(self._handle.compact())

    def archive(self) -> ThreadArchiveResponse:
        """Archive the thread; :meth:`unarchive` brings it back."""
        return self._portal.call(self._handle.archive())

    def unarchive(self) -> ThreadUnarchiveResponse:
        """Unarchive the thread; its next turn resumes it."""
        return self._portal.call(self._handle.unarchive())
