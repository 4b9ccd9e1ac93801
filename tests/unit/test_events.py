"""The typed events: one class per method, payload models, message texts, and the typed AgentResponse."""

from __future__ import annotations

import dataclasses
import importlib.util
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from codex_python_sdk import AgentResponse, ResponseEvent, events
from codex_python_sdk.events import (
    EVENT_CLASSES,
    ItemAgentMessageDeltaEvent,
    ItemCommandExecutionRequestApprovalEvent,
    ThreadReadyEvent,
    TurnCompletedEvent,
    UnknownEvent,
)
from codex_python_sdk.protocol import _registry as R
from codex_python_sdk.protocol._base import Model

ROOT = Path(__file__).resolve().parents[2]


def _msg(method: Any, params: Any = None, **extra: Any) -> dict[str, Any]:
    return {"method": method, "params": {} if params is None else params, **extra}


# -- dispatch ----------------------------------------------------------------------------------------------
def test_every_method_of_the_protocol_has_its_class() -> None:
    methods = [*R.NOTIFICATIONS, *R.SERVER_REQUESTS]
    assert len(R.NOTIFICATIONS) == 85
    assert set(EVENT_CLASSES) == {*methods, "thread/ready"}
    for method in methods:
        cls = EVENT_CLASSES[method]
        assert issubclass(cls, ResponseEvent) and cls.__slots__ == ()
        assert cls.__name__ in events.__all__ and getattr(events, cls.__name__) is cls
        event = ResponseEvent.from_notification(_msg(method), "t")
        assert type(event) is cls and isinstance(event, ResponseEvent)
        assert event.type == event.method == method
        assert not hasattr(event, "__dict__")  # no per-instance cost over ResponseEvent


@pytest.mark.parametrize(
    ("method", "model"),
    [*R.NOTIFICATIONS.items(), *((m, names[0]) for m, names in R.SERVER_REQUESTS.items())],
)
def test_payload_decodes_to_the_params_model_of_the_method(method: str, model: str) -> None:
    params = {"threadId": "t", "message": "m"}
    event = ResponseEvent.from_notification(
        _msg(method, params, id=7) if method in R.SERVER_REQUESTS else _msg(method, params)
    )
    payload = event.payload
    assert isinstance(payload, R.load_model(model)) and payload.to_wire() is params


def test_the_delta_hot_path_gives_the_delta_class() -> None:
    params = {"threadId": "t", "turnId": "u", "itemId": "i", "delta": "he"}
    event = ResponseEvent.from_notification(_msg("item/agentMessage/delta", params))
    assert type(event) is ItemAgentMessageDeltaEvent
    assert (event.text_delta, event.message_text, event.item_id, event.payload.delta) == (
        "he",
        "he",
        "i",
        "he",
    )
    odd = ResponseEvent.from_notification(_msg("item/agentMessage/delta", {**params, "turnId": 5}))
    assert type(odd) is ItemAgentMessageDeltaEvent and odd.turn_id is None  # the slow path, same class


@pytest.mark.parametrize(
    "msg",
    [
        _msg("codex/event/agent_message", {"msg": {"message": "hi"}}),
        _msg("some/futureMethod", {"a": [1]}),
        _msg(None, {"a": 1}),
        _msg(["not", "hashable"], {"a": 1}),
        {"params": "not a dict"},
    ],
)
def test_unknown_or_malformed_methods_give_the_unknown_class_with_raw_params(msg: dict[str, Any]) -> None:
    event = ResponseEvent.from_notification(msg)
    assert type(event) is UnknownEvent
    assert event.type == (msg.get("method") if isinstance(msg.get("method"), str) else "")
    params = msg.get("params")
    assert event.payload == (params if isinstance(params, dict) else {})


def test_server_requests_in_a_stream_keep_their_id() -> None:
    params = {"threadId": "t", "turnId": "u", "itemId": "c", "command": "ls", "reason": "look around"}
    event = ResponseEvent.from_notification(_msg("item/commandExecution/requestApproval", params, id=4))
    assert type(event) is ItemCommandExecutionRequestApprovalEvent
    assert (event.request_id, event.phase, event.message_text) == (4, "tool", "look around")
    assert event.payload.command == "ls"


