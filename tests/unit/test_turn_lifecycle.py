"""Every turn ends: cancellation at any point, busy threads, timeouts, reviews, slow consumers.

In-memory app-server (tests/unit/conftest.py); the same paths against the real binary are in
tests/reliability/test_turns_end_e2e.py.
"""

from __future__ import annotations

import asyncio
import gc
import signal
import threading
import time
import warnings
from typing import Any

import pytest

from codex_python_sdk import (
    AsyncCodexAgenticClient,
    ClientClosedError,
    CodexAgenticClient,
    StreamOverflowError,
    TurnInProgressError,
    TurnTimeoutError,
)

from .conftest import FakeAppServer


def _defer_turn_start(server: FakeAppServer) -> list[dict[str, Any]]:
    """Hold back every ``turn/start`` answer; the test releases it with :func:`_release`."""
    held: list[dict[str, Any]] = []
    server.handlers["turn/start"] = lambda _s, msg: held.append(msg)
    return held


def _release(server: FakeAppServer, msg: dict[str, Any], turn_id: str) -> None:
    tid = msg["params"]["threadId"]
    server.active_turns[tid] = turn_id
    server.reply(msg["id"], {"turn": {"id": turn_id, "status": "inProgress", "items": []}})
    server.notify("turn/started", {"threadId": tid, "turn": {"id": turn_id, "status": "inProgress"}})


def _interrupts(server: FakeAppServer) -> list[str]:
    return [p["turnId"] for p in server.sent("turn/interrupt")]


# -- cancellation ------------------------------------------------------------------------------------
def test_cancel_while_turn_start_is_in_flight_interrupts_the_turn_that_then_starts(
    server: FakeAppServer, make_client: Any, run: Any
) -> None:
    held = _defer_turn_start(server)

    async def main() -> None:
        async with make_client() as client:
            task = asyncio.create_task(client.responses_create(prompt="hi"))
            await server.settle(lambda: held)
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            assert _interrupts(server) == []  # the turn id is not known yet
            _release(server, held[0], "turn-late")
            await server.settle(lambda: _interrupts(server) == ["turn-late"])
            # The thread is usable again once the interrupted turn has ended.
            server.handlers.pop("turn/start")
            thread_id = held[0]["params"]["threadId"]
            result = await client.responses_create(prompt="again", thread_id=thread_id)
            assert result.text == "ok" and result.status == "completed"

    run(main())


def test_a_turn_cancelled_before_codex_made_it_active_is_still_interrupted(
    server: FakeAppServer, make_client: Any, run: Any
) -> None:
    """codex 0.163 answers ``turn/start`` before the turn is active and refuses ``turn/interrupt`` until
    ``turn/started`` ("no active turn to interrupt"); the abandoned turn must be stopped all the same."""
    held = _defer_turn_start(server)
    started: set[str] = set()
    accepted: list[str] = []

    def interrupt(s: FakeAppServer, msg: dict[str, Any]) -> None:
        params = msg["params"]
        if params["turnId"] not in started:
            s.error(msg["id"], -32600, "no active turn to interrupt")
            return
        accepted.append(params["turnId"])
        s.reply(msg["id"], {})
        s.complete(params["threadId"], params["turnId"], "interrupted")

    server.handlers["turn/interrupt"] = interrupt

    async def main() -> None:
        async with make_client() as client:
            task = asyncio.create_task(client.responses_create(prompt="hi"))
            await server.settle(lambda: held)
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            thread_id = held[0]["params"]["threadId"]
            server.reply(held[0]["id"], {"turn": {"id": "turn-late", "status": "inProgress", "items": []}})
            await asyncio.sleep(0.2)  # the answer is in; the turn is not active yet
            started.add("turn-late")
            server.notify("turn/started", {"threadId": thread_id, "turn": {"id": "turn-late"}})
            await server.settle(lambda: accepted == ["turn-late"] and not client._tasks)
            assert not client._turns._ours  # the interrupted turn ended: the thread is free
            server.handlers.pop("turn/start")
            assert (await client.responses_create(prompt="again", thread_id=thread_id)).text == "ok"

    run(main())


