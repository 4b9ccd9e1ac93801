"""Every turn ends, against the real app-server: a caller that gives up stops its turn on the server.

The in-memory twin of this file is tests/unit/test_turn_lifecycle.py; here the same paths run on the real
``codex app-server`` with the scripted fake model. Each test leaves a turn early in one of the ways users
do (cancel, ``asyncio.wait_for``, ``break``, closing or dropping a sync stream, Ctrl-C, ``turn_timeout``,
interrupting a review by the id ``review_start`` returned) and then checks, on the server, that the turn
ended ``interrupted`` and that the next turn on the same thread works.
"""

from __future__ import annotations

import asyncio
import gc
import signal
import threading
import time
from typing import Any

import pytest

from codex_python_sdk import AsyncCodexAgenticClient, ResponseEvent, TurnTimeoutError
from codex_python_sdk.testing import FakeModel, FakeModelClient, ModelRequest, Reply

from .conftest import PROMPTLY, async_turn_statuses, async_wait_until, run_async, turn_statuses, wait_until

pytestmark = pytest.mark.e2e

REVIEW = {"type": "custom", "instructions": "review the code"}


def _first_hangs(hanging: Reply, then: str = "second answer") -> Any:
    """A responder: the request for the prompt "first" gets ``hanging``, any later one ``then``."""

    def respond(request: ModelRequest) -> Reply:
        return hanging if request.prompts[-1:] == ["first"] else Reply.text(then)

    return respond


async def _interrupted(completed: Any) -> dict[str, Any]:
    """The next ``turn/completed`` of a notification stream, which must say ``interrupted``."""
    event: ResponseEvent = await asyncio.wait_for(completed.__anext__(), PROMPTLY)
    turn: dict[str, Any] = event.params["turn"]
    assert turn["status"] == "interrupted"
    return turn


async def _thread_with_watch(client: AsyncCodexAgenticClient) -> tuple[str, Any]:
    thread = await client.thread_start()
    thread_id: str = thread["thread"]["id"]
    return thread_id, client.notifications(["turn/completed"], thread_id=thread_id)


# -- async: cancel, wait_for, break --------------------------------------------------------------------
def test_cancel_while_turn_start_is_in_flight_interrupts_the_turn_on_the_server(
    model: FakeModel, monkeypatch: pytest.MonkeyPatch
) -> None:
    hanging = Reply.text("never finished", deltas=2).hang(after=2)
    model.respond_with(_first_hangs(hanging))

    async def main() -> None:
        async with model.async_client() as client:
            thread_id, completed = await _thread_with_watch(client)
            tasks: list[asyncio.Task[Any]] = []
            turn_id_when_cancelled: list[str | None] = []
            assert client._conn is not None
            transport = client._conn.transport
            send = transport.send

            def send_then_cancel(data: bytes) -> None:
                send(data)
                if b'"turn/start"' in data and tasks and not tasks[0].done():
                    turn_id_when_cancelled.append(client._turns._ours[thread_id].turn_id)
                    tasks[0].cancel()  # lands while the caller awaits turn/start's answer

            monkeypatch.setattr(transport, "send", send_then_cancel)
            tasks.append(asyncio.create_task(client.responses_create(prompt="first", thread_id=thread_id)))
            with pytest.raises(asyncio.CancelledError):
                await tasks[0]
            assert turn_id_when_cancelled == [None]  # cancelled before the answer named the turn
            await _interrupted(completed)
            assert await async_turn_statuses(client, thread_id) == ["interrupted"]
            result = await client.responses_create(prompt="second", thread_id=thread_id)
            assert (result.text, result.status) == ("second answer", "completed")
            assert await async_turn_statuses(client, thread_id) == ["interrupted", "completed"]

    run_async(main())


@pytest.mark.parametrize("how", ["task.cancel", "asyncio.wait_for", "break"])
def test_leaving_a_running_async_turn_interrupts_it_on_the_server(model: FakeModel, how: str) -> None:
    hanging = Reply.text("a partial answer", deltas=3).hang(
        after=3
    )  # created, added, one delta: then silence
    model.respond_with(_first_hangs(hanging))

    async def main() -> None:
        async with model.async_client() as client:
            thread_id, completed = await _thread_with_watch(client)
            call = client.responses_create(prompt="first", thread_id=thread_id)
            if how == "task.cancel":
                task = asyncio.create_task(call)
                assert await asyncio.to_thread(hanging.wait_until_hanging, 30)
                task.cancel()
                with pytest.raises(asyncio.CancelledError):
                    await task
            elif how == "asyncio.wait_for":
                with pytest.raises(asyncio.TimeoutError):
                    await asyncio.wait_for(call, 3.0)
                assert hanging.wait_until_hanging(0)  # it timed out mid-turn, not before the turn began
            else:
                call.close()
                async for event in client.responses_events(prompt="first", thread_id=thread_id):
                    if event.type == "item/agentMessage/delta":
                        break  # nothing else: the stream is dropped, as users write it
            turn = await _interrupted(completed)
            assert turn["id"] == model.requests[0].turn_id
            # codex stopped asking the model: it hung up the stream the turn was waiting on.
            await async_wait_until(lambda: model.requests[0].disconnected, what="codex to drop the stream")
            result = await client.responses_create(prompt="second", thread_id=thread_id)
            assert (result.text, result.status) == ("second answer", "completed")
            assert await async_turn_statuses(client, thread_id) == ["interrupted", "completed"]

    run_async(main())


