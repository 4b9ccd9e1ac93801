"""Thread handles (``client.thread()``) against the in-memory app-server: what each method sends, that
the thread starts (or resumes) once, and that steer and interrupt find the running turn by themselves."""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Callable
from typing import Any

import pytest

from codex_python_sdk import (
    AgentResponse,
    AsyncCodexAgenticClient,
    AsyncThreadHandle,
    Budget,
    BudgetExceededError,
    CodexAgenticClient,
    CodexAgenticError,
    MemoryTransport,
    ThreadHandle,
    TurnTimeoutError,
)

from .conftest import FakeAppServer

MakeClient = Callable[..., AsyncCodexAgenticClient]


def steerable(server: FakeAppServer) -> None:
    """Turns that hang until interrupted; ``turn/steer`` answers with the running turn's id."""
    server.turn_script = FakeAppServer.hanging_turn

    def on_steer(s: FakeAppServer, msg: dict[str, Any]) -> None:
        params = msg["params"]
        s.reply(msg["id"], {"turnId": params["expectedTurnId"]})

    server.handlers["turn/steer"] = on_steer


def test_a_new_handle_starts_its_thread_once_on_first_use_with_its_options(
    server: FakeAppServer, make_client: MakeClient, run: Any
) -> None:
    async def main() -> tuple[AsyncThreadHandle, AgentResponse, AgentResponse]:
        async with make_client() as client:
            handle = client.thread(model="gpt-5.5", approval_policy="never", params={"cwd": "/w"})
            assert handle.id is None and server.sent("thread/start") == []  # nothing is sent before use
            first = await handle.run("one", effort="low", turn_params={"summary": "auto"})
            second = await handle.run("two")
            return handle, first, second

    handle, first, second = run(main())

    (start,) = server.sent("thread/start")
    assert start["model"] == "gpt-5.5" and start["approvalPolicy"] == "never" and start["cwd"] == "/w"
    assert start["sandbox"] == "workspace-write"  # the client's baseline, as with thread_start()
    assert handle.id == first.thread_id == second.thread_id and first.text == "ok"
    one, two = server.sent("turn/start")
    assert one["effort"] == "low" and one["summary"] == "auto" and "effort" not in two
    assert server.sent("thread/resume") == []
    assert repr(handle) == f"<AsyncThreadHandle {handle.id}>"


def test_a_handle_on_an_existing_thread_resumes_it_once_with_its_options(
    server: FakeAppServer, make_client: MakeClient, run: Any
) -> None:
    async def main() -> None:
        async with make_client() as client:
            handle = client.thread("stored-1", model="gpt-5.5")
            await handle.run("one")
            await handle.run("two")
            plain = client.thread("stored-2")
            await plain.run("three")

    run(main())

    assert server.sent("thread/resume") == [
        {"threadId": "stored-1", "model": "gpt-5.5"},
        {"threadId": "stored-2"},  # as responses_create(thread_id=...) does for a thread not loaded
    ]
    assert [p["threadId"] for p in server.sent("turn/start")] == ["stored-1", "stored-1", "stored-2"]


def test_unknown_options_are_type_errors_before_anything_is_sent(
    server: FakeAppServer, make_client: MakeClient, run: Any
) -> None:
    async def main() -> None:
        async with make_client() as client:
            with pytest.raises(TypeError, match=r"'modle'.*ThreadStartParams"):
                client.thread(modle="gpt-5.5")  # type: ignore[call-overload]
            with pytest.raises(TypeError, match=r"'sandboxx'.*ThreadResumeParams"):
                client.thread("t", sandboxx="read-only")  # type: ignore[call-overload]
            handle = client.thread()
            with pytest.raises(TypeError, match=r"'input'.*TurnStartParams"):
                await handle.run("x", input=[])  # type: ignore[call-overload]

    run(main())
    assert server.sent("thread/start") == [] and server.sent("turn/start") == []