@pytest.mark.parametrize("after", range(0, 6))
def test_cancel_after_each_message_of_a_turn_interrupts_it_and_leaks_nothing(
    server: FakeAppServer, make_client: Any, run: Any, after: int
) -> None:
    """The cancel lands after the 0th, 1st, ... message of a scripted turn that would go on forever."""

    def endless(s: FakeAppServer, thread_id: str, turn_id: str) -> None:
        s.notify("turn/started", {"threadId": thread_id, "turn": {"id": turn_id, "status": "inProgress"}})
        base = {"threadId": thread_id, "turnId": turn_id}
        s.notify("item/started", {**base, "item": {"type": "agentMessage", "id": "m", "text": ""}})
        for i in range(4):
            s.notify("item/agentMessage/delta", {**base, "itemId": "m", "delta": f"d{i} "})

    server.turn_script = endless

    async def main() -> None:
        async with make_client() as client:
            seen: list[str] = []

            async def consume() -> None:
                async for event in client.responses_events(prompt="go"):
                    seen.append(event.type)
                    if len(seen) > after:
                        await asyncio.sleep(3600)  # the consumer blocks: only a cancel gets it out

            task = asyncio.create_task(consume())
            await server.settle(lambda: len(seen) > after)
            tasks_before = len(asyncio.all_tasks())
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            if after == 0:  # only thread/ready was seen: the turn had not been started yet
                await asyncio.sleep(0.1)
                assert server.sent("turn/start") == [] and _interrupts(server) == []
            else:
                await server.settle(lambda: len(_interrupts(server)) == 1)
            await server.settle(lambda: not client._tasks)  # the background interrupt finished
            assert len(asyncio.all_tasks()) <= tasks_before
            assert not client._router._threads  # no subscription left behind
            assert client._turns._ours == {}

    run(main())


def test_leaving_an_async_stream_early_interrupts_its_turn(
    server: FakeAppServer, make_client: Any, run: Any
) -> None:
    server.turn_script = FakeAppServer.hanging_turn

    async def main() -> None:
        async with make_client() as client:
            stream = client.responses_events(prompt="go")
            assert server.sent("turn/start") == []  # lazy: nothing is sent before iteration
            assert (await stream.__anext__()).type == "thread/ready"
            assert (await stream.__anext__()).type == "turn/started"
            await stream.aclose()
            await server.settle(lambda: len(_interrupts(server)) == 1)

    run(main())


def test_a_second_turn_on_a_running_thread_is_refused_with_a_clear_error(
    server: FakeAppServer, make_client: Any, run: Any
) -> None:
    server.turn_script = FakeAppServer.hanging_turn

    async def main() -> None:
        async with make_client() as client:
            first = asyncio.create_task(client.responses_create(prompt="one"))
            await server.settle(lambda: server.active_turns)
            thread_id = next(iter(server.active_turns))
            with pytest.raises(TurnInProgressError, match="turn_steer") as info:
                await client.responses_create(prompt="two", thread_id=thread_id)
            assert info.value.thread_id == thread_id and info.value.turn_id == server.active_turns[thread_id]
            assert len(server.sent("turn/start")) == 1  # never sent: the server would have merged it
            first.cancel()
            with pytest.raises(asyncio.CancelledError):
                await first

    run(main())


def test_a_turn_started_elsewhere_on_the_thread_also_refuses_a_new_turn(
    server: FakeAppServer, make_client: Any, run: Any
) -> None:
    async def main() -> None:
        async with make_client() as client:
            result = await client.responses_create(prompt="one")
            server.notify(
                "turn/started", {"threadId": result.thread_id, "turn": {"id": "compaction", "status": "x"}}
            )
            await asyncio.sleep(0.05)
            with pytest.raises(TurnInProgressError, match="compaction"):
                await client.responses_create(prompt="two", thread_id=result.thread_id)
            server.complete(result.thread_id, "compaction")
            await asyncio.sleep(0.05)
            assert (await client.responses_create(prompt="three", thread_id=result.thread_id)).text == "ok"

    run(main())


# -- timeouts ----------------------------------------------------------------------------------------
def test_turn_timeout_interrupts_and_raises_with_the_partial_response(
    server: FakeAppServer, make_client: Any, run: Any
) -> None:
    def retrying(s: FakeAppServer, thread_id: str, turn_id: str) -> Any:
        async def go() -> None:
            base = {"threadId": thread_id, "turnId": turn_id}
            s.notify("turn/started", {"threadId": thread_id, "turn": {"id": turn_id, "status": "inProgress"}})
            s.notify("item/agentMessage/delta", {**base, "itemId": "m", "delta": "partial"})
            while turn_id in s.active_turns.values():  # codex retrying an unreachable model
                s.notify("error", {**base, "error": {"message": "Reconnecting... 1/5"}, "willRetry": True})
                await asyncio.sleep(0.05)

        return go()

    server.turn_script = retrying

    async def main() -> None:
        async with make_client() as client:
            events = []
            started = time.monotonic()
            with pytest.raises(TurnTimeoutError) as info:
                async for event in client.responses_events(prompt="go", turn_timeout=0.4):
                    events.append(event)
            assert 0.3 < time.monotonic() - started < 3
            assert info.value.response is not None and info.value.response.text == "partial"
            assert info.value.response.status == "interrupted"
            assert any(e.type == "error" and e.params.get("willRetry") for e in events)  # retries are events
            await server.settle(lambda: len(_interrupts(server)) == 1)

    run(main())


