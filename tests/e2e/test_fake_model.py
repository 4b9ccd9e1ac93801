"""The FakeModel against the real ``codex app-server``, driven by the raw JSON-lines driver (not the SDK).

Each e2e test starts its own app-server with a temporary CODEX_HOME, pointed at its own FakeModel on
loopback. The HTTP-level tests at the end talk to the FakeModel directly.
"""

from __future__ import annotations

import asyncio
import http.client
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from raw_driver import Message, RawDriver, items_completed, methods

from codex_python_sdk.testing import FakeModel, ModelRequest, Reply


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    path = tmp_path / "work"
    path.mkdir()
    return path


@pytest.fixture
def driver(fake_model: FakeModel, tmp_path: Path) -> Iterator[RawDriver]:
    home = tmp_path / "codex-home"
    home.mkdir()
    raw = RawDriver(
        codex_home=str(home), config_overrides=fake_model.config_overrides(), env=fake_model.env()
    )
    try:
        yield raw
    finally:
        raw.close()


def _completed(messages: list[Message]) -> dict[str, Any]:
    last = messages[-1]
    assert last["method"] == "turn/completed", methods(messages)
    turn: dict[str, Any] = last["params"]["turn"]
    return turn


def _of(messages: list[Message], method: str) -> list[dict[str, Any]]:
    return [m["params"] for m in messages if m["method"] == method]


# ---------------------------------------------------------------------------------------------- e2e


@pytest.mark.e2e
def test_text_in_deltas(driver: RawDriver, fake_model: FakeModel, workdir: Path) -> None:
    thread = driver.start_thread(cwd=str(workdir))
    fake_model.add(Reply.text("hello from the fake model", deltas=5))

    messages = driver.run_turn(thread, "Say hello")

    deltas = [p["delta"] for p in _of(messages, "item/agentMessage/delta")]
    assert len(deltas) == 5
    assert "".join(deltas) == "hello from the fake model"
    turn = _completed(messages)
    assert turn["status"] == "completed"
    assert [i["text"] for i in items_completed(messages, "agentMessage")] == ["hello from the fake model"]
    (request,) = fake_model.requests
    assert request.kind == "turn"
    assert request.prompts == ["Say hello"]
    assert {"exec_command", "apply_patch", "request_user_input"} <= set(request.tool_names)
    fake_model.assert_all_consumed()


@pytest.mark.e2e
def test_reasoning_and_several_items(driver: RawDriver, fake_model: FakeModel, workdir: Path) -> None:
    thread = driver.start_thread(cwd=str(workdir))
    fake_model.add(
        Reply.items(
            Reply.reasoning(["Thinking hard.", "Second part."], text="raw cot"),
            Reply.text("first", id="m_a"),
            Reply.text("second", id="m_b"),
        ).with_usage(100, 7)
    )

    messages = driver.run_turn(thread, "think")

    (reasoning,) = items_completed(messages, "reasoning")
    assert reasoning["summary"] == ["Thinking hard.", "Second part."]
    assert reasoning["content"] == ["raw cot"]
    assert [(i["id"], i["text"]) for i in items_completed(messages, "agentMessage")] == [
        ("m_a", "first"),
        ("m_b", "second"),
    ]
    usage = _of(messages, "thread/tokenUsage/updated")[-1]["tokenUsage"]["last"]
    assert (usage["inputTokens"], usage["outputTokens"]) == (100, 7)


@pytest.mark.e2e
def test_shell_output_reaches_next_request(driver: RawDriver, fake_model: FakeModel, workdir: Path) -> None:
    thread = driver.start_thread(cwd=str(workdir), approvalPolicy="never", sandbox="danger-full-access")
    shell = Reply.shell("echo hello-from-shell; pwd")
    fake_model.add(shell, Reply.text("done"))

    messages = driver.run_turn(thread, "run it")

    assert _completed(messages)["status"] == "completed"
    (command,) = items_completed(messages, "commandExecution")
    assert command["id"] == shell.call_id
    assert command["status"] == "completed"
    assert command["exitCode"] == 0
    assert command["aggregatedOutput"] == f"hello-from-shell\n{workdir}\n"  # no login-shell noise
    first, second = fake_model.requests
    assert not first.tool_outputs
    output = second.tool_output(shell.call_id)
    assert output is not None and "Process exited with code 0" in output and "hello-from-shell" in output
    assert [call["call_id"] for call in second.tool_calls] == [shell.call_id]


