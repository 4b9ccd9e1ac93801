"""A fake app-server process that sends garbage: nothing it sends is fatal to the client.

Each test has the fake (``fake_app_server.py``, over the real stdio transport) write some garbage, usually
in the same write as the answer to the request that asked for it, then checks the answer arrived and
a normal request still works on the same client, promptly: a lost line would instead cost the 120 s
request timeout, which ``asyncio.wait_for`` cuts to a few seconds here.
"""

from __future__ import annotations

import asyncio
import logging
import re
import sys
import time
from collections.abc import Awaitable
from pathlib import Path
from typing import Any, TypeVar

import pytest

from codex_python_sdk import AsyncCodexAgenticClient, create_client
from codex_python_sdk.errors import AppServerConnectionError, MethodNotFoundError, RpcError

FAKE = Path(__file__).with_name("fake_app_server.py")
PROMPT = 5.0  # seconds: generous for a loaded machine, far below the 120 s request timeout
T = TypeVar("T")


def _client() -> AsyncCodexAgenticClient:
    return AsyncCodexAgenticClient(codex_command=sys.executable, app_server_args=[str(FAKE)])


def _run(coro: Awaitable[T]) -> T:
    async def bounded() -> T:
        return await asyncio.wait_for(coro, 30)

    return asyncio.run(bounded())


async def _prompt(awaitable: Awaitable[T]) -> T:
    return await asyncio.wait_for(awaitable, PROMPT)


async def _emit_then_still_works(ops: list[dict[str, Any]]) -> Any:
    """Have the fake write ``ops`` and answer; return the answer (or the error it raised) after checking
    that the client still works."""
    async with _client() as client:
        started = time.monotonic()
        answer: Any
        try:
            answer = await _prompt(client.request("fake/emit", {"ops": ops}))
        except RpcError as exc:
            answer = exc
        assert await _prompt(client.request("model/list", {})) == {}
        assert time.monotonic() - started < PROMPT
        return answer


GOOD: dict[str, Any] = {"reply": {"result": {"ok": True}}}

GARBAGE: dict[str, list[dict[str, Any]]] = {
    "not JSON": [{"raw": '{"this is not json\n'}, {"raw": "\x00\xff\xfe binary\n"}, {"raw": "[1,2,3]\n"}],
    "half a line, then a newline": [
        {"raw": '{"method":"turn/started","params":{"threadId":"t'},
        {"raw": "\n"},
    ],
    # Deep enough for any parser's limit, short enough to share one pipe read (64 KiB) with the answer.
    "nested 20,000 levels": [{"raw": "[" * 20_000 + "\n"}, {"raw": '{"a":' * 5_000 + "\n"}],
    "invalid UTF-8 and lone surrogates": [
        {"raw": '{"method":"configWarning","params":{"message":"\xff\xfe"}}\n'},
        {"raw": '{"method":"configWarning","params":{"message":"\\ud800 alone"}}\n'},
    ],
    "huge numbers and NaN": [
        {"raw": '{"id":' + "9" * 5000 + ',"result":{}}\n'},
        {"raw": '{"id":NaN,"result":{}}\n'},
        {"raw": '{"method":"thread/tokenUsage/updated","params":{"threadId":"t","tokenUsage":1e999}}\n'},
    ],
    "unknown methods": [
        {"line": {"method": "no/such/notification", "params": {"threadId": "t"}}},
        {"line": {"method": "no/such/notification"}},
    ],
    "wrong param types": [
        {"line": {"method": "turn/completed", "params": "str"}},
        {"line": {"method": "item/agentMessage/delta", "params": {"threadId": [1], "turnId": "u"}}},
        {"line": {"method": "turn/started", "params": {"threadId": "t", "turn": {"id": {"x": 1}}}}},
        {"line": {"method": "command/exec/outputDelta", "params": {"processId": [1]}}},
        {"line": {"method": "serverRequest/resolved", "params": {"requestId": {"a": 1}}}},
        {"line": {"method": ["not", "a", "string"], "params": {}}},
        {"line": {"id": [1], "method": "item/tool/call", "params": {}}},
        {"line": {"id": {"x": 1}, "method": "item/commandExecution/requestApproval", "params": {}}},
        {
            "line": {
                "method": "item/started",
                "params": {"threadId": [1], "item": {"type": "commandExecution", "id": [2]}},
            }
        },
    ],
    "stray response ids": [
        {"line": {"id": 99999, "result": {"stray": 1}}},
        {"line": {"id": "$id_str", "result": {"wrong": "string id"}}},
        {"line": {"id": True, "result": {"wrong": "bool id"}}},
        {"line": {"id": None, "error": {"code": -32700, "message": "parse error"}}},
        {"line": {"id": [1], "result": {"wrong": "list id"}}},
    ],
}