def test_events_built_directly_keep_the_seeds_fields_and_equality() -> None:
    params = {"threadId": "t", "turnId": "u", "itemId": "i", "delta": "x"}
    msg = _msg("item/agentMessage/delta", params)
    typed = ResponseEvent.from_notification(msg)
    plain = ResponseEvent(
        "item/agentMessage/delta", "assistant", "x", "x", thread_id="t", turn_id="u", item_id="i", raw=msg
    )
    assert type(plain) is ResponseEvent and plain == typed and typed == plain
    assert plain.payload == params and type(plain.payload).__name__ == "AgentMessageDeltaNotification"
    assert ResponseEvent("x") != typed and typed != ItemAgentMessageDeltaEvent("item/agentMessage/delta")
    with pytest.raises(TypeError):
        hash(typed)
    assert ResponseEvent("x").payload == {} and ResponseEvent("x", raw=None).params == {}
    ready = ThreadReadyEvent("thread/ready", thread_id="t", raw={"threadId": "t"})
    assert ready.payload == {"threadId": "t"} and ResponseEvent.from_notification(_msg("thread/ready")).type


def test_typed_events_in_streams_listeners_and_kept_events(server: Any, make_client: Any, run: Any) -> None:
    def script(s: Any, tid: str, turn: str) -> None:
        question = {"id": "a", "question": "Which one?"}
        base = {"threadId": tid, "turnId": turn, "itemId": "q", "isBlocking": True}
        s.server_request(90, "item/tool/requestUserInput", {**base, "questions": [question]})
        s.agent_message(tid, turn, "ok", deltas=2)
        s.notify("warning", {"threadId": tid, "message": "careful"})
        s.complete(tid, turn)

    server.turn_script = script

    async def main() -> tuple[list[ResponseEvent], list[ResponseEvent], AgentResponse]:
        async with make_client() as client:
            listener = client.notifications(["warning"])
            streamed = [e async for e in client.responses_events(prompt="x")]
            heard = [await listener.__anext__()]
            await listener.aclose()
            response = await client.responses_create(prompt="y", include_events=True)
            return streamed, heard, response

    streamed, heard, response = run(main())
    kinds = [type(e).__name__ for e in streamed]
    assert kinds[0] == "ThreadReadyEvent" and kinds[-1] == "TurnCompletedEvent"
    assert "ItemToolRequestUserInputEvent" in kinds and "ItemAgentMessageDeltaEvent" in kinds
    assert not any(isinstance(e, UnknownEvent) for e in streamed)
    asked = next(e for e in streamed if e.type == "item/tool/requestUserInput")
    assert asked.message_text == "Which one?" and asked.request_id == 90
    assert [type(e).__name__ for e in heard] == ["WarningEvent"] and heard[0].message_text == "careful"
    assert response.events is not None and type(response.events[0]) is ThreadReadyEvent
    assert type(response.events[-1]) is TurnCompletedEvent


# -- message_text: every kind, with params shaped like its schema ----------------------------------------
def _load_generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "generate_protocol", ROOT / "scripts" / "generate_protocol.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def bundle() -> dict[str, Any]:
    gen = _load_generator()
    exp: dict[str, Any] = gen.read_schemas(gen.codex_binary())[1]
    return exp


def _sample(bundle: dict[str, Any], schema: dict[str, Any], key: str = "", depth: int = 0) -> Any:
    """A value shaped like ``schema``: every property, the first option of a union, ``"<key>"`` strings."""
    if not isinstance(schema, dict):  # ``true``: anything
        return None
    while "$ref" in schema:
        node: Any = bundle
        for part in schema["$ref"].removeprefix("#/").split("/"):
            node = node[part]
        schema = node
    options = schema.get("oneOf") or schema.get("anyOf")
    if options:
        real = [o for o in options if o.get("type") != "null"]
        return _sample(bundle, real[0], key, depth) if real else None
    if "enum" in schema or "const" in schema:
        return schema["enum"][0] if "enum" in schema else schema["const"]
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), None)
    if kind == "object" or (kind is None and "properties" in schema):
        if depth > 4:
            return {}
        props = schema.get("properties", {})
        return {name: _sample(bundle, sub, name, depth + 1) for name, sub in props.items()}
    if kind == "array":
        return [_sample(bundle, schema.get("items", {}), key, depth + 1)] if depth <= 4 else []
    return {"string": f"<{key}>", "integer": 3, "number": 1.5, "boolean": True}.get(str(kind))