@pytest.mark.e2e
def test_escalated_shell_declined(driver: RawDriver, fake_model: FakeModel, workdir: Path) -> None:
    thread = driver.start_thread(cwd=str(workdir), approvalPolicy="on-request", sandbox="read-only")
    shell = Reply.shell("touch escalated.txt", escalated=True, justification="need to write")
    fake_model.add(shell, Reply.text("ok, not doing it"))
    driver.on_server_request = lambda msg: {"decision": "decline"}

    messages = driver.run_turn(thread, "touch a file")

    (approval,) = [m for m in messages if m["method"] == "item/commandExecution/requestApproval"]
    assert approval["params"]["itemId"] == shell.call_id
    assert approval["params"]["reason"] == "need to write"
    assert _of(messages, "serverRequest/resolved")[0]["requestId"] == approval["id"]
    (command,) = items_completed(messages, "commandExecution")
    assert command["status"] == "declined"
    assert _completed(messages)["status"] == "completed"
    output = fake_model.requests[1].tool_output(shell.call_id)
    assert output is not None and "rejected by user" in output
    assert not (workdir / "escalated.txt").exists()


@pytest.mark.e2e
def test_apply_patch_writes_file(driver: RawDriver, fake_model: FakeModel, workdir: Path) -> None:
    thread = driver.start_thread(cwd=str(workdir), approvalPolicy="never", sandbox="workspace-write")
    patch = Reply.add_file("notes/hello.txt", "hello world\nsecond line")
    fake_model.add(patch, Reply.text("patched"))

    messages = driver.run_turn(thread, "write a file")

    assert _completed(messages)["status"] == "completed"
    assert (workdir / "notes" / "hello.txt").read_text() == "hello world\nsecond line\n"
    (change,) = items_completed(messages, "fileChange")
    assert change["id"] == patch.call_id and change["status"] == "completed"
    assert change["changes"][0]["path"] == str(workdir / "notes" / "hello.txt")
    output = fake_model.tool_output(patch.call_id)
    assert output is not None and "Success" in output and "A notes/hello.txt" in output


@pytest.mark.e2e
def test_dynamic_tool_call(driver: RawDriver, fake_model: FakeModel, workdir: Path) -> None:
    weather = {
        "type": "function",
        "name": "get_weather",
        "description": "Get the weather",
        "inputSchema": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
    }
    thread = driver.start_thread(cwd=str(workdir), dynamicTools=[weather])
    call = Reply.tool_call("get_weather", {"city": "Paris"})
    fake_model.add(call, Reply.text("It is sunny in Paris."))
    seen: list[Message] = []

    def on_request(msg: Message) -> dict[str, Any]:
        seen.append(msg)
        assert msg["method"] == "item/tool/call"
        return {"success": True, "contentItems": [{"type": "inputText", "text": "weather is sunny"}]}

    driver.on_server_request = on_request
    messages = driver.run_turn(thread, "weather in Paris?")

    assert _completed(messages)["status"] == "completed"
    (tool_call,) = seen
    assert tool_call["params"]["callId"] == call.call_id
    assert tool_call["params"]["tool"] == "get_weather"
    assert tool_call["params"]["arguments"] == {"city": "Paris"}
    assert "get_weather" in fake_model.requests[0].tool_names
    assert fake_model.requests[1].tool_output(call.call_id) == "weather is sunny"


