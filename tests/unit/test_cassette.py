"""Cassettes without a process: record an in-memory app-server session, replay it, redact secrets."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path
from typing import Any

import pytest

from codex_python_sdk import AsyncCodexAgenticClient, CodexAgenticClient, RpcError
from codex_python_sdk.testing import Cassette, CassetteEntry, RecordingTransport, ReplayTransport, scrub

pytestmark = pytest.mark.codex_async  # async tests here run under the kit's asyncio runner

THREAD = "019a0000-0000-7000-8000-000000000001"
TURN = "019a0000-0000-7000-8000-0000000000aa"


def c2s(t: float, message: dict[str, Any]) -> CassetteEntry:
    return CassetteEntry(t, "c2s", message)


def s2c(t: float, message: dict[str, Any]) -> CassetteEntry:
    return CassetteEntry(t, "s2c", message)


def note(method: str, **params: Any) -> dict[str, Any]:
    return {"method": method, "params": {"threadId": THREAD, **params}}


def approval_session() -> Cassette:
    """A turn whose command needs approval: what codex 0.163 sends, trimmed to the essentials."""
    approval = {"threadId": THREAD, "turnId": TURN, "itemId": "call_1", "command": "touch x", "reason": "why"}
    return Cassette(
        [
            c2s(0.00, {"id": 1, "method": "initialize", "params": {"clientInfo": {"name": "x"}}}),
            s2c(0.01, {"id": 1, "result": {"userAgent": "codex/0.163.0"}}),
            c2s(0.02, {"method": "initialized"}),
            c2s(0.03, {"id": 2, "method": "thread/start", "params": {"approvalPolicy": "on-request"}}),
            s2c(0.04, {"id": 2, "result": {"thread": {"id": THREAD, "turns": []}}}),
            s2c(0.05, note("thread/started", thread={"id": THREAD})),
            c2s(0.06, {"id": 3, "method": "turn/start", "params": {"threadId": THREAD, "input": []}}),
            s2c(0.07, {"id": 3, "result": {"turn": {"id": TURN, "status": "inProgress", "items": []}}}),
            s2c(0.08, note("turn/started", turn={"id": TURN, "status": "inProgress"})),
            s2c(0.09, {"id": 0, "method": "item/commandExecution/requestApproval", "params": approval}),
            c2s(0.10, {"id": 0, "result": {"decision": "accept"}}),
            s2c(0.11, note("serverRequest/resolved", requestId=0)),
            s2c(0.12, note("item/agentMessage/delta", turnId=TURN, itemId="m1", delta="do")),
            s2c(0.13, note("item/agentMessage/delta", turnId=TURN, itemId="m1", delta="ne")),
            s2c(
                0.14,
                note(
                    "item/completed", turnId=TURN, item={"type": "agentMessage", "id": "m1", "text": "done"}
                ),
            ),
            s2c(0.15, note("turn/completed", turn={"id": TURN, "status": "completed", "items": []})),
        ]
    )


# ------------------------------------------------------------------------------ redaction


def test_scrub_redacts_secrets_and_keeps_counters() -> None:
    message = {
        "params": {
            "apiKey": "sk-abc",
            "env": {"OPENAI_API_KEY": "sk-live-0123456789abcdefghij", "PATH": "/bin"},
            "accessToken": "eyJhbGciOi",
            "note": "use Bearer abcdefghijklmnop please, or sk-proj-0123456789abcdefXYZ",
            "tokenUsage": {"inputTokens": 10, "totalTokens": 15},
            "questions": [{"isSecret": True}],
        }
    }
    params = scrub(message)["params"]
    assert params["apiKey"] == params["accessToken"] == params["env"]["OPENAI_API_KEY"] == "<redacted>"
    assert params["env"]["PATH"] == "/bin"
    assert params["note"] == "use <redacted> please, or <redacted>"
    assert params["tokenUsage"] == {"inputTokens": 10, "totalTokens": 15}
    assert params["questions"] == [{"isSecret": True}]
    assert message["params"]["apiKey"] == "sk-abc"  # a copy; the message itself is untouched


# ------------------------------------------------------------------------------ recording


async def test_recording_writes_both_directions_with_times_and_no_secrets(
    server: Any, tmp_path: Path
) -> None:
    path = tmp_path / "session.jsonl"
    recorder = RecordingTransport(server.transport, path)
    async with AsyncCodexAgenticClient(transport=recorder) as client:
        result = await client.responses_create(prompt="hello")
        await client.request("config/value/write", {"keyPath": "x", "value": {"apiKey": "sk-secret-value"}})
    assert result.text == "ok"

    lines = path.read_text().splitlines()
    header = json.loads(lines[0])
    assert header["cassette"] == 1 and "recorded_at" in header
    assert "sk-secret-value" not in path.read_text()
    cassette = Cassette.load(path)
    assert [e.direction for e in cassette][:2] == ["c2s", "s2c"]
    assert [e.t for e in cassette] == sorted(e.t for e in cassette)
    assert cassette.methods("c2s") == [
        "initialize",
        "initialized",
        "thread/start",
        "turn/start",
        "config/value/write",
    ]
    (write,) = cassette.requests("config/value/write")
    assert write.params["value"] == {"apiKey": "<redacted>"}
    (turn_start,) = cassette.requests("turn/start")
    response = cassette.response_to(turn_start)
    assert response is not None and response.message["result"]["turn"]["status"] == "inProgress"
    assert [e.method for e in cassette.notifications()][-1] == "turn/completed"
    assert len(recorder.cassette) == len(cassette)


def test_cassette_save_load_round_trip_and_bad_lines(tmp_path: Path) -> None:
    path = tmp_path / "c.jsonl"
    approval_session().save(path)
    loaded = Cassette.load(path)
    assert [e.message for e in loaded] == [e.message for e in approval_session()]
    (request,) = loaded.server_requests("item/commandExecution/requestApproval")
    answer = loaded.response_to(request)
    assert answer is not None and answer.message["result"] == {"decision": "accept"}

    path.write_text('{"cassette": 1}\n{"t": 0, "dir": "sideways", "msg": {}}\n')
    with pytest.raises(ValueError, match=r"c\.jsonl:2"):
        Cassette.load(path)
    path.write_text('{"cassette": 99}\n')
    with pytest.raises(ValueError, match="version"):
        Cassette.load(path)


# ------------------------------------------------------------------------------ replay


async def test_replay_drives_a_client_and_its_approval_hook() -> None:
    replay = ReplayTransport(approval_session())
    seen: list[dict[str, Any]] = []

    def hook(params: Any) -> dict[str, Any]:
        seen.append(params)
        return {"decision": "decline"}

    async with AsyncCodexAgenticClient(transport=replay, on_command_approval=hook) as client:
        events = [event async for event in client.responses_events(prompt="hello")]

    assert [e.type for e in events] == [
        "thread/ready",
        "thread/started",
        "turn/started",
        "item/commandExecution/requestApproval",
        "serverRequest/resolved",
        "item/agentMessage/delta",
        "item/agentMessage/delta",
        "item/completed",
        "turn/completed",
    ]
    assert seen[0]["command"] == "touch x"
    (answer,) = replay.answers
    assert answer.method == "item/commandExecution/requestApproval"
    assert answer.result == {"decision": "decline"}  # what this client's hook said
    assert answer.recorded is not None and answer.recorded["result"] == {"decision": "accept"}
    replay.assert_played()


def test_replay_with_the_sync_client(tmp_path: Path) -> None:
    path = tmp_path / "c.jsonl"
    approval_session().save(path)
    replay = ReplayTransport(path)
    with CodexAgenticClient(transport=replay, on_command_approval=lambda p: {"decision": "accept"}) as client:
        result = client.responses_create(prompt="hello")
    assert (result.text, result.status, result.thread_id) == ("done", "completed", THREAD)
    replay.assert_played()


async def test_unrecorded_request_is_answered_with_an_error_not_a_hang() -> None:
    replay = ReplayTransport(approval_session(), match="params")
    async with AsyncCodexAgenticClient(transport=replay) as client:
        with pytest.raises(RpcError, match="replay: no recorded request left"):
            await client.request("model/list", {})
        with pytest.raises(RpcError, match="thread/start"):  # params differ: no match with match="params"
            await client.request("thread/start", {"approvalPolicy": "never"})
    assert [m["method"] for m in replay.unmatched] == ["model/list", "thread/start"]
    with pytest.raises(AssertionError, match="unmatched"):
        replay.assert_played()


async def test_replay_gives_up_when_the_client_goes_quiet() -> None:
    replay = ReplayTransport(approval_session(), wait_timeout=0.2)
    async with AsyncCodexAgenticClient(transport=replay) as client:
        await asyncio.sleep(0.4)  # the recording expects thread/start; it never comes
        assert replay.error is not None and "thread/start" in replay.error
        with pytest.raises(RpcError, match="stalled"):
            await client.request("thread/start", {})


async def test_replay_substitutes_the_clients_process_id() -> None:
    recorded = "sdk-recorded"
    delta = {"processId": recorded, "stream": "stdout", "deltaBase64": "aGkK", "capReached": False}
    cassette = Cassette(
        [
            c2s(0, {"id": 1, "method": "initialize", "params": {}}),
            s2c(0, {"id": 1, "result": {}}),
            c2s(
                0,
                {
                    "id": 2,
                    "method": "command/exec",
                    "params": {"command": ["echo", "hi"], "processId": recorded},
                },
            ),
            s2c(0, {"method": "command/exec/outputDelta", "params": delta}),
            s2c(0, {"id": 2, "result": {"exitCode": 0, "stdout": "", "stderr": ""}}),
        ]
    )
    async with AsyncCodexAgenticClient(transport=ReplayTransport(cassette)) as client:
        events = [e async for e in client.command_exec_events(["echo", "hi"])]
    assert [(e.type, e.data) for e in events] == [
        ("command/exec/outputDelta", b"hi\n"),
        ("command/exec/completed", b""),
    ]
    assert events[0].process_id != recorded


async def test_replay_keeps_the_recorded_pace_when_asked() -> None:
    entries = list(approval_session())
    paced = Cassette([*entries[:-1], CassetteEntry(entries[-2].t + 0.3, "s2c", entries[-1].message)])
    replay = ReplayTransport(paced, speed=1.0)
    started = time.monotonic()
    async with AsyncCodexAgenticClient(
        transport=replay, on_command_approval=lambda p: {"decision": "accept"}
    ) as c:
        await c.responses_create(prompt="hello")
    assert time.monotonic() - started >= 0.3


async def test_record_then_replay_gives_the_same_events(server: Any, tmp_path: Path) -> None:
    path = tmp_path / "live.jsonl"
    async with AsyncCodexAgenticClient(transport=RecordingTransport(server.transport, path)) as client:
        live = [(e.type, e.text_delta) async for e in client.responses_events(prompt="hi")]
    replay = ReplayTransport(path)
    async with AsyncCodexAgenticClient(transport=replay) as client:
        replayed = [(e.type, e.text_delta) async for e in client.responses_events(prompt="hi")]
    assert replayed == live
    replay.assert_played()
