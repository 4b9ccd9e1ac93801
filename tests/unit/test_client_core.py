"""The async client over an in-memory app-server: turns, routing, errors, lifecycle."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from codex_python_sdk import (
    AppServerConnectionError,
    ClientClosedError,
    ImageInput,
    LocalImageInput,
    ResponseEvent,
    StreamIdleTimeoutError,
    TurnAuthError,
    TurnFailedError,
)


def test_responses_create_returns_final_message_usage_items_and_ids(
    server: Any, make_client: Any, run: Any
) -> None:
    def script(s: Any, tid: str, turn: str) -> None:
        base = {"threadId": tid, "turnId": turn}
        s.notify("turn/started", {"threadId": tid, "turn": {"id": turn}})
        s.agent_message(tid, turn, "Let me check.", item_id="m1", phase="commentary")
        s.notify("item/started", {**base, "item": {"type": "commandExecution", "id": "c1"}})
        s.notify("item/commandExecution/outputDelta", {**base, "itemId": "c1", "delta": "secret output"})
        s.notify(
            "item/completed",
            {**base, "item": {"type": "commandExecution", "id": "c1", "aggregatedOutput": "secret output"}},
        )
        s.agent_message(tid, turn, "All done.", item_id="m2", deltas=3)
        s.notify("turn/diff/updated", {**base, "diff": "+a\n"})
        s.notify(
            "thread/tokenUsage/updated",
            {**base, "tokenUsage": {"total": {"totalTokens": 15}, "last": {"totalTokens": 15}}},
        )
        s.complete(tid, turn)

    server.turn_script = script

    async def main() -> Any:
        async with make_client() as client:
            return await client.responses_create(prompt="hi", include_events=True)

    result = run(main())
    assert result.text == "All done."  # never the commentary or the command output
    assert result.status == "completed"
    assert result.thread_id == result.session_id == "thread-1"
    assert result.turn_id == "turn-2"
    assert result.usage == {"total": {"totalTokens": 15}, "last": {"totalTokens": 15}}
    assert [i["id"] for i in result.items] == ["m1", "c1", "m2"]
    assert result.diff == "+a\n"
    assert result.events[0].type == "thread/ready"
    assert result.events[-1].type == "turn/completed"
    assert result.final_message is not None and result.final_message["id"] == "m2"


def test_thread_start_sends_baseline_and_defaults_but_resume_sends_only_what_was_asked(
    server: Any, make_client: Any, run: Any
) -> None:
    async def main() -> None:
        async with make_client(default_thread_params={"model": "gpt-5.5"}) as client:
            first = await client.responses_create(prompt="one", thread_params={"sandbox": "read-only"})
            # Same connection: the thread is loaded, so no resume at all.
            await client.responses_create(prompt="two", thread_id=first.thread_id)
        async with make_client(default_thread_params={"model": "gpt-5.5"}) as other:
            await other.responses_create(prompt="three", thread_id=first.thread_id)

    run(main())
    start = server.sent("thread/start")
    assert start == [{"approvalPolicy": "on-request", "sandbox": "read-only", "model": "gpt-5.5"}]
    # The resume from a new connection must not re-send sandbox/approval settings.
    assert server.sent("thread/resume") == [{"threadId": "thread-1"}]


def test_turn_params_merge_and_input_forms(server: Any, make_client: Any, run: Any, tmp_path: Any) -> None:
    async def main() -> None:
        async with make_client(default_turn_params={"effort": "low", "model": "a"}) as client:
            await client.responses_create(
                prompt=["look", ImageInput("https://x/y.png"), LocalImageInput(tmp_path / "i.png")],
                turn_params={"model": "b"},
            )

    run(main())
    params = server.sent("turn/start")[0]
    assert params["effort"] == "low" and params["model"] == "b"
    assert params["input"] == [
        {"type": "text", "text": "look", "text_elements": []},
        {"type": "image", "url": "https://x/y.png"},
        {"type": "localImage", "path": str(tmp_path / "i.png")},
    ]


def test_bad_prompt_fails_before_anything_is_started(server: Any, make_client: Any, run: Any) -> None:
    async def main() -> None:
        async with make_client() as client:
            with pytest.raises(TypeError):
                await client.responses_create(prompt=12345)

    run(main())
    assert server.sent("thread/start") == []


def test_failed_turn_raises_typed_error_with_response(server: Any, make_client: Any, run: Any) -> None:
    error = {
        "message": "unexpected status 401",
        "codexErrorInfo": {"httpConnectionFailed": {"httpStatusCode": 401}},
    }

    def script(s: Any, tid: str, turn: str) -> None:
        s.notify("error", {"threadId": tid, "turnId": turn, "error": error, "willRetry": False})
        s.complete(tid, turn, "failed", error)

    server.turn_script = script

    async def main() -> None:
        async with make_client() as client:
            with pytest.raises(TurnFailedError) as info:
                await client.responses_create(prompt="x")
            assert isinstance(info.value, TurnAuthError)
            assert info.value.turn_error == error
            assert info.value.response.status == "failed"
            assert info.value.codex_error_info == error["codexErrorInfo"]
            # The stream form yields turn/completed first, then raises.
            seen: list[str] = []
            with pytest.raises(TurnFailedError):
                async for event in client.responses_events(prompt="y"):
                    seen.append(event.type)
            assert seen[-1] == "turn/completed" and "error" in seen

    run(main())


def test_leaving_a_stream_early_interrupts_the_turn(server: Any, make_client: Any, run: Any) -> None:
    def script(s: Any, tid: str, turn: str) -> None:
        s.notify("turn/started", {"threadId": tid, "turn": {"id": turn}})
        s.notify("item/agentMessage/delta", {"threadId": tid, "turnId": turn, "itemId": "m", "delta": "par"})

    server.turn_script = script

    async def main() -> None:
        async with make_client() as client:
            async for event in client.responses_events(prompt="x"):
                if event.type == "item/agentMessage/delta":
                    break
            await server.settle(lambda: server.sent("turn/interrupt"))

    run(main())
    assert server.sent("turn/interrupt") == [{"threadId": "thread-1", "turnId": "turn-2"}]


def test_cancelling_responses_create_interrupts_the_turn(server: Any, make_client: Any, run: Any) -> None:
    server.turn_script = server.hanging_turn

    async def main() -> None:
        async with make_client() as client:
            task = asyncio.ensure_future(client.responses_create(prompt="x"))
            await asyncio.sleep(0.05)
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            await server.settle(lambda: server.sent("turn/interrupt"))

    run(main())
    assert len(server.sent("turn/interrupt")) == 1


def test_interrupted_turn_returns_status_interrupted_with_partial_text(
    server: Any, make_client: Any, run: Any
) -> None:
    def script(s: Any, tid: str, turn: str) -> None:
        s.notify("item/agentMessage/delta", {"threadId": tid, "turnId": turn, "itemId": "m", "delta": "half"})

    server.turn_script = script

    async def main() -> Any:
        async with make_client() as client:
            task = asyncio.ensure_future(client.responses_create(prompt="x"))
            await asyncio.sleep(0.05)
            await client.request("turn/interrupt", {"threadId": "thread-1", "turnId": "turn-2"})
            return await task

    result = run(main())
    assert result.status == "interrupted"
    assert result.text == "half"


def test_idle_timeout_raises_and_interrupts(server: Any, make_client: Any, run: Any) -> None:
    server.turn_script = server.hanging_turn

    async def main() -> None:
        async with make_client(stream_idle_timeout_seconds=0.2) as client:
            with pytest.raises(StreamIdleTimeoutError):
                await client.responses_create(prompt="x")
            await server.settle(lambda: server.sent("turn/interrupt"))
            assert not client.closed  # an idle timeout is not a dead connection

    run(main())
    assert len(server.sent("turn/interrupt")) == 1


def test_time_in_an_approval_hook_is_not_idleness(server: Any, make_client: Any, run: Any) -> None:
    def script(s: Any, tid: str, turn: str) -> None:
        s.server_request(
            0, "item/commandExecution/requestApproval", {"threadId": tid, "turnId": turn, "itemId": "c"}
        )

    server.turn_script = script

    async def slow_hook(params: dict[str, Any]) -> dict[str, Any]:
        await asyncio.sleep(0.5)  # far longer than the idle timeout
        return {"decision": "accept"}

    async def main() -> Any:
        async with make_client(stream_idle_timeout_seconds=0.15, on_command_approval=slow_hook) as client:
            task = asyncio.ensure_future(client.responses_create(prompt="x"))
            await server.settle(lambda: server.responses())
            server.agent_message("thread-1", "turn-2", "approved and done")
            server.complete("thread-1", "turn-2")
            return await task

    result = run(main())
    assert result.text == "approved and done"
    assert server.responses() == [{"id": 0, "result": {"decision": "accept"}}]


def test_events_of_an_older_turn_never_leak_into_a_new_stream(
    server: Any, make_client: Any, run: Any
) -> None:
    def script(s: Any, tid: str, turn: str) -> None:
        # A straggler from an abandoned earlier turn arrives first, then this turn's own events.
        s.notify(
            "item/agentMessage/delta",
            {"threadId": tid, "turnId": "old-turn", "itemId": "x", "delta": "STALE"},
        )
        s.agent_message(tid, turn, "fresh")
        s.complete(tid, turn)

    server.turn_script = script

    async def main() -> list[ResponseEvent]:
        async with make_client() as client:
            return [e async for e in client.responses_events(prompt="x")]

    events = run(main())
    assert "STALE" not in [e.text_delta for e in events]
    assert [e.text_delta for e in events if e.text_delta] == ["fresh"]


def test_concurrent_turns_on_different_threads_get_only_their_own_events(
    server: Any, make_client: Any, run: Any
) -> None:
    async def script(s: Any, tid: str, turn: str) -> None:
        await asyncio.sleep(0.01)
        s.agent_message(tid, turn, f"answer for {tid}")
        await asyncio.sleep(0.01)
        s.complete(tid, turn)

    server.turn_script = script

    async def main() -> list[Any]:
        async with make_client() as client:
            return await asyncio.gather(*(client.responses_create(prompt=str(i)) for i in range(12)))

    results = run(main())
    assert len({r.thread_id for r in results}) == 12
    for r in results:
        assert r.text == f"answer for {r.thread_id}"


def test_server_death_fails_pending_calls_and_streams_and_closes_the_client(
    server: Any, make_client: Any, run: Any
) -> None:
    server.turn_script = server.hanging_turn

    async def main() -> None:
        async with make_client() as client:
            task = asyncio.ensure_future(client.responses_create(prompt="x"))
            slow = asyncio.ensure_future(client.request("never/answered"))
            server.handlers["never/answered"] = lambda s, m: None
            await asyncio.sleep(0.05)
            server.transport.die(101, ["panic: something broke"])
            for pending in (task, slow):
                with pytest.raises(AppServerConnectionError) as info:
                    await asyncio.wait_for(pending, 1.0)
                assert "panic: something broke" in str(info.value)
                assert info.value.stderr_tail == ["panic: something broke"]
            assert client.closed
            with pytest.raises(ClientClosedError, match="create a new client"):
                await client.model_list()

    run(main())


def test_death_before_initialize_fails_every_caller_waiting_to_connect_and_closes_the_client(
    server: Any, make_client: Any, run: Any
) -> None:
    server.handlers["initialize"] = lambda s, m: s.transport.die(101, ["panic: bad config"])
    starts: list[object] = []
    start = server.transport.start

    async def counted_start(receiver: Any) -> None:
        starts.append(receiver)
        await asyncio.sleep(0.01)  # like connecting real pipes: the other callers queue up meanwhile
        await start(receiver)

    server.transport.start = counted_start

    async def main() -> None:
        client = make_client()
        results = await asyncio.gather(
            client.model_list(), client.thread_list(), client.request("model/list"), return_exceptions=True
        )
        assert all(isinstance(r, AppServerConnectionError) for r in results), results
        assert all("panic: bad config" in str(r) for r in results)
        assert len(starts) == 1  # no second start on the dead process's pipes
        assert client.closed
        with pytest.raises(ClientClosedError, match="create a new client"):
            await client.model_list()
        await client.close()

    run(main())


def test_close_is_idempotent_and_later_calls_say_closed(server: Any, make_client: Any, run: Any) -> None:
    async def main() -> None:
        client = make_client()
        await client.connect()
        await client.close()
        await client.close()
        with pytest.raises(ClientClosedError, match="closed"):
            await client.request("model/list", {})

    run(main())
    assert server.transport.closed_by_client


def test_initialize_carries_client_info_and_experimental_capability(
    server: Any, make_client: Any, run: Any
) -> None:
    async def main() -> Any:
        async with make_client(
            client_name="my-bot", opt_out_notification_methods=["thread/started"]
        ) as client:
            return client.user_agent

    assert run(main()) == "fake/0.163.0"
    init = server.sent("initialize")[0]
    assert init["clientInfo"]["name"] == "my-bot"
    assert init["capabilities"] == {"experimentalApi": True, "optOutNotificationMethods": ["thread/started"]}
    assert server.requests[1] == {"method": "initialized"}


def test_listeners_see_threadless_notifications_and_turn_streams_do_not(
    server: Any, make_client: Any, run: Any
) -> None:
    async def main() -> tuple[list[str], list[str]]:
        async with make_client() as client:
            got: list[str] = []

            async def listen() -> None:
                async for event in client.notifications(thread_id=None):
                    got.append(event.type)
                    if event.type == "account/updated":
                        return

            listener = asyncio.ensure_future(listen())
            await asyncio.sleep(0.01)
            server.notify("configWarning", {"summary": "bubblewrap"})
            events = [e.type async for e in client.responses_events(prompt="x")]
            server.notify("account/updated", {"authMode": None})
            await asyncio.wait_for(listener, 1)
            return got, events

    got, events = run(main())
    assert got == ["configWarning", "account/updated"]
    assert "configWarning" not in events


def test_request_timeout_raises_and_keeps_connection_usable(server: Any, make_client: Any, run: Any) -> None:
    from codex_python_sdk import RequestTimeoutError

    server.handlers["slow/method"] = lambda s, m: None

    async def main() -> None:
        async with make_client(request_timeout_seconds=0.1) as client:
            with pytest.raises(RequestTimeoutError, match="slow/method"):
                await client.request("slow/method", {})
            assert await client.request("other/method", {}) == {}

    run(main())


def test_using_a_client_from_a_second_event_loop_is_a_clear_error(server: Any, make_client: Any) -> None:
    from codex_python_sdk import CodexAgenticError

    client = make_client()
    asyncio.run(client.connect())

    async def elsewhere() -> None:
        with pytest.raises(CodexAgenticError, match="bound to the event loop"):
            await client.model_list()

    asyncio.run(asyncio.wait_for(elsewhere(), 5))


def test_turn_deadline_interrupts_a_turn_that_keeps_retrying(server: Any, make_client: Any, run: Any) -> None:
    from codex_python_sdk import TurnTimeoutError

    async def retrying(s: Any, tid: str, turn: str) -> None:
        for _ in range(100):  # codex without network: a retry notice every so often, never an end
            s.notify(
                "error",
                {"threadId": tid, "turnId": turn, "willRetry": True, "error": {"message": "Reconnecting..."}},
            )
            await asyncio.sleep(0.02)

    server.turn_script = retrying

    async def main() -> None:
        async with make_client(stream_idle_timeout_seconds=1, turn_timeout_seconds=0.3) as client:
            with pytest.raises(TurnTimeoutError):
                await client.responses_create(prompt="x")
            await server.settle(lambda: server.sent("turn/interrupt"))

    run(main())
    assert len(server.sent("turn/interrupt")) == 1


def test_native_reviewer_only_when_no_local_decider_and_hooks_swapped_at_runtime_count(
    server: Any, make_client: Any, run: Any
) -> None:
    async def main() -> None:
        async with make_client(automatic_approval_review=True) as client:
            await client.thread_start()
            client.on_command_approval = lambda params: {"decision": "accept"}
            await client.thread_start()  # a hook now decides: approvals must reach it
            client.on_command_approval = None
            await client.thread_start()

    run(main())
    reviewers = [p.get("approvalsReviewer") for p in server.sent("thread/start")]
    assert reviewers == ["auto_review", None, "auto_review"]


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"prompt": 42}, TypeError, "prompt must be text"),
        ({"prompt": []}, ValueError, "prompt is empty"),
        ({"prompt": "hi", "thread_id": 123}, TypeError, "thread_id must be a string"),
        ({"prompt": "hi", "thread_id": " "}, ValueError, "thread_id is empty"),
        ({"prompt": "hi", "thread_params": "x"}, TypeError, "thread_params must be a dict"),
        ({"prompt": "hi", "turn_params": [1]}, TypeError, "turn_params must be a dict, got list"),
    ],
    ids=[
        "prompt-int",
        "prompt-empty",
        "thread-id-int",
        "thread-id-blank",
        "thread-params-str",
        "turn-params-list",
    ],
)
def test_arguments_of_the_wrong_type_fail_clearly_before_anything_is_sent(
    server: Any, make_client: Any, run: Any, kwargs: dict[str, Any], error: type[Exception], match: str
) -> None:
    async def main() -> None:
        async with make_client() as client:
            with pytest.raises(error, match=match):
                await client.responses_create(**kwargs)
            assert server.sent("thread/start") == server.sent("turn/start") == []
            assert (await client.responses_create(prompt="fine")).text == "ok"

    run(main())