@pytest.mark.e2e
def test_request_user_input_in_plan_mode(driver: RawDriver, fake_model: FakeModel, workdir: Path) -> None:
    thread = driver.start_thread(cwd=str(workdir))
    ask = Reply.ask("Pick a color?", ["Blue", "Red"], id="color", header="Color")
    fake_model.add(ask, Reply.text("Blue it is."))
    driver.on_server_request = lambda msg: {"answers": {"color": {"answers": ["Blue"]}}}

    messages = driver.run_turn(
        thread, "choose", collaborationMode={"mode": "plan", "settings": {"model": "gpt-5.5"}}
    )

    assert _completed(messages)["status"] == "completed"
    (question,) = [m for m in messages if m["method"] == "item/tool/requestUserInput"]
    assert question["params"]["itemId"] == ask.call_id
    assert question["params"]["questions"][0]["question"] == "Pick a color?"
    assert [o["label"] for o in question["params"]["questions"][0]["options"]] == ["Blue", "Red"]
    output = fake_model.requests[1].tool_output(ask.call_id)
    assert output is not None and json.loads(output) == {"answers": {"color": {"answers": ["Blue"]}}}


@pytest.mark.e2e
def test_http_500_fails_turn_then_thread_recovers(
    driver: RawDriver, fake_model: FakeModel, workdir: Path
) -> None:
    thread = driver.start_thread(cwd=str(workdir))
    fake_model.add(Reply.server_error("boom"), Reply.text("recovered"))

    messages = driver.run_turn(thread, "fail please")

    (error,) = _of(messages, "error")
    assert error["willRetry"] is False
    assert error["error"]["codexErrorInfo"] == "internalServerError"
    turn = _completed(messages)
    assert turn["status"] == "failed" and turn["error"] is not None
    assert len(fake_model.requests) == 1  # retries are 0
    assert _completed(driver.run_turn(thread, "again"))["status"] == "completed"


@pytest.mark.e2e
def test_failures_in_stream_and_unscripted(driver: RawDriver, fake_model: FakeModel, workdir: Path) -> None:
    thread = driver.start_thread(cwd=str(workdir))
    fake_model.add(
        Reply.failed("model melted"),
        Reply.text("partial answer", deltas=2).cut(),
        Reply.bad_request("this request is bad"),
    )

    failed = driver.run_turn(thread, "one")
    assert _completed(failed)["status"] == "failed"
    assert "model melted" in _of(failed, "error")[0]["error"]["message"]

    cut = driver.run_turn(thread, "two")
    assert _completed(cut)["status"] == "failed"
    assert "".join(p["delta"] for p in _of(cut, "item/agentMessage/delta")) == "partial answer"
    assert "response.completed" in _of(cut, "error")[0]["error"]["message"]

    bad = driver.run_turn(thread, "three")
    assert "this request is bad" in _of(bad, "error")[0]["error"]["message"]

    unscripted = driver.run_turn(thread, "four")  # nothing queued: fails loudly, never hangs
    assert _completed(unscripted)["status"] == "failed"
    (lost,) = fake_model.unscripted
    assert lost.last_user_text == "four"
    with pytest.raises(AssertionError, match="unscripted"):
        fake_model.assert_all_consumed()


@pytest.mark.e2e
def test_hanging_stream_interrupted(driver: RawDriver, fake_model: FakeModel, workdir: Path) -> None:
    thread = driver.start_thread(cwd=str(workdir))
    hanging = Reply.text("partial", deltas=2).hang()
    fake_model.add(hanging, Reply.text("after interrupt"))

    turn_id = driver.start_turn(thread, "long task")
    driver.wait_for(lambda m: m["method"] == "item/agentMessage/delta", timeout=20)
    assert hanging.wait_until_hanging(5)
    driver.request("turn/interrupt", {"threadId": thread, "turnId": turn_id})
    turn = _completed(driver.wait_turn(turn_id, timeout=20))
    assert turn["status"] == "interrupted"

    deadline = time.monotonic() + 5  # codex hangs up; the fake notices without being released
    while not fake_model.requests[0].disconnected and time.monotonic() < deadline:
        time.sleep(0.02)
    assert fake_model.requests[0].disconnected
    messages = driver.run_turn(thread, "next")
    assert [i["text"] for i in items_completed(messages, "agentMessage")] == ["after interrupt"]