@pytest.mark.parametrize("ops", list(GARBAGE.values()), ids=list(GARBAGE))
def test_garbage_before_an_answer_in_the_same_write_costs_nothing(ops: list[dict[str, Any]]) -> None:
    assert _run(_emit_then_still_works([*ops, GOOD])) == {"ok": True}


def test_a_duplicate_answer_is_dropped_and_the_next_request_gets_its_own() -> None:
    ops = [GOOD, {"line": {"id": "$id", "result": {"duplicate": True}}}]
    assert _run(_emit_then_still_works(ops)) == {"ok": True}


def test_an_answer_split_across_writes_arrives_whole() -> None:
    ops: list[dict[str, Any]] = [
        {"raw": "half a line of garbage"},
        {"sleep": 0.05},
        {"raw": "\n"},
        {"reply_split": {"result": {"ok": True}}, "at": 7},
    ]
    assert _run(_emit_then_still_works(ops)) == {"ok": True}


@pytest.mark.parametrize("valid", [False, True], ids=["garbage", "unknown notification"])
def test_an_8_mb_line_is_skipped_and_logged_briefly(valid: bool, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="codex_python_sdk"):
        assert _run(_emit_then_still_works([{"big": 8 * 1024 * 1024, "valid": valid}, GOOD])) == {"ok": True}
    warnings = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert all(len(text) < 1000 for text in warnings)
    if not valid:
        assert any("not JSON" in text and "(8388608 bytes)" in text for text in warnings)


@pytest.mark.parametrize("result", [[1, 2], "text", None, {"unexpected": True}])
def test_a_result_of_the_wrong_shape_is_the_callers_to_judge(result: Any) -> None:
    assert _run(_emit_then_still_works([{"reply": {"result": result}}])) == result


@pytest.mark.parametrize(
    ("reply", "match"),
    [
        ({"error": "boom"}, "malformed error reply.*boom"),
        ({"error": [1, 2]}, "malformed error reply"),
        ({}, "neither result nor error"),
        ({"error": {"code": "x", "message": {"nested": 1}}}, "nested"),
    ],
)
def test_a_malformed_answer_to_a_pending_request_is_a_clear_error(reply: dict[str, Any], match: str) -> None:
    error = _run(_emit_then_still_works([{"reply": reply}]))
    assert isinstance(error, RpcError) and error.method == "fake/emit"
    assert re.search(match, str(error)), str(error)


def test_unknown_server_requests_are_answered_and_unanswerable_ones_do_not_hang() -> None:
    async def main() -> list[Any]:
        async with _client() as client:
            ops = [
                {"line": {"id": 0, "method": "no/such/request", "params": {}}},
                {"line": {"id": 1, "method": {"not": "a string"}, "params": {}}},
                {"line": {"id": [2], "method": "item/tool/call", "params": {}}},
                GOOD,
            ]
            assert await _prompt(client.request("fake/emit", {"ops": ops})) == {"ok": True}
            deadline = time.monotonic() + PROMPT
            while True:
                received: Any = await _prompt(client.request("fake/received", {}))
                answers = [m for m in received if "method" not in m]
                if len(answers) >= 2 or time.monotonic() > deadline:
                    return answers
                await asyncio.sleep(0.02)

    answers = _run(main())
    assert sorted((a["id"], a["error"]["code"]) for a in answers) == [(0, -32601), (1, -32600)]


def test_a_half_line_then_exit_fails_promptly_with_the_stderr_tail() -> None:
    async def main() -> None:
        async with _client() as client:
            ops = [
                {"raw": '{"id": 2, "result": {"cut": '},
                {"stderr": "panicked at 'fake crash'\n"},
                {"exit": 3},
            ]
            started = time.monotonic()
            with pytest.raises(AppServerConnectionError) as info:
                await _prompt(client.request("fake/emit", {"ops": ops, "noreply": True}))
            assert time.monotonic() - started < PROMPT
            assert info.value.returncode == 3
            assert "panicked at 'fake crash'" in info.value.stderr_tail
            assert client.closed

    _run(main())


def test_the_sync_client_survives_garbage_too() -> None:
    with create_client(codex_command=sys.executable, app_server_args=[str(FAKE)]) as client:
        started = time.monotonic()
        ops = [{"raw": "[" * 20_000 + "\n"}, {"line": {"id": [1], "method": "x"}}, GOOD]
        assert client.request("fake/emit", {"ops": ops}, timeout=PROMPT) == {"ok": True}
        assert client.request("model/list", {}, timeout=PROMPT) == {}
        assert time.monotonic() - started < PROMPT


def test_method_not_found_from_the_server_is_still_classified() -> None:
    # The garbage handling must not swallow a well-formed error reply.
    ops: list[dict[str, Any]] = [
        {"raw": "garbage\n"},
        {"reply": {"error": {"code": -32601, "message": "no such method"}}},
    ]
    assert isinstance(_run(_emit_then_still_works(ops)), MethodNotFoundError)
