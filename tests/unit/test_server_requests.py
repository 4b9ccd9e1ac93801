"""The server-request dispatcher over an in-memory app-server: decision path, validation, timeouts."""

from __future__ import annotations

import asyncio
import threading
import time
from typing import Any

import pytest

from codex_python_sdk import HookError, RequestContext
from codex_python_sdk._client._server_requests import DEFAULT_RESULTS, default_result
from codex_python_sdk.protocol._answers import validate_answer as validate_result

# ---------------------------------------------------------------------------------------------- tests

APPROVAL = "item/commandExecution/requestApproval"
BASE = {"threadId": "thread-1", "turnId": "turn-1"}
PARAMS: dict[str, dict[str, Any]] = {
    APPROVAL: {**BASE, "itemId": "c1", "command": "/bin/bash -lc 'ls'", "cwd": "/repo", "startedAtMs": 1},
    "item/fileChange/requestApproval": {**BASE, "itemId": "p1", "startedAtMs": 1, "reason": None},
    "item/permissions/requestApproval": {
        **BASE,
        "itemId": "r1",
        "cwd": "/repo",
        "startedAtMs": 1,
        "permissions": {"network": {"enabled": True}},
    },
    "item/tool/requestUserInput": {
        **BASE,
        "itemId": "u1",
        "isBlocking": True,
        "questions": [{"id": "color", "header": "C", "question": "Pick?", "options": [{"label": "Blue"}]}],
    },
    "mcpServer/elicitation/request": {
        **BASE,
        "serverName": "fake",
        "mode": "form",
        "message": "Allow?",
        "requestedSchema": {"type": "object", "properties": {}},
    },
    "item/tool/call": {**BASE, "callId": "t1", "tool": "get_weather", "arguments": {"city": "Paris"}},
}


async def _answer(server: Any, rid: Any, timeout: float = 5.0) -> dict[str, Any]:
    """The client's answer to server request ``rid`` (waits for it)."""
    for _ in range(int(timeout / 0.005)):
        for msg in server.responses():
            if msg.get("id") == rid:
                return dict(msg)
        await asyncio.sleep(0.005)
    raise AssertionError(f"no answer to server request {rid}")


def _ask(server: Any, rid: int, method: str, params: dict[str, Any] | None = None) -> None:
    server.server_request(rid, method, params if params is not None else PARAMS[method])


def test_every_request_kind_is_answered_fail_closed_without_hooks(
    server: Any, make_client: Any, run: Any
) -> None:
    async def main() -> list[dict[str, Any]]:
        async with make_client() as client:
            for rid, method in enumerate(PARAMS):
                _ask(server, rid, method)
            answers = [await _answer(server, rid) for rid in range(len(PARAMS))]
            assert client.hook_errors == []
            return answers

    answers = run(main())
    results = dict(zip(PARAMS, (a["result"] for a in answers), strict=True))
    assert results[APPROVAL] == {"decision": "decline"}
    assert results["item/fileChange/requestApproval"] == {"decision": "decline"}
    assert results["item/permissions/requestApproval"] == {"permissions": {}, "scope": "turn"}
    assert results["item/tool/requestUserInput"] == {"answers": {}}
    assert results["mcpServer/elicitation/request"] == {"action": "decline"}
    tool = results["item/tool/call"]
    assert tool["success"] is False and "get_weather" in tool["contentItems"][0]["text"]
    for method, result in results.items():
        assert validate_result(method, result) is None


def test_every_default_is_valid_by_the_protocol_schema() -> None:
    for method in [*DEFAULT_RESULTS, "execCommandApproval", "applyPatchApproval", "currentTime/read"]:
        assert validate_result(method, default_result(method, {})) is None, method