@pytest.mark.e2e
def test_steer_preempts_the_stream(driver: RawDriver, fake_model: FakeModel, workdir: Path) -> None:
    thread = driver.start_thread(cwd=str(workdir))
    held = Reply.text("never finished", deltas=4).hang(after=3)
    fake_model.add(held, Reply.text("steered answer"))

    turn_id = driver.start_turn(thread, "first")
    assert held.wait_until_hanging(20)
    steer = {"threadId": thread, "expectedTurnId": turn_id, "input": [{"type": "text", "text": "STEER"}]}
    assert driver.request("turn/steer", steer) == {"turnId": turn_id}
    messages = driver.wait_turn(turn_id, timeout=20)

    # codex 0.163.0 drops the in-flight response at once and asks again with the steered input
    assert _completed(messages)["status"] == "completed"
    assert [i["text"] for i in items_completed(messages, "agentMessage")] == ["steered answer"]
    first, second = fake_model.requests
    assert second.prompts == ["first", "STEER"]
    deadline = time.monotonic() + 5
    while not first.disconnected and time.monotonic() < deadline:
        time.sleep(0.02)
    assert first.disconnected


@pytest.mark.e2e
def test_guardian_and_compaction_answered_apart(
    driver: RawDriver, fake_model: FakeModel, workdir: Path
) -> None:
    thread = driver.start_thread(cwd=str(workdir), approvalPolicy="on-request", sandbox="read-only")
    fake_model.on_guardian(Reply.guardian("deny", risk_level="high", rationale="not today"))
    fake_model.on_compaction("SUMMARY OF THE THREAD")
    shell = Reply.shell("touch guarded.txt", escalated=True)
    fake_model.add(shell, Reply.text("denied, fine"))

    messages = driver.run_turn(thread, "guarded", approvalsReviewer="auto_review")

    (review,) = _of(messages, "item/autoApprovalReview/completed")
    assert review["review"]["status"] == "denied"
    assert review["review"]["rationale"] == "not today"
    assert [r.kind for r in fake_model.requests] == ["turn", "guardian", "turn"]
    assert fake_model.guardian_requests[0].tools == []

    driver.request("thread/compact/start", {"threadId": thread})
    compacted = driver.wait_for(lambda m: m["method"] == "turn/completed", timeout=30)
    assert _completed(compacted)["status"] == "completed"
    (compaction,) = fake_model.compaction_requests
    assert compaction.turn_metadata["request_kind"] == "compaction"
    fake_model.assert_all_consumed()


@pytest.mark.e2e
def test_twenty_thousand_deltas(driver: RawDriver, fake_model: FakeModel, workdir: Path) -> None:
    chunks = [f"{i:09d} " for i in range(20_000)]
    fake_model.add(Reply.stream_text(chunks))
    thread = driver.start_thread(cwd=str(workdir))

    started = time.perf_counter()
    messages = driver.run_turn(thread, "stream a lot", timeout=50)
    elapsed = time.perf_counter() - started

    deltas = [p["delta"] for p in _of(messages, "item/agentMessage/delta")]
    assert len(deltas) == 20_000
    assert "".join(deltas) == "".join(chunks)
    assert items_completed(messages, "agentMessage")[0]["text"] == "".join(chunks)
    assert _completed(messages)["status"] == "completed"
    print(
        f"\n20,000 deltas: turn/start -> turn/completed in {elapsed:.2f} s ({20_000 / elapsed:,.0f} deltas/s)"
    )


# ---------------------------------------------------------------------------------- HTTP behaviour


def _post(conn: http.client.HTTPConnection, body: dict[str, Any]) -> tuple[int, bytes]:
    conn.request("POST", "/v1/responses", body=json.dumps(body), headers={"content-type": "application/json"})
    response = conn.getresponse()
    return response.status, response.read()


