"""The examples of docs/testing.md, verbatim, so CI runs every one of them.

Each test below is a code block of the guide (the guide names the test it comes from). Keep the two
in step: change an example here and there together.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from codex_python_sdk import AsyncCodexAgenticClient, TurnFailedError
from codex_python_sdk.testing import (
    Cassette,
    FakeMcpServer,
    FakeModel,
    FakeModelClient,
    ReplayTransport,
    Reply,
)

pytestmark = pytest.mark.e2e


# --- "Your first test" ---------------------------------------------------------------------------


def test_agent_asks_before_writing(codex_fake_model, codex_client):  # type: ignore[no-untyped-def]
    codex_fake_model.add(Reply.shell("touch notes.txt", escalated=True), Reply.text("done"))
    codex_client.on_command_approval = lambda params: {"decision": "accept"}
    result = codex_client.responses_create(
        prompt="write notes", thread_params={"approvalPolicy": "on-request", "sandbox": "read-only"}
    )
    assert result.text == "done"
    assert (codex_client.workspace / "notes.txt").exists()


# --- "What reached the model" ----------------------------------------------------------------------


def test_what_reached_the_model(codex_fake_model: FakeModel, codex_client: FakeModelClient) -> None:
    shell = Reply.shell("echo hello")
    codex_fake_model.add(shell, Reply.text("It printed hello."))

    result = codex_client.responses_create(
        prompt="run echo", thread_params={"approvalPolicy": "never", "sandbox": "danger-full-access"}
    )

    first, second = codex_fake_model.requests
    assert first.prompts == ["run echo"]
    assert "exec_command" in first.tool_names
    assert "hello" in (second.tool_output(shell.call_id) or "")
    assert result.items[0]["type"] == "userMessage"
    codex_fake_model.assert_all_consumed()


# --- "A policy under test" -------------------------------------------------------------------------


def approve_only_reads(params: Any) -> dict[str, Any]:
    """The code under test: allow commands that codex classifies as reads, decline the rest."""
    actions = params.get("commandActions") or []
    reads_only = bool(actions) and all(action.get("type") == "read" for action in actions)
    return {"decision": "accept" if reads_only else "decline"}


@pytest.mark.codex_client(
    on_command_approval=approve_only_reads,
    default_thread_params={"approvalPolicy": "on-request", "sandbox": "read-only"},
)
@pytest.mark.parametrize(("command", "allowed"), [("cat README", True), ("rm -rf build", False)])
def test_policy(
    codex_fake_model: FakeModel, codex_client: FakeModelClient, command: str, allowed: bool
) -> None:
    shell = Reply.shell(command, escalated=True)
    codex_fake_model.add(shell, Reply.text("ok"))

    codex_client.responses_create(prompt="do it")

    output = codex_fake_model.tool_output(shell.call_id) or ""
    assert ("rejected by user" not in output) is allowed


# --- "Questions, tools and MCP" --------------------------------------------------------------------


def test_user_input_and_dynamic_tool(codex_fake_model: FakeModel, codex_client: FakeModelClient) -> None:
    ask = Reply.ask("Which city?", ["Paris", "Oslo"], id="city")
    weather = Reply.tool_call("get_weather", {"city": "Paris"})
    codex_fake_model.add(ask, weather, Reply.text("Sunny in Paris."))
    codex_client.on_tool_request_user_input = lambda params: {"answers": {"city": {"answers": ["Paris"]}}}
    codex_client.on_tool_call = lambda params: {
        "success": True,
        "contentItems": [{"type": "inputText", "text": f"sunny in {params['arguments']['city']}"}],
    }
    tool = {
        "type": "function",
        "name": "get_weather",
        "description": "Weather of a city",
        "inputSchema": {"type": "object", "properties": {"city": {"type": "string"}}},
    }

    result = codex_client.responses_create(
        prompt="weather?",
        thread_params={"dynamicTools": [tool]},
        turn_params={"collaborationMode": {"mode": "plan", "settings": {"model": "gpt-5.5"}}},
    )

    assert result.text == "Sunny in Paris."
    assert codex_fake_model.tool_output(weather.call_id) == "sunny in Paris"


def test_mcp_elicitation(codex_fake_model: FakeModel) -> None:
    mcp = FakeMcpServer("people").tool("ask_name", elicit="Your name?", schema={"name": {"type": "string"}})
    answers = []

    def on_elicitation(params: Any) -> dict[str, Any]:
        if (params.get("_meta") or {}).get("codex_approval_kind") == "mcp_tool_call":
            return {"action": "accept"}  # codex asks first whether the MCP tool may run
        answers.append(params["message"])
        return {"action": "accept", "content": {"name": "Ada"}}

    codex_fake_model.add(
        Reply.tool_search("ask name"), Reply.mcp_tool_call("people", "ask_name"), Reply.text("Hello Ada")
    )
    with codex_fake_model.client(
        server_config_overrides=mcp.config_overrides(), on_mcp_elicitation_request=on_elicitation
    ) as client:
        client.responses_create(
            prompt="greet me", thread_params={"approvalPolicy": "on-request", "sandbox": "read-only"}
        )
    assert answers == ["Your name?"]
    assert mcp.calls()[0]["elicitation"] == {"action": "accept", "content": {"name": "Ada"}}
    mcp.cleanup()


# --- "Async tests" ---------------------------------------------------------------------------------


async def test_async(codex_fake_model: FakeModel, codex_async_client: Any) -> None:
    codex_fake_model.add(Reply.text("hello", deltas=5))
    chunks = [chunk async for chunk in codex_async_client.responses_stream_text(prompt="hi")]
    assert "".join(chunks) == "hello" and len(chunks) == 5


def test_async_from_a_sync_test(codex_fake_model: FakeModel, codex_async_client: Any) -> None:
    codex_fake_model.add(Reply.text("hello"))

    async def main() -> str:
        async with codex_async_client as client:  # closes the client in this loop
            result = await client.responses_create(prompt="hi")
            return str(result.text)

    assert asyncio.run(main()) == "hello"


# --- "Without pytest" ------------------------------------------------------------------------------


def test_without_pytest_fixtures() -> None:
    with FakeModel() as model, model.client() as client:
        model.add(Reply.text("READY"))
        assert client.responses_create(prompt="Reply with READY").text == "READY"


# --- "Sharing one app-server" and "Two clients, one home" -----------------------------------------


@pytest.fixture(scope="module")
def model() -> Iterator[FakeModel]:
    with FakeModel() as fake:
        yield fake


@pytest.fixture(scope="module")
def client(model: FakeModel) -> Iterator[FakeModelClient]:
    with model.client() as shared:
        yield shared


@pytest.fixture
def fresh(model: FakeModel, client: FakeModelClient) -> Iterator[FakeModelClient]:
    model.clear()
    yield client
    model.assert_all_consumed()


def test_shared_app_server(model: FakeModel, fresh: FakeModelClient) -> None:
    model.add(Reply.text("one"), Reply.text("two"))
    first = fresh.responses_create(prompt="1")
    second = fresh.responses_create(prompt="2", thread_id=first.thread_id)
    assert second.text == "two"
    assert model.requests[1].prompts == ["1", "2"]


def test_resume_in_a_second_client(model: FakeModel) -> None:
    model.clear()
    model.add(Reply.text("noted"), Reply.text("you said 42"))
    with model.home() as home:
        with home.client() as first:
            thread_id = first.responses_create(prompt="remember 42").thread_id
        with home.client() as second:
            result = second.responses_create(prompt="what did I say?", thread_id=thread_id)
    assert result.text == "you said 42"
    assert model.requests[1].prompts == ["remember 42", "what did I say?"]


# --- "Model errors" --------------------------------------------------------------------------------


def test_model_errors(codex_fake_model: FakeModel, codex_client: FakeModelClient) -> None:
    codex_fake_model.add(Reply.rate_limited(), Reply.text("back"))
    with pytest.raises(TurnFailedError) as caught:
        codex_client.responses_create(prompt="hi")
    assert caught.value.codex_error_info == {"responseTooManyFailedAttempts": {"httpStatusCode": 429}}
    assert codex_client.responses_create(prompt="again", thread_id=caught.value.thread_id).text == "back"


# --- "Record and replay" ---------------------------------------------------------------------------


def test_record_then_replay(codex_fake_model: FakeModel, tmp_path: Path) -> None:
    cassette = tmp_path / "approval.jsonl"
    codex_fake_model.add(Reply.shell("touch x", escalated=True), Reply.text("done"))
    with codex_fake_model.client(
        record=cassette, on_command_approval=lambda p: {"decision": "accept"}
    ) as client:
        client.responses_create(
            prompt="go", thread_params={"approvalPolicy": "on-request", "sandbox": "read-only"}
        )

    recorded = Cassette.load(cassette)
    assert recorded.server_requests("item/commandExecution/requestApproval")
    assert "sk-test" not in cassette.read_text()  # the API key never reaches a cassette

    async def replay_it() -> list[str]:
        replay = ReplayTransport(cassette)
        decisions = []

        def hook(params: Any) -> dict[str, Any]:
            decisions.append(params["command"])
            return {"decision": "decline"}

        async with AsyncCodexAgenticClient(transport=replay, on_command_approval=hook) as replayed:
            events: list[str] = [event.type async for event in replayed.responses_events(prompt="go")]
        assert replay.answers[0].result == {"decision": "decline"}
        replay.assert_played()
        assert decisions and "touch x" in decisions[0]
        return events

    events = asyncio.run(replay_it())
    assert events[0] == "thread/ready" and events[-1] == "turn/completed"
    assert "item/commandExecution/requestApproval" in events