def _params(bundle: dict[str, Any], union: str, method: str) -> dict[str, Any]:
    for variant in bundle["definitions"][union]["oneOf"]:
        if variant["properties"]["method"]["enum"] == [method]:
            params: dict[str, Any] = _sample(bundle, variant["properties"]["params"])
            return params
    raise KeyError(method)


# Kinds with text -> the sample strings their message_text must contain (or the whole text, for the
# texts the SDK composes).
TEXTS: dict[str, list[str] | str] = {
    "item/completed": "<text>",  # with an agentMessage item (below)
    "turn/completed": "<message>",
    "thread/name/updated": "thread name: <threadName>",
    "thread/tokenUsage/updated": "last=3, total=3",
    "turn/diff/updated": "+0 -0",
    "item/reasoning/summaryPartAdded": "summary part #3",
    "thread/compacted": "thread compacted",
    "turn/plan/updated": "<explanation>, steps=1, pending=1",
    "error": "<message>",
    "warning": "<message>",
    "guardianWarning": "<message>",
    "configWarning": "<summary>: <details>",
    "deprecationNotice": "<summary>: <details>",
    "windows/worldWritableWarning": "the scan for world-writable directories failed",
    "model/rerouted": ["<fromModel>", "<toModel>", "highRiskCyberActivity"],
    "modelProvider/authRecoveryStarted": "<message>",
    "modelProvider/authRecoveryCompleted": "<message>",
    "thread/realtime/error": "<message>",
    "thread/realtime/closed": "<reason>",
    "thread/realtime/transcript/done": "<text>",
    "thread/realtime/transcript/delta": "<delta>",
    "thread/realtime/item/transcript/delta": "<delta>",
    "item/mcpToolCall/progress": "<message>",
    "item/autoApprovalReview/completed": ["<rationale>"],
    "hook/started": "<statusMessage>",
    "hook/completed": "<statusMessage>",
    "mcpServer/startupStatus/updated": "MCP server <name>: starting: <error>",
    "mcpServer/oauthLogin/completed": "MCP server <name> login succeeded: <error>",
    "account/login/completed": "login succeeded: <error>",
    "account/gatewayOAuth/changed": ["gateway OAuth <providerId>: ", ": <error>"],
    "windowsSandbox/setupCompleted": "Windows sandbox setup succeeded: <error>",
    "thread/goal/updated": "<objective>",
    "thread/prediction/updated": "<text>",
    "item/agentMessage/delta": "<delta>",
    "item/plan/delta": "<delta>",
    "item/reasoning/summaryTextDelta": "<delta>",
    "item/reasoning/textDelta": "<delta>",
    "item/commandExecution/outputDelta": "<delta>",
    "item/fileChange/outputDelta": "<delta>",
    # server requests shown in the stream
    "item/commandExecution/requestApproval": "<reason>",
    "item/fileChange/requestApproval": "<reason>",
    "item/permissions/requestApproval": "<reason>",
    "execCommandApproval": "<reason>",
    "applyPatchApproval": "<reason>",
    "item/tool/requestUserInput": "<question>",
    "mcpServer/elicitation/request": "<title>",  # a user verification (the first variant)
}
# Kinds without human text although their params carry a text-like key, and why.
NO_TEXT = {
    "item/started": "an item's text arrives with item/completed",
    "item/autoApprovalReview/started": "a review has its rationale when completed",
}
# Samples whose first union option is not the one with text.
OVERRIDES: dict[str, dict[str, Any]] = {
    "item/completed": {"item": {"type": "agentMessage", "id": "i", "text": "<text>"}},
    "item/started": {"item": {"type": "agentMessage", "id": "i", "text": "<text>"}},
    "windows/worldWritableWarning": {"failedScan": True},
}
TEXT_LIKE = (
    "message",
    "summary",
    "text",
    "details",
    "reason",
    "error",
    "statusMessage",
    "rationale",
    "objective",
)


def _text_like(params: dict[str, Any]) -> list[str]:
    """Free-text fields (not enum values) among the params and one level down."""

    def free(value: Any) -> bool:
        return isinstance(value, str) and value.startswith("<")

    found = [k for k in TEXT_LIKE if free(params.get(k))]
    for key, value in params.items():
        if isinstance(value, dict):
            found += [f"{key}.{k}" for k in TEXT_LIKE if free(value.get(k))]
    return found