def test_keep_alive_routing_and_recording(fake_model: FakeModel) -> None:
    user = {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "hi"}]}
    output = {"type": "function_call_output", "call_id": "call_x", "output": "tool says hi"}
    fake_model.respond_with(lambda r: Reply.text("saw it") if r.has_tool_output("call_x") else None)
    fake_model.add(Reply.text("first"))
    conn = http.client.HTTPConnection("127.0.0.1", fake_model.port, timeout=5)
    status, body = _post(conn, {"input": [user], "tools": [{"type": "function", "name": "f"}]})
    assert status == 200 and b'"delta":"first"' in body and body.endswith(b"\n\n")
    status, body = _post(conn, {"input": [user, output]})  # same (kept-alive) connection
    assert status == 200 and b"saw it" in body
    status, body = _post(conn, {"input": [user]})
    assert status == 500 and b"no scripted reply" in body
    conn.close()

    first, second, third = fake_model.requests
    assert first.user_texts == ["hi"] and first.tool_names == ["f"]
    assert second.tool_output("call_x") == "tool says hi"
    assert third.unscripted and fake_model.unscripted == [third]
    assert fake_model.config_overrides()["model_providers.mock.base_url"] == fake_model.base_url


def test_stop_ends_hanging_stream() -> None:
    hanging = Reply.text("x").hang(after=1)
    with FakeModel() as model:
        model.add(hanging)
        conn = http.client.HTTPConnection("127.0.0.1", model.port, timeout=5)
        status, _ = 0, b""
        conn.request("POST", "/v1/responses", body=b"{}")
        response = conn.getresponse()
        status = response.status
        assert hanging.wait_until_hanging(5)
        started = time.monotonic()
    assert time.monotonic() - started < 2
    assert status == 200
    assert response.read().startswith(b"event: response.created")  # body ends at close, no completed


def test_guardian_request_is_recognised() -> None:
    request = ModelRequest(
        index=0,
        method="POST",
        path="/v1/responses",
        query="",
        headers={"x-openai-subagent": "guardian"},
        body=b"{}",
        json={"tools": []},
        received_at=0.0,
    )
    assert request.kind == "guardian"


def test_slow_cut_release_and_chunked_request_body(fake_model: FakeModel) -> None:
    slow = Reply.text("abcd", deltas=4).slow(0.05)
    held = Reply.text("held").hang(after=2)
    fake_model.add(
        slow, Reply.text("cut short", deltas=3).cut(after=3), held, Reply.rate_limited(retry_after=2)
    )

    conn = http.client.HTTPConnection("127.0.0.1", fake_model.port, timeout=5)
    started = time.monotonic()
    conn.request("POST", "/v1/responses", body=iter([b'{"input":', b"[]}"]), encode_chunked=True)
    response = conn.getresponse()
    body = response.read()  # 8 events, 50 ms apart, body ends with the connection
    assert time.monotonic() - started >= 0.35
    assert response.getheader("connection") == "close" and body.count(b"event: ") == 8
    assert fake_model.requests[0].json == {"input": []}

    conn = http.client.HTTPConnection("127.0.0.1", fake_model.port, timeout=5)
    _, body = _post(conn, {})
    assert body.count(b"event: ") == 3 and b"response.completed" not in body

    conn = http.client.HTTPConnection("127.0.0.1", fake_model.port, timeout=5)
    conn.request("POST", "/v1/responses", body=b"{}")
    response = conn.getresponse()
    assert held.wait_until_hanging(5)
    fake_model.release_all()
    frames = response.read().decode().split("\n\n")
    assert frames[-2].startswith("event: response.completed")  # released: the stream finishes normally

    conn = http.client.HTTPConnection("127.0.0.1", fake_model.port, timeout=5)
    conn.request("POST", "/v1/responses", body=b"{}")
    response = conn.getresponse()
    assert response.status == 429 and response.getheader("retry-after") == "2"
    assert json.loads(response.read())["error"]["code"] == "rate_limit_exceeded"
    fake_model.assert_all_consumed()


def test_async_context_manager_and_config() -> None:
    async def main() -> tuple[str, list[str]]:
        async with FakeModel(request_max_retries=2, unscripted_status=400) as model:
            return model.base_url, model.config_args()

    base_url, args = asyncio.run(main())
    assert base_url.startswith("http://127.0.0.1:") and base_url.endswith("/v1")
    assert args[:2] == ["-c", 'model_provider="mock"']
    assert "model_providers.mock.request_max_retries=2" in args
    assert f'model_providers.mock.base_url="{base_url}"' in args