def test_concurrent_first_uses_start_one_thread(
    server: FakeAppServer, make_client: MakeClient, run: Any
) -> None:
    async def main() -> list[str]:
        async with make_client() as client:
            handle = client.thread()
            return list(await asyncio.gather(handle.start(), handle.start(), handle.start()))

    ids = run(main())
    assert len(set(ids)) == 1 and len(server.sent("thread/start")) == 1


def test_steer_and_interrupt_find_the_running_turn_by_themselves(
    server: FakeAppServer, make_client: MakeClient, run: Any
) -> None:
    steerable(server)

    async def main() -> tuple[Any, Any, AgentResponse, Any]:
        async with make_client() as client:
            handle = client.thread()
            task = asyncio.create_task(handle.run("long task"))
            await asyncio.sleep(0)  # the task begins; its thread is still starting
            # steer waits for this handle's turn to be running.
            steered = await handle.steer("and this too")
            interrupted = await handle.interrupt()
            result = await task
            return steered, interrupted, result, await handle.interrupt()

    steered, interrupted, result, after = run(main())

    (turn,) = server.sent("turn/start")
    (steer,) = server.sent("turn/steer")
    turn_id = steered["turnId"]
    assert steer == {
        "threadId": turn["threadId"],
        "expectedTurnId": turn_id,
        "input": [{"type": "text", "text": "and this too", "text_elements": []}],
    }
    assert server.sent("turn/interrupt") == [{"threadId": turn["threadId"], "turnId": turn_id}]
    assert interrupted == {} and result.status == "interrupted" and result.turn_id == turn_id
    assert after is None  # nothing runs any more


def test_steer_with_no_turn_running_is_an_error_and_interrupt_returns_none(
    server: FakeAppServer, make_client: MakeClient, run: Any
) -> None:
    async def main() -> None:
        async with make_client() as client:
            fresh = client.thread()
            with pytest.raises(CodexAgenticError, match=r"no turn is running on thread \(not started\)"):
                await fresh.steer("hello?")
            assert await fresh.interrupt() is None
            await fresh.run("done")
            with pytest.raises(CodexAgenticError, match=f"no turn is running on thread {fresh.id}"):
                await fresh.steer("late")
            assert await fresh.interrupt() is None

    run(main())
    assert server.sent("turn/steer") == [] and server.sent("turn/interrupt") == []


def test_a_turn_started_elsewhere_is_steered_by_the_id_codex_announced(
    server: FakeAppServer, make_client: MakeClient, run: Any
) -> None:
    steerable(server)

    async def main() -> None:
        async with make_client() as client:
            handle = client.thread("t-1")
            server.notify(
                "turn/started", {"threadId": "t-1", "turn": {"id": "foreign", "status": "inProgress"}}
            )
            await server.settle(lambda: client._turns.current("t-1") == "foreign")
            await handle.steer("from here")
            await handle.interrupt()

    run(main())
    assert server.sent("turn/steer")[0]["expectedTurnId"] == "foreign"
    assert server.sent("turn/interrupt") == [{"threadId": "t-1", "turnId": "foreign"}]


def test_leaving_a_handle_stream_early_interrupts_its_turn(
    server: FakeAppServer, make_client: MakeClient, run: Any
) -> None:
    server.turn_script = FakeAppServer.hanging_turn

    async def main() -> list[str]:
        async with make_client() as client:
            handle = client.thread()
            seen: list[str] = []
            async for event in handle.events("stream me"):
                seen.append(event.type)
                if event.type == "turn/started":
                    break
            await server.settle(lambda: bool(server.sent("turn/interrupt")))
            return seen

    assert run(main()) == ["thread/ready", "turn/started"]