def test_client_turn_timeout_applies_to_responses_create(
    server: FakeAppServer, make_client: Any, run: Any
) -> None:
    server.turn_script = FakeAppServer.hanging_turn

    async def main() -> None:
        async with make_client(turn_timeout=0.2) as client:
            with pytest.raises(TurnTimeoutError) as info:
                await client.responses_create(prompt="go")
            assert info.value.turn_id is not None and info.value.thread_id is not None
            await server.settle(lambda: _interrupts(server) == [info.value.turn_id])

    run(main())


# -- reviews -----------------------------------------------------------------------------------------
def _review_server(server: FakeAppServer) -> None:
    def review_start(s: FakeAppServer, msg: dict[str, Any]) -> None:
        tid = msg["params"]["threadId"]
        s.active_turns[tid] = "inner"
        s.reply(
            msg["id"], {"turn": {"id": "root", "status": "inProgress", "items": []}, "reviewThreadId": tid}
        )
        s.notify("turn/started", {"threadId": tid, "turn": {"id": "inner", "rootTurnId": "root"}})

    def turn_interrupt(s: FakeAppServer, msg: dict[str, Any]) -> None:
        # codex 0.163: only the inner (running) id is accepted; turn/completed carries the root id.
        if msg["params"]["turnId"] != "inner":
            s.error(msg["id"], -32600, "expected active turn id `root` but found `inner`")
            return
        s.reply(msg["id"], {})
        s.complete(msg["params"]["threadId"], "root", "interrupted")

    server.handlers["review/start"] = review_start
    server.handlers["turn/interrupt"] = turn_interrupt


def test_review_start_id_interrupts_the_running_review(
    server: FakeAppServer, make_client: Any, run: Any
) -> None:
    _review_server(server)

    async def main() -> None:
        async with make_client() as client:
            thread = await client.thread_start()
            started = await client.review_start(thread.thread.id, {"type": "uncommittedChanges"})
            assert started.turn.id == "root"
            await client.turn_interrupt(thread.thread.id, started.turn.id)
            assert _interrupts(server) == ["inner"]

    run(main())


def test_a_cancelled_review_is_interrupted_like_any_turn(
    server: FakeAppServer, make_client: Any, run: Any
) -> None:
    _review_server(server)

    async def main() -> None:
        async with make_client() as client:
            thread = await client.thread_start()
            task = asyncio.create_task(client.review(thread.thread.id, {"type": "uncommittedChanges"}))
            await server.settle(lambda: server.active_turns)
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            await server.settle(lambda: _interrupts(server) == ["inner"])

    run(main())


def test_review_runs_to_its_end_and_returns_the_review(
    server: FakeAppServer, make_client: Any, run: Any
) -> None:
    def review_start(s: FakeAppServer, msg: dict[str, Any]) -> None:
        tid = msg["params"]["threadId"]
        s.reply(
            msg["id"], {"turn": {"id": "root", "status": "inProgress", "items": []}, "reviewThreadId": tid}
        )
        s.notify("turn/started", {"threadId": tid, "turn": {"id": "inner", "rootTurnId": "root"}})
        s.agent_message(tid, "inner", "looks good")
        s.complete(tid, "root")

    server.handlers["review/start"] = review_start

    async def main() -> None:
        async with make_client() as client:
            thread = await client.thread_start()
            result = await client.review(thread.thread.id, {"type": "custom", "instructions": "check"})
            assert result.text == "looks good" and result.turn_id == "root" and result.status == "completed"

    run(main())


# -- slow consumers ----------------------------------------------------------------------------------
def test_a_consumer_that_falls_too_far_behind_gets_an_error_and_the_turn_is_interrupted(
    server: FakeAppServer, make_client: Any, run: Any
) -> None:
    def flood(s: FakeAppServer, thread_id: str, turn_id: str) -> None:
        base = {"threadId": thread_id, "turnId": turn_id}
        s.notify("turn/started", {"threadId": thread_id, "turn": {"id": turn_id, "status": "inProgress"}})
        for i in range(200):
            s.notify("item/agentMessage/delta", {**base, "itemId": "m", "delta": str(i)})

    server.turn_script = flood

    async def main() -> None:
        async with make_client(max_buffered_events=50) as client:
            seen = []
            with pytest.raises(StreamOverflowError, match="max_buffered_events") as info:
                async for event in client.responses_events(prompt="go"):
                    seen.append(event)
                    await asyncio.sleep(0.2)  # a slow consumer: the flood arrives while it sleeps
            assert len(seen) < 50  # what was buffered beyond the limit is not handed out piecemeal
            assert info.value.response is not None and info.value.response.status == "interrupted"
            await server.settle(lambda: len(_interrupts(server)) == 1)

    run(main())


