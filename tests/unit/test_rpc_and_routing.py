"""The reader, request bookkeeping and routing, on the in-memory transport."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from codex_python_sdk._client._routing import EventQueue, Router
from codex_python_sdk.errors import NotificationOverflowError


def test_malformed_lines_and_non_objects_are_ignored_not_fatal(
    server: Any, make_client: Any, run: Any
) -> None:
    async def main() -> Any:
        async with make_client() as client:
            server.transport.feed(b'{"this is not json')
            server.transport.feed(b"[1,2,3]")
            server.transport.feed({"id": 999, "result": {}})  # unknown id
            return await client.request("model/list", {})

    assert run(main()) == {}


def test_server_request_ids_are_kept_apart_from_ours_and_answered_once(
    server: Any, make_client: Any, run: Any
) -> None:
    # The server numbers its requests from 0: id 1 can be in flight in both directions at once.

    async def main() -> None:
        hook_calls: list[Any] = []

        def hook(params: dict[str, Any]) -> dict[str, Any]:
            hook_calls.append(params)
            return {"decision": "accept"}

        async with make_client(on_command_approval=hook) as client:
            server.handlers["slow"] = lambda s, m: None
            pending = asyncio.ensure_future(client.request("slow", {}, timeout=1))
            await asyncio.sleep(0.01)
            ours = next(m["id"] for m in server.requests if m.get("method") == "slow")
            server.server_request(
                ours, "item/commandExecution/requestApproval", {"threadId": "t", "turnId": "u", "itemId": "c"}
            )
            await server.settle(lambda: server.responses())
            server.reply(ours, {"late": True})
            assert await pending == {"late": True}
            # serverRequest/resolved after our answer must not trigger a second answer.
            server.notify("serverRequest/resolved", {"threadId": "t", "requestId": ours})
            await asyncio.sleep(0.05)
            assert len(hook_calls) == 1

    run(main())
    assert [r["result"] for r in server.responses()] == [{"decision": "accept"}]


def test_default_answers_are_fail_closed(server: Any, make_client: Any, run: Any) -> None:
    requests = {
        0: ("item/commandExecution/requestApproval", {"decision": "decline"}),
        1: ("item/fileChange/requestApproval", {"decision": "decline"}),
        2: ("item/permissions/requestApproval", {"permissions": {}, "scope": "turn"}),
        3: ("item/tool/requestUserInput", {"answers": {}}),
        4: ("mcpServer/elicitation/request", {"action": "decline"}),
    }

    async def main() -> None:
        async with make_client():
            for rid, (method, _) in requests.items():
                server.server_request(rid, method, {"threadId": "t", "turnId": "u"})
            await server.settle(lambda: len(server.responses()) == len(requests))

    run(main())
    got = {r["id"]: r["result"] for r in server.responses()}
    assert got == {rid: expected for rid, (_, expected) in requests.items()}


def test_invalid_hook_result_and_raising_hook_are_answered_fail_closed_and_reported(
    server: Any, make_client: Any, run: Any
) -> None:
    seen: list[Any] = []

    async def main() -> list[Any]:
        async with make_client(
            on_command_approval=lambda p: {"decision": "yes-please"},
            on_file_change_approval=lambda p: 1 / 0,
            on_hook_error=seen.append,
        ) as client:
            server.server_request(
                0, "item/commandExecution/requestApproval", {"threadId": "t", "turnId": "u"}
            )
            server.server_request(1, "item/fileChange/requestApproval", {"threadId": "t", "turnId": "u"})
            await server.settle(lambda: len(server.responses()) == 2)
            return list(client.hook_errors)

    errors = run(main())
    assert {r["id"]: r["result"] for r in server.responses()} == {
        0: {"decision": "decline"},
        1: {"decision": "decline"},
    }
    assert len(errors) == 2 and len(seen) == 2
    assert any(isinstance(e.error, ZeroDivisionError) for e in errors)


def test_event_queue_wakes_once_per_burst_and_fails_after_draining() -> None:
    async def main() -> list[Any]:
        queue: EventQueue[int] = EventQueue()
        for i in range(3):
            queue.put(i)
        queue.fail(RuntimeError("gone"))
        out = [await queue.get() for _ in range(3)]
        with pytest.raises(RuntimeError, match="gone"):
            await queue.get()
        return out

    assert asyncio.run(main()) == [0, 1, 2]


def test_bounded_listener_overflow_is_reported_not_silent() -> None:
    router = Router()
    listener = router.add_listener(maxsize=2)
    for i in range(3):
        router.dispatch("configWarning", {"method": "configWarning", "params": {"n": i}})
    assert listener.queue.get_nowait()["params"]["n"] == 0
    assert listener.queue.get_nowait()["params"]["n"] == 1
    with pytest.raises(NotificationOverflowError):
        listener.queue.get_nowait()


def test_turn_subscription_replays_early_events_of_its_turn_in_order() -> None:
    router = Router()
    sub = router.subscribe_turn("t")
    for method, turn in (("a", "T"), ("thread/status/changed", None), ("b", "OTHER"), ("c", "T")):
        params: dict[str, Any] = {"threadId": "t"}
        if turn:
            params["turnId"] = turn
        router.dispatch(method, {"method": method, "params": params})
    sub.bind("T")
    router.dispatch("d", {"method": "d", "params": {"threadId": "t", "turnId": "T"}})
    got = [sub.queue.get_nowait()["method"] for _ in range(len(sub.queue))]
    assert got == ["a", "thread/status/changed", "c", "d"]
    sub.close()
    router.dispatch("e", {"method": "e", "params": {"threadId": "t", "turnId": "T"}})
    assert len(sub.queue) == 0


def test_command_exec_output_is_routed_by_process_id_not_to_turn_streams() -> None:
    router = Router()
    turn = router.subscribe_turn("t")
    turn.bind("T")
    proc = router.subscribe_process("p1")
    router.dispatch(
        "command/exec/outputDelta",
        {"method": "command/exec/outputDelta", "params": {"processId": "p1", "deltaBase64": "aGk="}},
    )
    router.dispatch(
        "command/exec/outputDelta",
        {"method": "command/exec/outputDelta", "params": {"processId": "p2", "deltaBase64": "aGk="}},
    )
    assert len(proc) == 1 and len(turn.queue) == 0


def test_huge_message_split_across_many_chunks_arrives_whole() -> None:
    from codex_python_sdk._transport._stdio import _LineReader

    lines: list[bytes] = []
    reader = _LineReader(lines.append, lambda exc: None)
    big = b"x" * (3 * 1024 * 1024)
    payload = b'{"a":"' + big + b'"}\n{"b":1}\n'
    for i in range(0, len(payload), 65536):
        reader.data_received(payload[i : i + 65536])
    assert lines == [b'{"a":"' + big + b'"}', b'{"b":1}']
