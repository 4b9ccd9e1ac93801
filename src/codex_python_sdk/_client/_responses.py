"""Turns: ``responses_create``, ``responses_events``, ``responses_stream_text``, ``review`` and
``review_events``.

All of them run on the one turn loop (:func:`~codex_python_sdk._client._turn_loop.turn_messages`): the thread
is prepared, the turn reserved on it, the start request sent with the subscription already open, and a
turn left early for any reason is interrupted on the server. They differ only in what they hand back.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from typing import TYPE_CHECKING, Any, overload

from .._unset import UNSET, Unset
from ._turns import TurnRun
from ._usage import Budget, check_budget

# Importing the clients must stay cheap (docs/performance.md): the turn loop, the events and the input
# classes are imported with the first turn (the client imports them while codex boots).
if TYPE_CHECKING:
    from .._rpc import RpcConnection
    from ..events import AgentResponse, TypedEvent
    from ..events._parsed import OutputT, ParsedResponse
    from ..inputs import Prompt
    from ..protocol._base import JsonValue
    from ._ledger import UsageLedger
    from ._options import ClientOptions
    from ._routing import Router
    from ._turns import TurnTracker

__all__ = ["Responses"]


class Responses:
    """Mixin of the turn methods; the client supplies the connection, threads and plumbing."""

    if TYPE_CHECKING:
        _options: ClientOptions
        _router: Router
        _turns: TurnTracker
        _ledger: UsageLedger

        def _spawn(self, coro: Any) -> None: ...
        async def _connection(self) -> RpcConnection: ...
        async def _prepare_thread(
            self, thread_id: str | None, thread_params: Mapping[str, Any] | None
        ) -> str: ...

    async def _open_turn(
        self,
        thread_id: str | None,
        thread_params: Mapping[str, Any] | None,
        method: str,
        params: dict[str, Any],
        turn_timeout: float | Unset | None,
        budget: Budget | None = None,
    ) -> tuple[TurnRun, AsyncIterator[dict[str, Any]]]:
        check_budget(budget)
        conn = await self._connection()
        resolved = await self._prepare_thread(thread_id, thread_params)
        run = TurnRun(resolved, method)
        from ._turn_loop import turn_messages  # lazy (see the imports)

        limit = self._options.turn_timeout if isinstance(turn_timeout, Unset) else _checked(turn_timeout)
        stream = turn_messages(
            conn,
            self._router,
            self._turns,
            run,
            params,
            idle_timeout=self._options.stream_idle_timeout,
            turn_timeout=limit,
            max_buffered=self._options.max_buffered_events,
            spawn=self._spawn,
            watch=self._ledger.watch(resolved, method, params, budget),
        )
        return run, stream

    async def _start(
        self,
        prompt: Prompt,
        thread_id: str | None,
        thread_params: Mapping[str, object] | None,
        turn_params: Mapping[str, object] | None,
        turn_timeout: float | Unset | None,
        budget: Budget | None = None,
    ) -> tuple[TurnRun, AsyncIterator[dict[str, Any]]]:
        from ..inputs import to_wire_input  # lazy (see the imports)

        wire_input = to_wire_input(prompt)  # bad input fails before anything is started
        params = {**self._options.turn_params(turn_params), "input": wire_input}
        return await self._open_turn(thread_id, thread_params, "turn/start", params, turn_timeout, budget)

    async def responses_events(
        self,
        *,
        prompt: Prompt,
        thread_id: str | None = None,
        thread_params: Mapping[str, object] | None = None,
        turn_params: Mapping[str, object] | None = None,
        turn_timeout: float | Unset | None = UNSET,
        budget: Budget | None = None,
    ) -> AsyncIterator[TypedEvent]:
        """Run one turn and yield its events: ``thread/ready`` first, ``turn/completed`` last.

        Starts a thread when ``thread_id`` is None. Nothing is sent until iteration starts. Leaving the
        loop early (break, ``aclose()``, cancellation, a timeout) interrupts the turn on the server. A
        failed turn raises :class:`TurnFailedError` after its ``turn/completed`` event; ``turn_timeout``
        (seconds; default: the client's) bounds the whole turn (:class:`TurnTimeoutError`); ``budget``
        (a :class:`Budget`) limits this turn's tokens and time (:class:`BudgetExceededError`).
        """
        run, stream = await self._start(prompt, thread_id, thread_params, turn_params, turn_timeout, budget)
        from ._turn_loop import turn_events  # lazy (see the imports)

        async for event in turn_events(run, stream):
            yield event

    async def responses_stream_text(
        self,
        *,
        prompt: Prompt,
        thread_id: str | None = None,
        thread_params: Mapping[str, object] | None = None,
        turn_params: Mapping[str, object] | None = None,
        turn_timeout: float | Unset | None = UNSET,
        budget: Budget | None = None,
    ) -> AsyncIterator[str]:
        """Run one turn and yield the agent's message text as it streams (no tool output, no reasoning).

        Leaving early interrupts the turn; a failed turn raises :class:`TurnFailedError` at the end.
        """
        from ._turn_loop import TurnAccumulator, closing  # lazy (see the imports)

        if _replaced(self, "responses_events"):  # the seed's tests (and users) stub the event stream
            events = self.responses_events(
                prompt=prompt, thread_id=thread_id, thread_params=thread_params, turn_params=turn_params
            )
            async with closing(events):  # type: ignore[arg-type]
                async for event in events:
                    if event.type == "item/agentMessage/delta" and event.text_delta:
                        yield event.text_delta
            return
        run, stream = await self._start(prompt, thread_id, thread_params, turn_params, turn_timeout, budget)
        acc = TurnAccumulator(run.thread_id, keep_events=False)
        with acc.partial_on_stop(run):
            async with closing(stream):
                async for msg in stream:
                    method = msg.get("method")
                    if method == "item/agentMessage/delta":
                        params = msg.get("params")
                        delta = params.get("delta") if type(params) is dict else None
                        if isinstance(delta, str) and delta:
                            acc.add_delta(params.get("itemId"), delta)  # type: ignore[union-attr]
                            yield delta
                    else:
                        acc.add(msg)
        acc.raise_if_failed()

    if TYPE_CHECKING:  # overloads for type checkers only (at run time typing would keep them)

        @overload
        async def responses_create(
            self,
            *,
            prompt: Prompt,
            thread_id: str | None = None,
            thread_params: Mapping[str, object] | None = None,
            turn_params: Mapping[str, object] | None = None,
            include_events: bool = False,
            turn_timeout: float | Unset | None = UNSET,
            budget: Budget | None = None,
            output_type: None = None,
        ) -> AgentResponse: ...
        @overload
        async def responses_create(
            self,
            *,
            prompt: Prompt,
            thread_id: str | None = None,
            thread_params: Mapping[str, object] | None = None,
            turn_params: Mapping[str, object] | None = None,
            include_events: bool = False,
            turn_timeout: float | Unset | None = UNSET,
            budget: Budget | None = None,
            output_type: type[OutputT],
        ) -> ParsedResponse[OutputT]: ...
        @overload
        async def responses_create(
            self,
            *,
            prompt: Prompt,
            thread_id: str | None = None,
            thread_params: Mapping[str, object] | None = None,
            turn_params: Mapping[str, object] | None = None,
            include_events: bool = False,
            turn_timeout: float | Unset | None = UNSET,
            budget: Budget | None = None,
            output_type: Mapping[str, object],
        ) -> ParsedResponse[JsonValue]: ...
        @overload
        async def responses_create(  # an output type not known statically (e.g. forwarded by a wrapper)
            self,
            *,
            prompt: Prompt,
            thread_id: str | None = None,
            thread_params: Mapping[str, object] | None = None,
            turn_params: Mapping[str, object] | None = None,
            include_events: bool = False,
            turn_timeout: float | Unset | None = UNSET,
            budget: Budget | None = None,
            output_type: type[Any] | Mapping[str, object] | None = None,
        ) -> AgentResponse: ...

    async def responses_create(
        self,
        *,
        prompt: Prompt,
        thread_id: str | None = None,
        thread_params: Mapping[str, object] | None = None,
        turn_params: Mapping[str, object] | None = None,
        include_events: bool = False,
        turn_timeout: float | Unset | None = UNSET,
        budget: Budget | None = None,
        output_type: type[Any] | Mapping[str, object] | None = None,
    ) -> AgentResponse:
        """Run one turn to the end and return an :class:`AgentResponse`.

        ``status`` is ``completed`` or ``interrupted``; a failed turn raises :class:`TurnFailedError`
        (its ``response`` holds what was gathered). ``include_events=True`` keeps every event.
        ``turn_timeout`` (seconds; default: the client's) bounds the whole turn: past it the turn is
        interrupted and :class:`TurnTimeoutError` raised, its ``response`` holding the partial result.
        Cancelling the call (``task.cancel()``, a timeout, Ctrl-C) interrupts the turn too. ``budget`` (a
        :class:`Budget`) limits this turn's tokens and time (:class:`BudgetExceededError`).

        ``output_type`` (a pydantic model, a dataclass, a ``TypedDict`` or a JSON schema dict) asks for
        structured output: its schema goes with the turn (``outputSchema``) and the answer is parsed and
        validated into a :class:`ParsedResponse` whose ``output`` is the object. An answer that does not
        validate gets one repair turn on the same thread, quoting what was wrong; if that answer does
        not validate either, :class:`OutputValidationError` is raised (with ``raw_text`` and ``errors``).
        ``turn_timeout`` and ``budget`` bound each of the (at most two) turns; a turn stopped by either
        raises as usual and is not repaired.
        """
        if output_type is not None:
            from ._output import create_parsed  # loaded only when structured output is asked for

            return await create_parsed(
                self,
                output_type,
                prompt=prompt,
                thread_id=thread_id,
                thread_params=thread_params,
                turn_params=turn_params,
                include_events=include_events,
                turn_timeout=turn_timeout,
                budget=budget,
            )
        if _replaced(self, "responses_events"):  # the seed's tests (and users) stub the event stream
            events = self.responses_events(
                prompt=prompt, thread_id=thread_id, thread_params=thread_params, turn_params=turn_params
            )
            from ._turn_loop import collect_events  # lazy (see the imports)

            return await collect_events(events, thread_id or "", include_events)
        run, stream = await self._start(prompt, thread_id, thread_params, turn_params, turn_timeout, budget)
        from ._turn_loop import collect  # lazy (see the imports)

        return await collect(run, stream, include_events)

    # -- reviews ---------------------------------------------------------------------------------------
    def _review_params(self, target: Mapping[str, object], delivery: str | None) -> dict[str, Any]:
        if not isinstance(target, Mapping) or not isinstance(target.get("type"), str):
            example = "{'type': 'uncommittedChanges'}"
            raise TypeError(f"target must be a review target dict such as {example}, got {target!r}")
        params: dict[str, Any] = {"target": dict(target)}
        if delivery is not None:
            params["delivery"] = delivery
        return params

    async def review(
        self,
        thread_id: str,
        target: Mapping[str, object],
        *,
        delivery: str | None = None,
        include_events: bool = False,
        turn_timeout: float | Unset | None = UNSET,
        budget: Budget | None = None,
    ) -> AgentResponse:
        """Run a code review on a thread to the end, like a turn (``target`` e.g. ``{"type":
        "uncommittedChanges"}`` or ``{"type": "custom", "instructions": "..."}``).

        Returns an :class:`AgentResponse` whose ``text`` is the review; cancelling it or a
        ``turn_timeout`` interrupts the review on the server, as for any turn.
        """
        params = self._review_params(target, delivery)
        run, stream = await self._open_turn(thread_id, None, "review/start", params, turn_timeout, budget)
        from ._turn_loop import collect  # lazy (see the imports)

        return await collect(run, stream, include_events)

    async def review_events(
        self,
        thread_id: str,
        target: Mapping[str, object],
        *,
        delivery: str | None = None,
        turn_timeout: float | Unset | None = UNSET,
        budget: Budget | None = None,
    ) -> AsyncIterator[TypedEvent]:
        """Run a code review and yield its events (see :meth:`review` and :meth:`responses_events`)."""
        params = self._review_params(target, delivery)
        run, stream = await self._open_turn(thread_id, None, "review/start", params, turn_timeout, budget)
        from ._turn_loop import turn_events  # lazy (see the imports)

        async for event in turn_events(run, stream):
            yield event


def _replaced(client: object, name: str) -> bool:
    """True when ``name`` was replaced on the instance or overridden by a subclass."""
    return name in vars(client) or getattr(type(client), name) is not getattr(Responses, name)


def _checked(value: float | None) -> float | None:
    if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0):
        raise ValueError(f"turn_timeout must be a positive number of seconds or None, got {value!r}")
    return None if value is None else float(value)
