"""Every server request type, end to end: real app-server, FakeModel, answered by the client's hooks.

Command and file-change approvals (under ``on-request`` + ``read-only``), user input (Plan mode) and
dynamic tool calls share one app-server per module; permissions (feature ``request_permissions_tool``)
and MCP elicitation (a scripted stdio MCP server) get their own. Each test asserts what the hook saw,
what the turn reported, and what reached the model afterwards.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from codex_python_sdk import AgentResponse, RequestContext
from codex_python_sdk.protocol import ThreadItem
from codex_python_sdk.testing import FakeMcpServer, FakeModel, FakeModelClient, Reply

pytestmark = pytest.mark.e2e

ON_REQUEST_READ_ONLY = {"approvalPolicy": "on-request", "sandbox": "read-only"}
PLAN_MODE = {"collaborationMode": {"mode": "plan", "settings": {"model": "gpt-5.5"}}}
WEATHER_TOOL = {
    "type": "function",
    "name": "get_weather",
    "description": "Get the weather of a city",
    "inputSchema": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
}


def items(response: AgentResponse, item_type: str) -> list[ThreadItem]:
    return [item for item in response.items if item.get("type") == item_type]


def event_methods(response: AgentResponse) -> list[str]:
    return [event.type for event in response.events or []]


class Boom(RuntimeError):
    pass


def raising_hook(params: Any) -> Any:
    raise Boom("the hook fell over")


# ------------------------------------------------------------------------------ command approvals


@pytest.mark.parametrize("decision", ["accept", "acceptForSession"])
def test_command_approval_accepted_runs_the_command(
    shared_client: FakeModelClient, shared_model: FakeModel, decision: str
) -> None:
    target = shared_client.workspace / f"cmd-{decision}.txt"
    shell = Reply.shell(f"touch {target.name} && echo made", escalated=True, justification="need to write")
    shared_model.add(shell, Reply.text("created it"))
    seen: list[tuple[dict[str, Any], RequestContext]] = []

    def hook(params: Any, context: RequestContext) -> dict[str, Any]:
        seen.append((params, context))
        return {"decision": decision}

    shared_client.on_command_approval = hook
    result = shared_client.responses_create(
        prompt="make a file", thread_params=ON_REQUEST_READ_ONLY, include_events=True
    )

    assert result.status == "completed" and result.text == "created it"
    ((params, context),) = seen
    assert params["itemId"] == shell.call_id and params["reason"] == "need to write"
    assert context.kind == "command" and context.thread_id == result.thread_id
    (command,) = items(result, "commandExecution")
    assert command["status"] == "completed" and command["exitCode"] == 0
    assert target.exists()
    assert "item/commandExecution/requestApproval" in event_methods(result)
    assert "serverRequest/resolved" in event_methods(result)
    first, second = shared_model.requests
    assert first.prompts == ["make a file"]
    output = second.tool_output(shell.call_id)
    assert output is not None and "Process exited with code 0" in output and "made" in output
    shared_model.assert_all_consumed()


def test_accept_for_session_is_not_asked_again(
    shared_client: FakeModelClient, shared_model: FakeModel
) -> None:
    again = Reply.shell("touch cmd-session.txt", escalated=True)
    shared_model.add(
        Reply.shell("touch cmd-session.txt", escalated=True), Reply.text("first"), again, Reply.text("again")
    )
    asked: list[str] = []

    def hook(params: Any) -> dict[str, Any]:
        asked.append(params["command"])
        return {"decision": "acceptForSession"}

    shared_client.on_command_approval = hook
    first = shared_client.responses_create(prompt="once", thread_params=ON_REQUEST_READ_ONLY)
    second = shared_client.responses_create(prompt="twice", thread_id=first.thread_id)

    assert len(asked) == 1  # the session-wide approval covered the second run
    assert [item["status"] for item in items(second, "commandExecution")] == ["completed"]
    assert "Process exited with code 0" in (shared_model.requests[3].tool_output(again.call_id) or "")


def test_server_request_event_carries_its_request_id(
    shared_client: FakeModelClient, shared_model: FakeModel
) -> None:
    shared_model.add(Reply.shell("true", escalated=True), Reply.text("ok"))
    shared_client.on_command_approval = lambda params: {"decision": "accept"}

    events = list(shared_client.responses_events(prompt="go", thread_params=ON_REQUEST_READ_ONLY))

    (request,) = [e for e in events if e.type == "item/commandExecution/requestApproval"]
    (resolved,) = [e for e in events if e.type == "serverRequest/resolved"]
    assert resolved.request_id == request.raw["id"]
    assert request.request_id == request.raw["id"]


def test_command_approval_declined(shared_client: FakeModelClient, shared_model: FakeModel) -> None:
    shell = Reply.shell("touch cmd-declined.txt", escalated=True)
    shared_model.add(shell, Reply.text("fine, I won't"))
    shared_client.on_command_approval = lambda params: {"decision": "decline"}

    result = shared_client.responses_create(prompt="make a file", thread_params=ON_REQUEST_READ_ONLY)

    assert result.status == "completed" and result.text == "fine, I won't"
    (command,) = items(result, "commandExecution")
    assert command["status"] == "declined"
    assert not (shared_client.workspace / "cmd-declined.txt").exists()
    output = shared_model.requests[1].tool_output(shell.call_id)
    assert output is not None and "rejected by user" in output


def test_command_approval_cancel_interrupts_the_turn(
    shared_client: FakeModelClient, shared_model: FakeModel
) -> None:
    shared_model.add(Reply.shell("touch cmd-cancelled.txt", escalated=True))

    async def hook(params: Any) -> dict[str, Any]:  # async hooks work the same
        return {"decision": "cancel"}

    shared_client.on_command_approval = hook
    result = shared_client.responses_create(prompt="make a file", thread_params=ON_REQUEST_READ_ONLY)

    assert result.status == "interrupted"
    assert not (shared_client.workspace / "cmd-cancelled.txt").exists()
    assert len(shared_model.requests) == 1  # the model is not asked again
    shared_model.assert_all_consumed()


@pytest.mark.parametrize(
    ("hook", "problem"),
    [(raising_hook, "the hook fell over"), (lambda params: {"decision": "maybe"}, "'maybe'")],
    ids=["hook-raises", "invalid-decision"],
)
def test_command_approval_fails_closed(
    shared_client: FakeModelClient, shared_model: FakeModel, hook: Any, problem: str
) -> None:
    shell = Reply.shell("touch cmd-failclosed.txt", escalated=True)
    shared_model.add(shell, Reply.text("declined then"))
    shared_client.on_command_approval = hook
    before = len(shared_client.hook_errors)

    result = shared_client.responses_create(prompt="make a file", thread_params=ON_REQUEST_READ_ONLY)

    assert result.status == "completed"
    (command,) = items(result, "commandExecution")
    assert command["status"] == "declined"
    assert not (shared_client.workspace / "cmd-failclosed.txt").exists()
    (record,) = shared_client.hook_errors[before:]
    assert problem in str(record.error)
    assert record.answered_with == {"decision": "decline"}
    assert record.context.method == "item/commandExecution/requestApproval"
    output = shared_model.requests[1].tool_output(shell.call_id)
    assert output is not None and "rejected by user" in output


# ------------------------------------------------------------------------------ file-change approvals


@pytest.mark.parametrize("decision", ["accept", "acceptForSession", "decline"])
def test_file_change_approval(shared_client: FakeModelClient, shared_model: FakeModel, decision: str) -> None:
    name = f"patch-{decision}.txt"
    patch = Reply.add_file(name, "hello from the patch")
    shared_model.add(patch, Reply.text("patch step done"))
    seen: list[dict[str, Any]] = []

    def hook(params: Any) -> dict[str, Any]:
        seen.append(params)
        return {"decision": decision}

    shared_client.on_file_change_approval = hook
    result = shared_client.responses_create(prompt="write a file", thread_params=ON_REQUEST_READ_ONLY)

    assert result.status == "completed" and result.text == "patch step done"
    (params,) = seen
    assert params["itemId"] == patch.call_id
    (change,) = items(result, "fileChange")
    assert change["changes"][0]["path"] == str(shared_client.workspace / name)
    output = shared_model.requests[1].tool_output(patch.call_id)
    assert output is not None
    if decision == "decline":
        assert change["status"] == "declined"
        assert not (shared_client.workspace / name).exists()
        assert "rejected" in output
    else:
        assert change["status"] == "completed"
        assert (shared_client.workspace / name).read_text() == "hello from the patch\n"
        assert "Success" in output


def test_file_change_approval_cancel_interrupts_the_turn(
    shared_client: FakeModelClient, shared_model: FakeModel
) -> None:
    shared_model.add(Reply.add_file("patch-cancelled.txt", "nope"))
    shared_client.on_file_change_approval = lambda params: {"decision": "cancel"}

    result = shared_client.responses_create(prompt="write a file", thread_params=ON_REQUEST_READ_ONLY)

    assert result.status == "interrupted"
    assert not (shared_client.workspace / "patch-cancelled.txt").exists()
    assert len(shared_model.requests) == 1


@pytest.mark.parametrize(
    "hook", [raising_hook, lambda params: {"decision": "yes please"}], ids=["hook-raises", "invalid-decision"]
)
def test_file_change_approval_fails_closed(
    shared_client: FakeModelClient, shared_model: FakeModel, hook: Any
) -> None:
    patch = Reply.add_file("patch-failclosed.txt", "nope")
    shared_model.add(patch, Reply.text("ok"))
    shared_client.on_file_change_approval = hook
    before = len(shared_client.hook_errors)

    result = shared_client.responses_create(prompt="write a file", thread_params=ON_REQUEST_READ_ONLY)

    (change,) = items(result, "fileChange")
    assert change["status"] == "declined"
    assert not (shared_client.workspace / "patch-failclosed.txt").exists()
    (record,) = shared_client.hook_errors[before:]
    assert record.answered_with == {"decision": "decline"}
    assert "rejected" in (shared_model.requests[1].tool_output(patch.call_id) or "")


# ------------------------------------------------------------------------------ user input (Plan mode)


def test_user_input_in_plan_mode(shared_client: FakeModelClient, shared_model: FakeModel) -> None:
    ask = Reply.ask("Pick a color?", ["Blue", "Red"], id="color", header="Color")
    shared_model.add(ask, Reply.text("Blue it is."))
    seen: list[dict[str, Any]] = []

    def hook(params: Any) -> dict[str, Any]:
        seen.append(params)
        return {"answers": {"color": {"answers": ["Blue"]}}}

    shared_client.on_tool_request_user_input = hook
    result = shared_client.responses_create(prompt="choose", turn_params=PLAN_MODE)

    assert result.status == "completed" and result.text == "Blue it is."
    ((question,),) = [params["questions"] for params in seen]
    assert question["id"] == "color" and question["question"] == "Pick a color?"
    assert [option["label"] for option in question["options"]] == ["Blue", "Red"]
    output = shared_model.requests[1].tool_output(ask.call_id)
    assert output is not None and json.loads(output) == {"answers": {"color": {"answers": ["Blue"]}}}


@pytest.mark.parametrize(
    "hook", [raising_hook, lambda params: {"answers": ["Blue"]}], ids=["hook-raises", "invalid-answers"]
)
def test_user_input_fails_closed_with_no_answers(
    shared_client: FakeModelClient, shared_model: FakeModel, hook: Any
) -> None:
    ask = Reply.ask("Pick a color?", ["Blue", "Red"], id="color")
    shared_model.add(ask, Reply.text("no answer, then"))
    shared_client.on_tool_request_user_input = hook
    before = len(shared_client.hook_errors)

    result = shared_client.responses_create(prompt="choose", turn_params=PLAN_MODE)

    assert result.status == "completed"
    (record,) = shared_client.hook_errors[before:]
    assert record.answered_with == {"answers": {}}
    output = shared_model.requests[1].tool_output(ask.call_id)
    assert output is not None and json.loads(output) == {"answers": {}}


# ------------------------------------------------------------------------------ dynamic tool calls


@pytest.mark.parametrize("success", [True, False])
def test_dynamic_tool_call(shared_client: FakeModelClient, shared_model: FakeModel, success: bool) -> None:
    call = Reply.tool_call("get_weather", {"city": "Paris"})
    shared_model.add(call, Reply.text("reported"))
    seen: list[tuple[dict[str, Any], RequestContext]] = []

    def on_tool_call(params: Any, context: RequestContext) -> dict[str, Any]:
        seen.append((params, context))
        text = "sunny in Paris" if success else "weather service down"
        return {"success": success, "contentItems": [{"type": "inputText", "text": text}]}

    shared_client.on_tool_call = on_tool_call
    result = shared_client.responses_create(prompt="weather?", thread_params={"dynamicTools": [WEATHER_TOOL]})

    assert result.status == "completed"
    ((params, context),) = seen
    assert (params["tool"], params["arguments"], params["callId"]) == (
        "get_weather",
        {"city": "Paris"},
        call.call_id,
    )
    assert context.kind == "tool_call" and context.item_id == call.call_id
    (item,) = items(result, "dynamicToolCall")
    assert item["success"] is success
    first, second = shared_model.requests
    assert "get_weather" in first.tool_names
    assert second.tool_output(call.call_id) == ("sunny in Paris" if success else "weather service down")


@pytest.mark.parametrize(
    "hook", [raising_hook, lambda params: {"success": "yes"}], ids=["hook-raises", "invalid-result"]
)
def test_dynamic_tool_call_fails_closed(
    shared_client: FakeModelClient, shared_model: FakeModel, hook: Any
) -> None:
    call = Reply.tool_call("get_weather", {"city": "Oslo"})
    shared_model.add(call, Reply.text("no weather"))
    shared_client.on_tool_call = hook
    before = len(shared_client.hook_errors)

    result = shared_client.responses_create(prompt="weather?", thread_params={"dynamicTools": [WEATHER_TOOL]})

    (item,) = items(result, "dynamicToolCall")
    assert item["success"] is False
    (record,) = shared_client.hook_errors[before:]
    assert record.answered_with["success"] is False
    answered_text = record.answered_with["contentItems"][0]["text"]
    assert item["contentItems"][0]["text"] == answered_text
    assert shared_model.requests[1].tool_output(call.call_id) == answered_text


def test_no_hook_means_fail_closed_defaults(shared_client: FakeModelClient, shared_model: FakeModel) -> None:
    shell = Reply.shell("touch cmd-nohook.txt", escalated=True)
    call = Reply.tool_call("get_weather", {"city": "Rome"})
    shared_model.add(Reply.items(shell, call), Reply.text("nothing allowed"))
    params = {**ON_REQUEST_READ_ONLY, "dynamicTools": [WEATHER_TOOL]}

    result = shared_client.responses_create(prompt="try both", thread_params=params)

    assert result.status == "completed"
    assert items(result, "commandExecution")[0]["status"] == "declined"
    follow_up = shared_model.requests[1]
    assert "rejected by user" in (follow_up.tool_output(shell.call_id) or "")
    (tool_item,) = items(result, "dynamicToolCall")
    assert tool_item["success"] is False
    assert follow_up.tool_output(call.call_id) == tool_item["contentItems"][0]["text"]


# ------------------------------------------------------------------------------ permissions


@pytest.fixture(scope="module")
def permissions_client() -> Iterator[tuple[FakeModel, FakeModelClient]]:
    with FakeModel() as model, model.client(enabled_features=["request_permissions_tool"]) as client:
        yield model, client


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        ({"permissions": {"fileSystem": {"write": ["WORKSPACE/out"]}}, "scope": "turn"}, "turn"),
        ({"permissions": {"fileSystem": {"write": ["WORKSPACE/out"]}}, "scope": "session"}, "session"),
        ({"permissions": {}, "scope": "turn"}, "none"),
    ],
    ids=["grant-turn", "grant-session", "grant-nothing"],
)
def test_permissions_request(
    permissions_client: tuple[FakeModel, FakeModelClient], answer: dict[str, Any], expected: str
) -> None:
    model, client = permissions_client
    model.clear()
    wanted = str(client.workspace / "out")
    answer = json.loads(json.dumps(answer).replace("WORKSPACE", str(client.workspace)))
    call = Reply.tool_call("request_permissions", {"permissions": {"file_system": {"write": [wanted]}}})
    model.add(call, Reply.text("permissions handled"))
    seen: list[dict[str, Any]] = []

    def hook(params: Any) -> dict[str, Any]:
        seen.append(params)
        return answer

    client.on_permissions_approval = hook
    result = client.responses_create(prompt="need access", thread_params=ON_REQUEST_READ_ONLY)

    assert result.status == "completed"
    (params,) = seen
    assert params["itemId"] == call.call_id
    assert params["permissions"]["fileSystem"]["write"] == [wanted]
    output = json.loads(model.requests[1].tool_output(call.call_id) or "null")
    assert output["scope"] == ("turn" if expected == "none" else expected)
    granted = (output["permissions"].get("file_system") or {}).get("write")
    assert granted == (None if expected == "none" else [wanted])


@pytest.mark.parametrize(
    "hook",
    [raising_hook, lambda params: {"permissions": "all of them"}],
    ids=["hook-raises", "invalid-grant"],
)
def test_permissions_request_fails_closed(
    permissions_client: tuple[FakeModel, FakeModelClient], hook: Any
) -> None:
    model, client = permissions_client
    model.clear()
    call = Reply.tool_call("request_permissions", {"permissions": {"network": {"enabled": True}}})
    model.add(call, Reply.text("no network then"))
    client.on_permissions_approval = hook
    before = len(client.hook_errors)

    result = client.responses_create(prompt="need network", thread_params=ON_REQUEST_READ_ONLY)

    assert result.status == "completed"
    (record,) = client.hook_errors[before:]
    assert record.answered_with == {"permissions": {}, "scope": "turn"}
    output = json.loads(model.requests[1].tool_output(call.call_id) or "null")
    assert output["permissions"].get("network") is None


# ------------------------------------------------------------------------------ MCP elicitation


@pytest.fixture(scope="module")
def mcp_client() -> Iterator[tuple[FakeModel, FakeModelClient, FakeMcpServer]]:
    mcp = FakeMcpServer("fake").tool(
        "ask_name", elicit="What is your name?", schema={"name": {"type": "string"}}, required=["name"]
    )
    try:
        with FakeModel() as model, model.client(server_config_overrides=mcp.config_overrides()) as client:
            yield model, client, mcp
    finally:
        mcp.cleanup()


def _script_mcp_call(model: FakeModel) -> Reply:
    call = Reply.mcp_tool_call("fake", "ask_name")
    model.add(Reply.tool_search("ask name"), call, Reply.text("asked"))
    return call


@pytest.mark.parametrize("action", ["accept", "decline", "cancel"])
def test_mcp_elicitation(mcp_client: tuple[FakeModel, FakeModelClient, FakeMcpServer], action: str) -> None:
    model, client, mcp = mcp_client
    model.clear()
    call = _script_mcp_call(model)
    seen: list[dict[str, Any]] = []

    def hook(params: Any) -> dict[str, Any]:
        seen.append(params)
        if (params.get("_meta") or {}).get("codex_approval_kind") == "mcp_tool_call":
            return {"action": "accept"}  # codex's own "may this MCP tool run?" question
        if action == "accept":
            return {"action": "accept", "content": {"name": "Ada"}}
        return {"action": action}

    client.on_mcp_elicitation_request = hook
    calls_before = len(mcp.calls())
    result = client.responses_create(prompt="ask me", thread_params=ON_REQUEST_READ_ONLY)

    assert result.status == "completed"
    approval, question = seen
    assert approval["serverName"] == "fake" and "ask_name" in approval["message"]
    assert question["message"] == "What is your name?"
    assert question["requestedSchema"]["properties"] == {"name": {"type": "string"}}
    expected = {"action": "accept", "content": {"name": "Ada"}} if action == "accept" else {"action": action}
    (server_saw,) = mcp.calls()[calls_before:]
    assert server_saw["elicitation"]["action"] == action
    (item,) = items(result, "mcpToolCall")
    assert item["server"] == "fake" and item["tool"] == "ask_name"
    output = model.requests[2].tool_output(call.call_id) or ""
    assert json.dumps(expected) in output


@pytest.mark.parametrize(
    "hook", [raising_hook, lambda params: {"action": "sure"}], ids=["hook-raises", "invalid-action"]
)
def test_mcp_elicitation_fails_closed(
    mcp_client: tuple[FakeModel, FakeModelClient, FakeMcpServer], hook: Any
) -> None:
    model, client, mcp = mcp_client
    model.clear()
    call = _script_mcp_call(model)
    client.on_mcp_elicitation_request = hook
    before = len(client.hook_errors)
    calls_before = len(mcp.calls())

    result = client.responses_create(prompt="ask me", thread_params=ON_REQUEST_READ_ONLY)

    assert result.status == "completed"
    (record,) = client.hook_errors[before:]  # the tool-call approval was declined: the tool never ran
    assert record.answered_with == {"action": "decline"}
    (item,) = items(result, "mcpToolCall")
    assert item["status"] == "failed"
    assert mcp.calls()[calls_before:] == []
    assert model.requests[2].has_tool_output(call.call_id)
