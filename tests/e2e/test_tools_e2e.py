"""Python tools end to end: ``@tool`` functions registered with the real app-server and called by the model.

The model (a FakeModel) calls the tools by name; the assertions look at what the tool received and at what
reached the model in its next request (``model.tool_output(call_id)`` and the raw input items).
"""

from __future__ import annotations

import asyncio
import json
import struct
import threading
import time
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import pytest

from codex_python_sdk import LocalImageInput, RequestContext, tool
from codex_python_sdk.testing import FakeModel, FakeModelClient, Reply
from codex_python_sdk.tools import ToolError

pytestmark = pytest.mark.e2e

CALLS: list[tuple[str, Any]] = []


@dataclass
class Place:
    city: str
    country: str = "FR"


@tool
def get_weather(place: Place, unit: Literal["C", "F"] = "C") -> str:
    """Current weather of a place.

    Args:
        place: Where.
        unit: Temperature unit.
    """
    CALLS.append(("get_weather", place))
    return f"Sunny, 21 {unit} in {place.city} ({place.country})"


@tool
async def slow_lookup(key: str, context: RequestContext) -> dict[str, Any]:
    """Look a key up (slowly)."""
    CALLS.append(("slow_lookup", (key, context.thread_id, context.item_id, time.monotonic())))
    await asyncio.sleep(0.4)
    return {"key": key, "value": key.upper()}


@tool
def charge_card(amount: int) -> str:
    """Charge the user's card."""
    if amount > 100:
        raise ToolError("Amounts over 100 need the user's confirmation.")
    raise ConnectionError("payment service unreachable")