def test_hooks_get_typed_params_and_context_sync_or_async(server: Any, make_client: Any, run: Any) -> None:
    seen: dict[str, Any] = {}

    def seed_style(params: Any) -> dict[str, Any]:  # the seed's one-argument hook, run in a thread
        seen["seed"] = (type(params).__name__, params["command"], params.cwd, threading.current_thread().name)
        return {"decision": "accept"}

    async def with_context(params: Any, context: RequestContext) -> dict[str, Any]:
        seen["ctx"] = context
        return {"answers": {"color": {"answers": ["Blue"]}}}

    async def main() -> list[dict[str, Any]]:
        async with make_client(on_command_approval=seed_style, on_tool_request_user_input=with_context):
            _ask(server, 0, APPROVAL)
            _ask(server, 1, "item/tool/requestUserInput")
            return [await _answer(server, 0), await _answer(server, 1)]

    first, second = run(main())
    assert first["result"] == {"decision": "accept"}
    assert second["result"] == {"answers": {"color": {"answers": ["Blue"]}}}
    name, command, cwd, thread = seen["seed"]
    assert name == "CommandExecutionRequestApprovalParams" and command.endswith("'ls'") and cwd == "/repo"
    assert thread != threading.main_thread().name
    ctx = seen["ctx"]
    assert (ctx.kind, ctx.request_type, ctx.thread_id, ctx.turn_id, ctx.item_id, ctx.request_id) == (
        "tool_user_input",
        "tool_user_input",
        "thread-1",
        "turn-1",
        "u1",
        1,
    )
    assert ctx.params.questions[0].id == "color"


@pytest.mark.parametrize(
    ("hook", "why"),
    [
        (lambda p: {"decision": "yes-please"}, "'yes-please' is not one of 'accept'"),
        (lambda p: None, "expected a JSON object"),
        (
            lambda p: {"decision": {"acceptWithExecpolicyAmendment": {"execpolicy_amendment": "ls"}}},
            "expected array",
        ),
        (lambda p: 1 / 0, "division by zero"),
    ],
)
def test_invalid_result_or_exception_is_reported_and_answered_fail_closed(
    server: Any, make_client: Any, run: Any, hook: Any, why: str, caplog: Any
) -> None:
    reported: list[HookError] = []

    async def main() -> tuple[dict[str, Any], list[HookError]]:
        async with make_client(on_command_approval=hook, on_hook_error=reported.append) as client:
            _ask(server, 7, APPROVAL)
            answer = await _answer(server, 7)
            return answer, client.hook_errors

    answer, errors = run(main())
    assert answer["result"] == {"decision": "decline"}  # never passed through
    (record,) = errors
    assert reported == [record]
    assert why in str(record.error)
    assert record.context.request_id == 7 and record.answered_with == {"decision": "decline"}
    assert any(why in r.getMessage() for r in caplog.records)


def test_approval_timeout_answers_fail_closed(server: Any, make_client: Any, run: Any) -> None:
    cancelled = asyncio.Event()

    async def slow(params: Any) -> dict[str, Any]:
        try:
            await asyncio.sleep(10)
        except asyncio.CancelledError:
            cancelled.set()
            raise
        return {"decision": "accept"}

    async def main() -> tuple[dict[str, Any], list[HookError]]:
        async with make_client(on_command_approval=slow, approval_timeout_seconds=0.1) as client:
            _ask(server, 3, APPROVAL)
            answer = await _answer(server, 3)
            await asyncio.wait_for(cancelled.wait(), 1)
            return answer, client.hook_errors

    answer, errors = run(main())
    assert answer["result"] == {"decision": "decline"}
    assert isinstance(errors[0].error, TimeoutError) and "0.1 s" in str(errors[0].error)


def test_server_resolving_the_request_withdraws_the_hook(server: Any, make_client: Any, run: Any) -> None:
    started, cancelled = asyncio.Event(), asyncio.Event()

    async def human(params: Any) -> dict[str, Any]:
        started.set()
        try:
            await asyncio.sleep(10)
        except asyncio.CancelledError:
            cancelled.set()
            raise
        return {"decision": "accept"}

    async def main() -> list[dict[str, Any]]:
        async with make_client(on_command_approval=human) as client:
            _ask(server, 0, APPROVAL)
            await asyncio.wait_for(started.wait(), 2)
            server.notify("serverRequest/resolved", {"threadId": "thread-1", "requestId": 0})
            await asyncio.wait_for(cancelled.wait(), 2)
            await asyncio.sleep(0.05)
            assert client.hook_errors == []
            responses: list[dict[str, Any]] = server.responses()
            return responses

    assert run(main()) == []  # nothing is sent for a withdrawn request


def test_a_request_withdrawn_before_its_task_ran_leaves_no_paused_idle_timer(
    server: Any, make_client: Any, run: Any
) -> None:
    async def main() -> tuple[int, list[dict[str, Any]]]:
        async with make_client(on_command_approval=lambda p: {"decision": "accept"}) as client:
            _ask(server, 0, APPROVAL)  # request and resolution in the same read: the task never starts
            server.notify("serverRequest/resolved", {"threadId": "thread-1", "requestId": 0})
            await asyncio.sleep(0.05)
            return client._router.hooks_in_flight("thread-1"), server.responses()

    in_flight, responses = run(main())
    assert in_flight == 0 and responses == []


