"""A malformed line costs only itself: the reader, the line splitter and the router never raise.

The bad line and a good response come in the *same* read (``MemoryTransport.feed_read`` or one
``data_received`` chunk), because that is where a raise used to hurt: the rest of the read was lost and
the caller of the good response waited the whole request timeout.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import pytest

from codex_python_sdk._client._routing import Router
from codex_python_sdk._rpc._connection import RpcConnection
from codex_python_sdk._transport import MemoryTransport
from codex_python_sdk._transport._stdio import _LineReader
from codex_python_sdk.errors import RequestTimeoutError, RpcError

# Each of these once raised inside the reader (or the router it calls).
BAD_LINES: dict[str, bytes] = {
    "notification threadId is a list": (
        b'{"method":"item/agentMessage/delta","params":{"threadId":[1],"turnId":"u","delta":"x"}}'
    ),
    "notification threadId is an object": (
        b'{"method":"turn/started","params":{"threadId":{"a":1},"turn":{"id":"u"}}}'
    ),
    "notification thread.id is a list": b'{"method":"thread/started","params":{"thread":{"id":[]}}}',
    "notification method is a list": b'{"method":["x"],"params":{}}',
    "notification method is an object": b'{"method":{"a":1}}',
    "server request id is a list": b'{"id":[1],"method":"item/tool/call","params":{}}',
    "server request id is an object": b'{"id":{"n":1},"method":"item/tool/call","params":{}}',
    "server request threadId is a list": (
        b'{"id":7,"method":"item/commandExecution/requestApproval",'
        b'"params":{"threadId":[1],"turnId":"u","itemId":"c"}}'
    ),
    "serverRequest/resolved requestId is a list": (
        b'{"method":"serverRequest/resolved","params":{"threadId":"t","requestId":[1]}}'
    ),
    "item/started ids are lists": (
        b'{"method":"item/started","params":{"threadId":[1],"item":{"type":"commandExecution","id":[2]}}}'
    ),
    "command/exec processId is a list": b'{"method":"command/exec/outputDelta","params":{"processId":[1]}}',
    "nested 200,000 levels": b"[" * 200_000,
    "nested objects 200,000 levels": b'{"a":' * 200_000,
    "not JSON": b'{"this is not json',
    "invalid UTF-8": b'{"method":"x\xff\xfe","params":{}}',
    "lone surrogate": b'{"method":"configWarning","params":{"message":"\\ud800"}}',
    "huge integer": b'{"id":' + b"9" * 5000 + b',"result":{}}',
    "NaN id": b'{"id":NaN,"result":{}}',
    "Infinity id": b'{"id":1e400,"result":{}}',
    "params is a string": b'{"method":"turn/completed","params":"str"}',
    "a JSON array": b"[1,2,3]",
    "a JSON string": b'"hello"',
}


async def _connected() -> tuple[MemoryTransport, RpcConnection]:
    """A client-side connection whose peer answers nothing by itself."""
    transport = MemoryTransport()
    router = Router()
    conn = RpcConnection(
        transport,
        on_notification=router.dispatch,
        on_server_request=lambda msg: router.dispatch(msg["method"], msg),
        request_timeout=5,
    )
    await conn.start()
    return transport, conn


@pytest.mark.parametrize("line", list(BAD_LINES.values()), ids=list(BAD_LINES))
def test_a_bad_line_never_costs_the_good_response_read_with_it(
    line: bytes, server: Any, make_client: Any, run: Any
) -> None:
    async def main() -> Any:
        async with make_client() as client:
            server.handlers["model/list"] = lambda s, m: None  # answered below, together with the bad line
            pending = asyncio.ensure_future(client.request("model/list", {}, timeout=3))
            await server.settle(lambda: server.sent("model/list"))
            rid = server.requests[-1]["id"]
            server.transport.feed_read([line, {"id": rid, "result": {"data": ["ok"]}}])
            result = await asyncio.wait_for(pending, 2)
            # The client is still fine for the next request.
            del server.handlers["model/list"]
            assert await asyncio.wait_for(client.request("model/list", {}), 2) == {}
            return result

    assert run(main()) == {"data": ["ok"]}


@pytest.mark.parametrize("line", list(BAD_LINES.values()), ids=list(BAD_LINES))
def test_the_reader_itself_never_raises(line: bytes) -> None:
    async def main() -> None:
        _, conn = await _connected()
        conn.message_received(line)

    asyncio.run(main())


def test_the_stdio_line_splitter_contains_a_failing_line_to_that_line(
    caplog: pytest.LogCaptureFixture,
) -> None:
    seen: list[bytes] = []

    def on_line(line: bytes) -> None:
        if line.startswith(b"bad"):
            raise RuntimeError("boom")
        seen.append(line)

    reader = _LineReader(on_line, lambda exc: None)
    with caplog.at_level(logging.WARNING, logger="codex_python_sdk"):
        reader.data_received(b"bad one\ngood 1\nbad two\ngood 2\npartial")
        reader.data_received(b" end\nbad three")
        reader.data_received(b" continues\ngood 3\n")
    assert seen == [b"good 1", b"good 2", b"partial end", b"good 3"]
    assert len([r for r in caplog.records if r.levelno == logging.WARNING]) == 3


def test_one_read_with_a_bad_line_first_and_the_response_after_resolves_it() -> None:
    async def main() -> Any:
        _, conn = await _connected()
        future = conn.start_request("model/list", {})
        reader = _LineReader(conn.message_received, lambda exc: None)
        reader.data_received(
            b'{"id":[1],"method":"item/tool/call"}\n'
            + b"[" * 200_000
            + b'\n{"method":"x","params":{"threadId":{"a":1}}}\n{"id":1,"result":{"data":[]}}\n'
        )
        return await asyncio.wait_for(future, 1)

    assert asyncio.run(main()) == {"data": []}


def test_bad_lines_are_logged_at_warning_with_a_short_excerpt(caplog: pytest.LogCaptureFixture) -> None:
    huge_garbage = b"{not json " + b"x" * (8 * 1024 * 1024)
    huge_array = b"[" + b"1," * (4 * 1024 * 1024) + b"1]"

    async def main() -> None:
        _, conn = await _connected()
        for line in (huge_garbage, huge_array, b"[" * 200_000, b'{"id":[1],"method":"m"}'):
            conn.message_received(line)

    with caplog.at_level(logging.WARNING, logger="codex_python_sdk"):
        asyncio.run(main())
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 4
    for record in warnings:
        text = record.getMessage()
        assert len(text) < 600, text[:600]
    assert "{not json xxx" in warnings[0].getMessage()
    assert "8388618 bytes" in warnings[0].getMessage()


def test_stray_response_ids_are_dropped_and_never_resolve_another_request(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def main() -> Any:
        transport, conn = await _connected()
        future = conn.start_request("model/list", {})
        transport.feed_read(
            [
                {"id": True, "result": "bool id"},  # True == 1 in Python: must not answer request 1
                {"id": "1", "result": "string id"},
                {"id": 1.0, "result": "float id"},
                {"id": 424242, "result": "never issued"},
                {"id": None, "result": "null id"},
            ]
        )
        await asyncio.sleep(0.01)
        assert not future.done()
        transport.feed_read([{"id": 1, "result": "the answer"}, {"id": 1, "result": "duplicate"}])
        return await asyncio.wait_for(future, 1)

    with caplog.at_level(logging.WARNING, logger="codex_python_sdk"):
        assert asyncio.run(main()) == "the answer"
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 6  # five strays and the duplicate
    assert "second reply to request 1" in warnings[-1]


def test_a_late_reply_to_a_timed_out_request_is_dropped_quietly(caplog: pytest.LogCaptureFixture) -> None:
    # Expected after a timeout (or a cancelled caller), so not a warning; the next request is unaffected.
    async def main() -> Any:
        transport, conn = await _connected()
        with pytest.raises(RequestTimeoutError):
            await conn.request("model/list", {}, timeout=0.01)
        transport.feed_read([{"id": 1, "result": "late"}])
        future = conn.start_request("model/list", {})
        transport.feed_read([{"id": 2, "result": "on time"}])
        return await asyncio.wait_for(future, 1)

    with caplog.at_level(logging.DEBUG, logger="codex_python_sdk"):
        assert asyncio.run(main()) == "on time"
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert any("late reply to request 1" in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize(
    ("reply", "match"),
    [
        ({"error": "boom"}, "malformed error reply.*boom"),
        ({"error": ["a", 1]}, r'malformed error reply.*\["a",1\]'),
        ({"error": {"code": [1], "message": {"m": 1}, "data": 5}}, "m"),
        ({"error": 7, "result": {}}, "malformed error reply"),
        ({}, "neither result nor error"),
    ],
)
def test_a_malformed_reply_to_a_pending_request_is_a_clear_error_for_its_caller(
    reply: dict[str, Any], match: str
) -> None:
    async def main() -> None:
        transport, conn = await _connected()
        future = conn.start_request("model/list", {})
        transport.feed_read([{"id": 1, **reply}])
        with pytest.raises(RpcError, match=match) as info:
            await asyncio.wait_for(future, 1)
        assert info.value.method == "model/list"

    asyncio.run(main())


def test_an_error_reply_is_bounded_in_the_message() -> None:
    async def main() -> None:
        transport, conn = await _connected()
        future = conn.start_request("model/list", {})
        transport.feed_read([{"id": 1, "error": "x" * 1_000_000}])
        with pytest.raises(RpcError) as info:
            await asyncio.wait_for(future, 1)
        assert len(str(info.value)) < 1000

    asyncio.run(main())


@pytest.mark.parametrize("result", [[1, 2], "text", 3, None, {"unexpected": True}])
def test_a_result_of_the_wrong_shape_is_delivered_to_its_caller(result: Any) -> None:
    async def main() -> Any:
        transport, conn = await _connected()
        future = conn.start_request("model/list", {})
        transport.feed_read([{"id": 1, "result": result}])
        return await asyncio.wait_for(future, 1)

    assert asyncio.run(main()) == result


def test_a_server_request_with_a_bad_method_is_answered_invalid_request_not_left_hanging() -> None:
    # The server waits for an answer to every request it sends; one we cannot read gets an error.
    async def main() -> list[dict[str, Any]]:
        transport, conn = await _connected()
        conn.message_received(b'{"id":5,"method":["x"],"params":{}}')
        conn.message_received(b'{"id":[1],"method":"x"}')  # no usable id: nothing can be answered
        return transport.sent

    sent = asyncio.run(main())
    assert [(m["id"], m["error"]["code"]) for m in sent] == [(5, -32600)]


# -- the router --------------------------------------------------------------------------------------------
def _bound_router() -> tuple[Router, Any]:
    router = Router()
    sub = router.subscribe_turn("t")
    sub.bind("T")
    return router, sub


@pytest.mark.parametrize(
    "params",
    [
        {"threadId": "t", "turnId": ["T"]},
        {"threadId": "t", "turnId": {"id": "T"}},
        {"threadId": "t", "turn": {"id": ["T"]}},
        {"threadId": "t", "turnId": 5},
        {"threadId": ["t"], "turnId": "T"},
        {"thread": {"id": {"x": 1}}, "turnId": "T"},
    ],
)
def test_router_skips_a_notification_with_unusable_ids_and_keeps_routing(params: dict[str, Any]) -> None:
    router, sub = _bound_router()
    router.dispatch("item/agentMessage/delta", {"method": "item/agentMessage/delta", "params": params})
    good = {"method": "item/agentMessage/delta", "params": {"threadId": "t", "turnId": "T", "delta": "x"}}
    router.dispatch("item/agentMessage/delta", good)
    assert [sub.queue.get_nowait() for _ in range(len(sub.queue))] == [good]


def test_router_review_turn_with_an_unhashable_root_turn_id_is_not_adopted() -> None:
    router, sub = _bound_router()
    bad = {"threadId": "t", "turn": {"id": "R", "rootTurnId": ["T"]}}
    router.dispatch("turn/started", {"method": "turn/started", "params": bad})
    ok = {"threadId": "t", "turn": {"id": "R2", "rootTurnId": "T"}}
    router.dispatch("turn/started", {"method": "turn/started", "params": ok})
    assert [m["params"]["turn"]["id"] for m in (sub.queue.get_nowait() for _ in range(len(sub.queue)))] == [
        "R2"
    ]


def test_router_command_exec_output_with_an_unhashable_process_id_is_skipped() -> None:
    router = Router()
    proc = router.subscribe_process("p1")
    for pid in ([1], {"p": 1}, "p1"):
        msg = {"method": "command/exec/outputDelta", "params": {"processId": pid, "deltaBase64": "aGk="}}
        router.dispatch("command/exec/outputDelta", msg)
    assert len(proc) == 1


def test_router_hook_bookkeeping_ignores_thread_ids_that_are_not_strings() -> None:
    router = Router()
    for bad in ([1], {"a": 1}, 5):
        router.hook_started(bad)  # type: ignore[arg-type]
        router.hook_finished(bad)  # type: ignore[arg-type]
    router.hook_started("t")
    assert router.hooks_in_flight("t") == 1


# -- the event mapping -------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("method", "params"),
    [
        ("thread/tokenUsage/updated", {"tokenUsage": ["not", "a", "dict"]}),
        ("thread/tokenUsage/updated", {"tokenUsage": {"last": "x", "total": [1]}}),
        ("turn/diff/updated", {"diff": 5}),
        ("turn/plan/updated", {"plan": 7, "explanation": [[[]]]}),
        ("item/started", {"item": {"type": ["agentMessage"], "id": {"x": 1}}}),
        ("item/completed", {"item": {"type": "agentMessage", "text": ["not text"]}}),
        ("turn/completed", {"turn": {"id": 1, "error": {"message": {"m": 1}}}}),
        ("item/agentMessage/delta", {"threadId": 1, "turnId": ["u"], "itemId": {}, "delta": 5}),
        ("item/reasoning/summaryPartAdded", {"summaryIndex": "0"}),
        ("serverRequest/resolved", {"requestId": [1], "threadName": 3}),
        ("thread/name/updated", {"threadName": [[[[]]]]}),
    ],
)
def test_event_fields_keep_their_documented_types_whatever_the_wire_sends(
    method: str, params: dict[str, Any]
) -> None:
    from codex_python_sdk import ResponseEvent

    event = ResponseEvent.from_notification({"method": method, "params": params})
    for name in ("text_delta", "message_text", "thread_id", "turn_id", "item_id", "thread_name", "diff"):
        assert getattr(event, name) is None or type(getattr(event, name)) is str, name
    assert event.request_id is None or type(event.request_id) in (int, str)
    assert event.summary_index is None or type(event.summary_index) is int
    assert event.token_usage is None or type(event.token_usage) is dict
    assert event.plan is None or type(event.plan) is list
    assert event.phase in ("assistant", "planning", "tool", "system", "error", "completed")
    assert event.raw["params"] is params


@pytest.mark.parametrize("emitted", [1e300, -1e300, float("nan"), True, "soon"])
def test_an_unusable_emitted_at_falls_back_to_the_arrival_time(emitted: Any) -> None:
    from datetime import datetime

    from codex_python_sdk import ResponseEvent

    event = ResponseEvent.from_notification({"method": "x", "emittedAtMs": emitted})
    assert abs(datetime.fromisoformat(event.timestamp).timestamp() - event.received_at) < 1e-5