def _png(width: int = 2, height: int = 2) -> bytes:
    """A valid red PNG (codex decodes tool images; an invalid one is replaced by a note)."""
    rows = b"".join(b"\x00" + b"\xff\x00\x00" * width for _ in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


@pytest.fixture(scope="module")
def _model() -> Iterator[FakeModel]:
    with FakeModel() as model:
        yield model


@pytest.fixture(scope="module")
def _client(_model: FakeModel) -> Iterator[FakeModelClient]:
    with _model.client(tools=[get_weather, slow_lookup, charge_card]) as client:
        yield client


@pytest.fixture
def model(_model: FakeModel) -> Iterator[FakeModel]:
    _model.clear()
    CALLS.clear()
    yield _model
    _model.clear()


def test_a_tool_is_offered_called_and_its_result_reaches_the_model(
    _client: FakeModelClient, model: FakeModel
) -> None:
    call = Reply.tool_call("get_weather", {"place": {"city": "Paris"}, "unit": "C"})
    model.add(call, Reply.text("It is sunny."))

    result = _client.responses_create(prompt="weather in Paris?", include_events=True)

    assert result.status == "completed" and result.text == "It is sunny."
    assert [("get_weather", Place("Paris", "FR"))] == CALLS
    offered = {t["name"]: t for t in model.requests[0].tools if t.get("type") == "function"}
    params = offered["get_weather"]["parameters"]
    assert offered["get_weather"]["description"].startswith("Current weather of a place.")
    assert params["required"] == ["place"] and params["properties"]["unit"]["enum"] == ["C", "F"]
    assert {"get_weather", "slow_lookup", "charge_card"} <= set(offered)
    assert model.tool_output(call.call_id) == "Sunny, 21 C in Paris (FR)"
    (item,) = [i for i in result.items if i.get("type") == "dynamicToolCall"]
    assert item["success"] is True and item["tool"] == "get_weather"


def test_calls_run_concurrently_with_their_context(_client: FakeModelClient, model: FakeModel) -> None:
    # codex 0.163 runs one turn's dynamic tool calls one after another; turns on two threads call
    # concurrently, and the client runs those calls at the same time.
    calls = {
        "a": Reply.tool_call("slow_lookup", {"key": "a"}),
        "b": Reply.tool_call("slow_lookup", {"key": "b"}),
    }

    def respond(request: Any) -> Reply | None:
        prompt = request.prompts[-1] if request.prompts else ""
        key = prompt[-1:]
        return Reply.text(f"looked up {key}") if request.has_tool_output(calls[key].call_id) else calls[key]

    model.respond_with(respond)
    results: dict[str, Any] = {}

    def run(key: str) -> None:
        results[key] = _client.responses_create(prompt=f"look up {key}")

    workers = [threading.Thread(target=run, args=(key,)) for key in calls]
    started = time.monotonic()
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(30)
    elapsed = time.monotonic() - started

    assert {key: r.text for key, r in results.items()} == {"a": "looked up a", "b": "looked up b"}
    for key, call in calls.items():
        assert json.loads(model.tool_output(call.call_id) or "") == {"key": key, "value": key.upper()}
    seen = {key: (thread, item) for _name, (key, thread, item, _t) in CALLS}
    assert seen == {key: (results[key].thread_id, calls[key].call_id) for key in calls}
    starts = sorted(t for name, (_k, _th, _i, t) in CALLS)
    assert len(starts) == 2
    print(f"\ntwo 0.4 s tool calls on two threads: both turns done in {elapsed:.2f} s")


def test_failures_reach_the_model_as_failed_calls(_client: FakeModelClient, model: FakeModel) -> None:
    refused = Reply.tool_call("charge_card", {"amount": 500})
    broken = Reply.tool_call("charge_card", {"amount": 5})
    invalid = Reply.tool_call("get_weather", {"place": "Paris"})
    model.add(Reply.items(refused, broken, invalid), Reply.text("could not do it"))

    result = _client.responses_create(prompt="pay and check")

    assert result.status == "completed"
    assert model.tool_output(refused.call_id) == "Amounts over 100 need the user's confirmation."
    assert (
        model.tool_output(broken.call_id)
        == "Tool charge_card failed: ConnectionError: payment service unreachable"
    )
    assert (model.tool_output(invalid.call_id) or "").startswith(
        "Invalid arguments for tool get_weather: $.place"
    )
    failed = [i for i in result.items if i.get("type") == "dynamicToolCall"]
    assert [i["success"] for i in failed] == [False, False, False]
    assert CALLS == []  # an invalid call never reaches the function


def test_thread_tools_and_images(_client: FakeModelClient, model: FakeModel, tmp_path: Path) -> None:
    png = tmp_path / "chart.png"
    png.write_bytes(_png())

    @tool
    def draw_chart(title: str) -> list[Any]:
        """Draw a chart; returns a caption and the image."""
        return [f"chart: {title}", LocalImageInput(png)]

    call = Reply.tool_call("draw_chart", {"title": "sales"})
    model.add(
        call, Reply.text("here is the chart"), Reply.tool_call("draw_chart", {"title": "x"}), Reply.text("?")
    )

    result = _client.responses_create(prompt="draw", thread_params={"dynamicTools": [draw_chart]})

    assert result.text == "here is the chart"
    assert "draw_chart" in model.requests[0].tool_names and "get_weather" in model.requests[0].tool_names
    (output,) = [i for i in model.requests[1].input if i.get("type") == "function_call_output"]
    assert output["output"][0] == {"type": "input_text", "text": "chart: sales"}
    assert output["output"][1]["type"] == "input_image"
    assert output["output"][1]["image_url"].startswith("data:image/png;base64,")
    # Another thread of the same client does not have the thread's tool.
    other = _client.responses_create(prompt="draw elsewhere")
    assert other.text == "?"
    assert "draw_chart" not in model.requests[2].tool_names
    stray = model.requests[2].reply
    assert stray is not None  # codex itself refuses a tool the thread does not have
    assert model.requests[3].tool_output(stray.call_id) == "unsupported call: draw_chart"


def test_tools_keep_working_on_a_thread_resumed_by_another_client(_model: FakeModel) -> None:
    _model.clear()
    CALLS.clear()
    with _model.home() as home:
        with home.client(tools=[get_weather]) as first:
            _model.add(Reply.text("ready"))
            thread_id = first.responses_create(prompt="hello").thread_id
        call = Reply.tool_call("get_weather", {"place": {"city": "Oslo", "country": "NO"}})
        _model.add(call, Reply.text("cold"))
        with home.client(tools=[get_weather]) as second:
            result = second.responses_create(prompt="weather?", thread_id=thread_id)

    assert result.text == "cold"
    assert "get_weather" in _model.requests[1].tool_names  # codex kept the thread's tools
    assert _model.tool_output(call.call_id) == "Sunny, 21 C in Oslo (NO)"


def test_async_client_with_tools(_model: FakeModel) -> None:
    _model.clear()
    CALLS.clear()
    call = Reply.tool_call("slow_lookup", {"key": "z"})
    _model.add(call, Reply.text("done"))

    async def main() -> str:
        async with _model.async_client(tools=[slow_lookup]) as client:
            return (await client.responses_create(prompt="lookup")).text

    assert asyncio.run(main()) == "done"
    assert json.loads(_model.tool_output(call.call_id) or "") == {"key": "z", "value": "Z"}
    assert CALLS[0][1][0] == "z"