# -- sync: a stream closed, left or dropped; Ctrl-C ----------------------------------------------------
@pytest.mark.parametrize("how", ["close", "with", "garbage-collected"])
def test_leaving_a_sync_stream_early_interrupts_its_turn_on_the_server(
    client: FakeModelClient, model: FakeModel, how: str
) -> None:
    hanging = Reply.text("a partial answer", deltas=3).hang(after=3)
    model.respond_with(_first_hangs(hanging))
    thread_id = client.thread_start()["thread"]["id"]

    def read_until_delta(events: Any) -> None:
        for event in events:
            if event.type == "item/agentMessage/delta":
                return

    if how == "with":
        with client.responses_events(prompt="first", thread_id=thread_id) as events:
            read_until_delta(events)
    else:
        events = client.responses_events(prompt="first", thread_id=thread_id)
        read_until_delta(events)
        if how == "close":
            events.close()
        else:
            del events
            gc.collect()
    wait_until(lambda: turn_statuses(client, thread_id) == ["interrupted"], what="the turn to be interrupted")
    result = client.responses_create(prompt="second", thread_id=thread_id)
    assert (result.text, result.status) == ("second answer", "completed")


@pytest.mark.usefixtures("ctrl_c")
def test_ctrl_c_during_a_sync_turn_interrupts_it_and_the_thread_goes_on(
    client: FakeModelClient, model: FakeModel
) -> None:
    hanging = Reply.text("a partial answer", deltas=3).hang(after=3)
    model.respond_with(_first_hangs(hanging))
    thread_id = client.thread_start()["thread"]["id"]
    main_thread = threading.main_thread().ident
    assert main_thread is not None

    def press_ctrl_c() -> None:
        if hanging.wait_until_hanging(30):
            signal.pthread_kill(main_thread, signal.SIGINT)  # what Ctrl-C in a terminal does

    timer = threading.Timer(0.0, press_ctrl_c)
    timer.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            client.responses_create(prompt="first", thread_id=thread_id)
    finally:
        timer.join(PROMPTLY)
    wait_until(lambda: turn_statuses(client, thread_id) == ["interrupted"], what="the turn to be interrupted")
    result = client.responses_create(prompt="second", thread_id=thread_id)
    assert (result.text, result.status) == ("second answer", "completed")


# -- turn_timeout while codex retries an unreachable model ---------------------------------------------
def test_turn_timeout_stops_a_turn_that_codex_keeps_retrying(model: FakeModel) -> None:
    model.respond_with(lambda request: Reply.server_error())  # a model that never answers
    limit = 3.0
    with model.client(request_max_retries=3, stream_max_retries=50) as retrying:
        events: list[ResponseEvent] = []
        started = 0.0
        with pytest.raises(TurnTimeoutError) as info:
            for event in retrying.responses_events(prompt="first", turn_timeout=limit):
                if event.type == "thread/ready":  # the thread exists: the turn's clock starts now
                    started = time.monotonic()
                events.append(event)
        elapsed = time.monotonic() - started
        assert limit - 0.5 < elapsed < limit + 2.0  # (the sync client hands events over in batches)
        retries = [e for e in events if e.type == "error" and e.params.get("willRetry") is True]
        assert retries, "codex's retries are events the caller sees"
        assert "Reconnecting" in retries[0].params["error"]["message"]
        error = info.value
        assert error.response is not None and error.response.status == "interrupted"
        assert error.thread_id is not None and error.turn_id == events[-1].turn_id
        wait_until(lambda: turn_statuses(retrying, error.thread_id or "") == ["interrupted"])
        # The turn really stopped: codex makes no further attempt at the model.
        attempts = len(model.requests)
        time.sleep(1.5)
        assert len(model.requests) == attempts
        model.respond_with(None)
        model.add(Reply.text("back"))
        assert retrying.responses_create(prompt="again", thread_id=error.thread_id).text == "back"


# -- reviews -------------------------------------------------------------------------------------------
def test_turn_interrupt_with_the_id_review_start_returned_stops_the_review(
    client: FakeModelClient, model: FakeModel
) -> None:
    hanging = Reply.text("reviewing...", deltas=2).hang(after=2)
    model.add(hanging, Reply.text("after the review"))
    thread_id = client.thread_start()["thread"]["id"]
    started = client.review_start(thread_id, REVIEW)
    assert hanging.wait_until_hanging(30)
    client.turn_interrupt(thread_id, started["turn"]["id"])
    wait_until(lambda: turn_statuses(client, thread_id)[-1:] == ["interrupted"], what="the review to stop")
    wait_until(lambda: model.requests[0].disconnected, what="codex to drop the review's model stream")
    result = client.responses_create(prompt="next", thread_id=thread_id)
    assert (result.text, result.status) == ("after the review", "completed")


def test_a_cancelled_review_is_interrupted_on_the_server(model: FakeModel) -> None:
    hanging = Reply.text("reviewing...", deltas=2).hang(after=2)
    model.add(hanging, Reply.text("after the review"))

    async def main() -> None:
        async with model.async_client() as client:
            thread_id, completed = await _thread_with_watch(client)
            task = asyncio.create_task(client.review(thread_id, REVIEW))
            assert await asyncio.to_thread(hanging.wait_until_hanging, 30)
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            await _interrupted(completed)
            await async_wait_until(lambda: model.requests[0].disconnected, what="codex to drop the stream")
            result = await client.responses_create(prompt="next", thread_id=thread_id)
            assert (result.text, result.status) == ("after the review", "completed")

    run_async(main())