def test_message_text_of_every_kind(bundle: dict[str, Any]) -> None:
    kinds = [(m, "ServerNotification") for m in R.NOTIFICATIONS]
    kinds += [(m, "ServerRequest") for m in R.SERVER_REQUESTS]
    assert set(TEXTS) | set(NO_TEXT) <= {m for m, _ in kinds}
    for method, union in kinds:
        params = {**_params(bundle, union, method), **OVERRIDES.get(method, {})}
        msg = _msg(method, params, id=1) if union == "ServerRequest" else _msg(method, params)
        text = ResponseEvent.from_notification(msg).message_text
        expected = TEXTS.get(method)
        if isinstance(expected, str):
            assert text == expected, method
        elif expected is not None:
            assert text is not None and all(part in text for part in expected), (method, text)
        else:
            assert text is None, (method, text)
            hints = _text_like(params)
            assert not hints or method in NO_TEXT, f"{method} has {hints}: give it a message_text or a reason"
            assert hints or method not in NO_TEXT, f"{method} needs no entry in NO_TEXT"


def test_message_text_of_elicitations_and_the_plain_cases() -> None:
    def text(method: str, **params: Any) -> str | None:
        return ResponseEvent.from_notification(_msg(method, params, id=1)).message_text

    assert text("mcpServer/elicitation/request", mode="form", message="Allow?") == "Allow?"
    assert text("model/rerouted", fromModel="a", toModel="b", reason="r") == "model rerouted from a to b (r)"
    assert text("windows/worldWritableWarning", samplePaths=["/a", "/b"], extraCount=2, failedScan=False) == (
        "world-writable directories: /a, /b (+2 more)"
    )
    assert text("account/login/completed", success=False, error="denied") == "login failed: denied"
    assert text("configWarning", summary="bad key") == "bad key"
    assert (
        text("item/tool/requestUserInput", questions=[{"question": "A?"}, 5, {"question": "B?"}]) == "A?; B?"
    )
    for method in (
        "warning",
        "model/rerouted",
        "mcpServer/startupStatus/updated",
        "account/gatewayOAuth/changed",
    ):
        assert text(method, message=[1], fromModel={}, name=None, status=3) is None, method


# -- AgentResponse -----------------------------------------------------------------------------------------
def test_agent_response_wraps_usage_and_items_and_stays_a_seed_dataclass() -> None:
    usage = {"total": {"totalTokens": 15}, "last": {"totalTokens": 5}}
    items = [{"type": "userMessage", "id": "u"}, {"type": "agentMessage", "id": "m", "text": "hi"}]
    response = AgentResponse(text="hi", thread_id="t", usage=usage, items=items)
    assert response.usage is not None and response.usage["total"]["totalTokens"] == 15
    assert response.usage.total.total_tokens == 15 and response.usage == usage
    assert response.items[0]["type"] == "userMessage" and response.items == items
    assert [type(i).__name__ for i in response.items] == ["UserMessageThreadItem", "AgentMessageThreadItem"]
    assert response.typed_items == response.items
    assert response.final_message == items[1]
    assert [f.name for f in dataclasses.fields(AgentResponse)] == [
        "text", "thread_id", "request_id", "tool_name", "raw", "events", "turn_id", "status", "error",
        "usage", "items", "diff", "turn_usage",  # new fields only at the end: positional calls keep working
    ]  # fmt: skip
    again = dataclasses.replace(response, text="other")
    assert again.items == items and again.usage == usage and again != response
    assert AgentResponse(text="hi", thread_id="t", usage=usage, items=items) == response
    plain = AgentResponse("t", "th")
    assert (plain.usage, plain.items, plain.typed_items) == (None, [], [])
    plain.items.append({"type": "agentMessage", "id": "late", "text": "t"})  # type: ignore[arg-type]
    assert type(plain.typed_items[0]).__name__ == "AgentMessageThreadItem"
    assert isinstance(response.usage, Model) and dataclasses.asdict(response)["usage"] == usage


def test_generated_events_module_is_up_to_date() -> None:
    proc = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "generate_events.py"), "--check"],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