def test_thread_methods_call_the_flat_methods_with_the_handle_id(
    server: FakeAppServer, make_client: MakeClient, run: Any
) -> None:
    def read(s: FakeAppServer, msg: dict[str, Any]) -> None:
        thread_id = msg["params"]["threadId"]
        s.reply(msg["id"], {"thread": {"id": thread_id, "turns": [{"id": "turn-a"}, {"id": "turn-b"}]}})

    server.handlers["thread/read"] = read

    async def main() -> tuple[AsyncThreadHandle, AsyncThreadHandle]:
        async with make_client() as client:
            handle = client.thread()
            fork = await handle.fork(ephemeral=True, params={"model": "m"})
            thread = await handle.read(include_turns=True)
            assert thread.id == handle.id and [t.id for t in thread.turns] == ["turn-a", "turn-b"]
            await handle.revert("turn-b")
            await handle.revert(turns=2)
            await handle.compact()
            await handle.archive()
            await handle.unarchive()
            with pytest.raises(TypeError, match="one of them"):
                await handle.revert()
            return handle, fork

    handle, fork = run(main())

    tid = handle.id
    assert fork.id is not None and fork.id != tid
    assert server.sent("thread/fork") == [{"model": "m", "ephemeral": True, "threadId": tid}]
    assert server.sent("thread/revert") == [
        {"threadId": tid, "beforeTurnId": "turn-b"},
        {"threadId": tid, "beforeTurnId": "turn-a"},
    ]
    for method in ("thread/compact/start", "thread/archive", "thread/unarchive"):
        assert server.sent(method) == [{"threadId": tid}], method


def test_the_sync_handle_runs_the_async_handle_on_the_clients_loop(server: FakeAppServer) -> None:
    steerable(server)
    server.transport = MemoryTransport(server._on_message)
    with CodexAgenticClient(transport=server.transport) as client:
        handle = client.thread(model="gpt-5.5")
        assert isinstance(handle, ThreadHandle) and handle.client is client and handle.id is None
        events = handle.events("hang")
        for event in events:
            if event.type == "turn/started":
                assert handle.steer("more")["turnId"] == event.turn_id
                assert handle.interrupt() == {}
        assert event.type == "turn/completed"
        forked = handle.fork()
        assert isinstance(forked, ThreadHandle) and forked.id not in (None, handle.id)
    assert server.sent("thread/start")[0]["model"] == "gpt-5.5"


def test_the_sync_handle_has_every_method_of_the_async_one_with_the_same_parameters() -> None:
    public = [n for n in vars(AsyncThreadHandle) if not n.startswith("_")]
    assert sorted(public) == sorted(
        n for n in vars(ThreadHandle) if not n.startswith("_") and n != "async_handle"
    )
    for name in public:
        a, s = getattr(AsyncThreadHandle, name), getattr(ThreadHandle, name)
        if isinstance(a, property):
            continue
        assert inspect.signature(a).parameters.keys() == inspect.signature(s).parameters.keys(), name
        assert inspect.getdoc(s), name


# -- budgets and timeouts are the flat methods' ----------------------------------------------------------
@pytest.mark.parametrize("method", ["run", "stream", "events"])
@pytest.mark.parametrize("bound", ["budget", "turn_timeout"])
def test_a_handles_budget_and_turn_timeout_stop_its_turn(
    server: FakeAppServer, make_client: MakeClient, run: Any, method: str, bound: str
) -> None:
    server.turn_script = FakeAppServer.hanging_turn
    limit: dict[str, Any] = (
        {"budget": Budget(max_seconds_per_turn=0.2)} if bound == "budget" else {"turn_timeout": 0.2}
    )

    expected = BudgetExceededError if bound == "budget" else TurnTimeoutError

    async def main() -> None:
        async with make_client() as client:
            handle = client.thread()
            with pytest.raises(expected):
                if method == "run":
                    await handle.run("runaway", **limit)
                else:
                    async for _ in getattr(handle, method)("runaway", **limit):
                        pass
            await server.settle(lambda: server.sent("turn/interrupt"))

    run(main())
    (turn,) = server.sent("turn/start")
    (interrupt,) = server.sent("turn/interrupt")  # the flat method's stop: the turn is interrupted
    assert interrupt["threadId"] == turn["threadId"]