def test_legacy_approvals_go_through_the_v2_hooks(server: Any, make_client: Any, run: Any) -> None:
    seen: list[Any] = []

    def hook(params: Any, context: RequestContext) -> dict[str, Any]:
        seen.append((context.method, context.kind, params["command"], context.thread_id))
        return {"decision": "acceptForSession"}

    legacy = {
        "conversationId": "thread-9",
        "callId": "c",
        "command": ["git", "status"],
        "cwd": "/r",
        "parsedCmd": [],
    }
    patch = {"conversationId": "thread-9", "callId": "p", "fileChanges": {"/r/a.txt": {}}}

    async def main() -> list[dict[str, Any]]:
        async with make_client(on_command_approval=hook):
            _ask(server, 0, "execCommandApproval", legacy)
            _ask(server, 1, "applyPatchApproval", patch)
            return [await _answer(server, 0), await _answer(server, 1)]

    exec_answer, patch_answer = run(main())
    assert exec_answer["result"] == {"decision": "approved_for_session"}
    assert patch_answer["result"] == {"decision": {"denied": {"rejection": "declined by the client"}}}
    assert seen == [("execCommandApproval", "command", "git status", "thread-9")]
    assert validate_result("applyPatchApproval", patch_answer["result"]) is None


def test_unservable_requests_get_an_error_and_current_time_an_answer(
    server: Any, make_client: Any, run: Any
) -> None:
    async def main() -> list[dict[str, Any]]:
        async with make_client():
            _ask(server, 0, "account/chatgptAuthTokens/refresh", {"reason": "unauthorized"})
            _ask(server, 1, "attestation/generate", {})
            _ask(server, 2, "currentTime/read", {})
            _ask(server, 3, "some/futureRequest", {})
            return [await _answer(server, rid) for rid in range(4)]

    refresh, attest, now, unknown = run(main())
    assert refresh["error"]["code"] == -32601 and "external ChatGPT tokens" in refresh["error"]["message"]
    assert attest["error"]["code"] == -32601
    assert abs(now["result"]["currentTimeAt"] - time.time()) < 5
    assert unknown["error"]["code"] == -32601


def test_policy_engine_is_read_at_dispatch_time_and_hooks_win(
    server: Any, make_client: Any, run: Any
) -> None:
    class Accept:
        def on_command_approval(self, params: Any, context: Any) -> dict[str, Any]:
            return {"decision": "accept"}

    async def main() -> list[dict[str, Any]]:
        async with make_client() as client:
            _ask(server, 0, APPROVAL)
            first = await _answer(server, 0)
            client.policy_engine = Accept()
            _ask(server, 1, APPROVAL)
            second = await _answer(server, 1)
            client.on_command_approval = lambda p: {"decision": "cancel"}
            _ask(server, 2, APPROVAL)
            return [first, second, await _answer(server, 2)]

    answers = run(main())
    assert [a["result"]["decision"] for a in answers] == ["decline", "accept", "cancel"]


def test_an_optional_second_parameter_receives_the_context(server: Any, make_client: Any, run: Any) -> None:
    seen: list[Any] = []

    class Engine:
        def on_command_approval(self, params: Any, context: Any = None) -> dict[str, Any]:
            seen.append(context)
            return {"decision": "decline"}

    async def main() -> None:
        async with make_client(policy_engine=Engine()):
            _ask(server, 0, APPROVAL)
            await _answer(server, 0)

    run(main())
    assert isinstance(seen[0], RequestContext) and seen[0].item_id == "c1"


def test_approvals_see_the_item_announced_before_them(server: Any, make_client: Any, run: Any) -> None:
    seen: list[Any] = []

    def hook(params: Any, context: RequestContext) -> dict[str, Any]:
        seen.append(context.item)
        return {"decision": "accept"}

    change = {"type": "fileChange", "id": "p1", "changes": [{"path": "/repo/a.txt", "kind": {"type": "add"}}]}

    async def main() -> None:
        async with make_client(on_file_change_approval=hook):
            server.notify("item/started", {**BASE, "item": change})
            _ask(server, 0, "item/fileChange/requestApproval")
            await _answer(server, 0)

    run(main())
    assert seen == [change]