# -- the sync facade ---------------------------------------------------------------------------------
def _sync(server: FakeAppServer, **kwargs: Any) -> CodexAgenticClient:
    return CodexAgenticClient(transport=server.transport, **kwargs)


def _wait(predicate: Any, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


def test_sync_streams_are_lazy_and_closing_or_dropping_one_interrupts_its_turn(server: FakeAppServer) -> None:
    server.turn_script = FakeAppServer.hanging_turn
    with _sync(server) as client:
        events = client.responses_events(prompt="one")
        text = client.responses_stream_text(prompt="two")
        time.sleep(0.1)
        assert server.sent("turn/start") == []  # nothing sent before the first next()
        assert next(events).type == "thread/ready"
        _wait(lambda: len(server.sent("turn/start")) == 1)
        events.close()
        _wait(lambda: len(_interrupts(server)) == 1)
        dropped = client.responses_events(prompt="three")
        next(dropped)
        _wait(lambda: len(server.sent("turn/start")) == 2)
        del dropped
        gc.collect()
        _wait(lambda: len(_interrupts(server)) == 2)
        text.close()  # never started: nothing to stop
        assert len(server.sent("turn/start")) == 2


def test_every_call_on_a_closed_sync_client_raises_client_closed_error(server: FakeAppServer) -> None:
    client = _sync(server)
    client.connect()
    client.close()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for call in (
            lambda: client.responses_create(prompt="x"),
            lambda: client.thread_list(),
            lambda: client.request("model/list"),
            lambda: next(client.responses_events(prompt="x")),
            lambda: client.rpc.model_list(),
            lambda: client.connect(),
        ):
            with pytest.raises(ClientClosedError):
                call()
        gc.collect()
    assert not [w for w in caught if "never awaited" in str(w.message)]


@pytest.mark.usefixtures("ctrl_c")
def test_ctrl_c_during_a_sync_turn_interrupts_it_and_the_client_stays_usable(server: FakeAppServer) -> None:
    server.turn_script = FakeAppServer.hanging_turn
    with _sync(server) as client:
        main = threading.main_thread().ident
        assert main is not None
        timer = threading.Timer(0.3, signal.pthread_kill, (main, signal.SIGINT))  # Ctrl-C, as a user does
        timer.start()
        with pytest.raises(KeyboardInterrupt):
            client.responses_create(prompt="long")
        _wait(lambda: len(_interrupts(server)) == 1)
        server.turn_script = FakeAppServer.simple_turn
        assert client.responses_create(prompt="next").text == "ok"


def test_a_hook_raising_keyboard_interrupt_neither_kills_the_loop_nor_leaks_the_process(
    server: FakeAppServer,
) -> None:
    def approval_turn(s: FakeAppServer, thread_id: str, turn_id: str) -> None:
        s.server_request(
            0, "item/commandExecution/requestApproval", {"threadId": thread_id, "turnId": turn_id}
        )

    answered: list[dict[str, Any]] = []

    def on_answer(s: FakeAppServer, msg: dict[str, Any]) -> None:
        answered.append(msg)

    def hook(params: Any) -> Any:
        raise KeyboardInterrupt

    server.turn_script = approval_turn
    client = _sync(server, on_command_approval=hook)
    with client:
        client.responses_events  # noqa: B018 (the attribute exists)
        stream = client.responses_events(prompt="x")
        next(stream)
        _wait(lambda: server.responses())
        assert server.responses()[0]["result"] == {"decision": "decline"}
        (record,) = client.hook_errors
        assert isinstance(record.error, KeyboardInterrupt) and record.hook == "on_command_approval"
        stream.close()
        assert client.thread_list() is not None  # the loop thread is alive
    assert server.transport.closed_by_client
    assert client.closed


def test_async_client_runs_turns_on_different_threads_concurrently(
    server: FakeAppServer, make_client: Any, run: Any
) -> None:
    async def main() -> None:
        async with make_client() as client:
            results = await asyncio.gather(*(client.responses_create(prompt=str(i)) for i in range(16)))
            assert len({r.thread_id for r in results}) == 16 and all(r.text == "ok" for r in results)

    run(main())


def test_async_client_is_its_own_class_with_explicit_keywords() -> None:
    import inspect

    params = inspect.signature(AsyncCodexAgenticClient).parameters
    assert "on_command_approval" in params and "turn_timeout" in params and "kwargs" not in params
    sync_params = inspect.signature(CodexAgenticClient).parameters
    assert list(sync_params) == list(params)
