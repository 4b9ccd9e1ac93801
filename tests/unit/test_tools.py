"""``@tool``: schemas from signatures and docstrings, argument checks and conversion, results, registry."""

from __future__ import annotations

import asyncio
import base64
import enum
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal, TypedDict

import pytest

from codex_python_sdk import ImageInput, LocalImageInput, RequestContext, Tool, tool
from codex_python_sdk.protocol._answers import validate_answer as validate_result
from codex_python_sdk.tools import ToolError, ToolRegistry


class Unit(enum.Enum):
    C = "celsius"
    F = "fahrenheit"


@dataclass
class Point:
    x: float
    y: float = 0.0


class Window(TypedDict):
    start: int
    end: int


@tool
def forecast(
    city: str,
    days: int = 1,
    unit: Unit = Unit.C,
    detail: Literal["short", "long"] = "short",
    tags: list[str] | None = None,
    where: Point | None = None,
    window: Window | None = None,
    pair: tuple[int, str] = (0, ""),
    note: Annotated[str, "Free text for the forecaster."] = "",
) -> dict[str, Any]:
    """Forecast the weather for a city.

    Uses the local model.

    Args:
        city: The city name,
            e.g. "Paris".
        days (int): How many days ahead.
        unit: Temperature unit.
    """
    return {
        "city": city,
        "days": days,
        "unit": unit,
        "detail": detail,
        "tags": tags,
        "where": where,
        "window": window,
        "pair": pair,
        "note": note,
    }


def _call(t: Tool, arguments: Any, context: RequestContext | None = None) -> dict[str, Any]:
    result = asyncio.run(t.invoke(arguments, context))
    assert validate_result("item/tool/call", result) is None
    return result


def _text(result: dict[str, Any]) -> str:
    return "".join(i.get("text", "") for i in result["contentItems"])


def test_schema_and_description_from_signature_and_docstring() -> None:
    assert forecast.name == "forecast"
    assert forecast.description == "Forecast the weather for a city.\n\nUses the local model."
    schema = forecast.input_schema
    assert schema["required"] == ["city"] and schema["additionalProperties"] is False
    props = schema["properties"]
    assert props["city"] == {"type": "string", "description": 'The city name, e.g. "Paris".'}
    assert props["days"] == {"type": "integer", "description": "How many days ahead.", "default": 1}
    assert props["unit"]["enum"] == ["celsius", "fahrenheit"] and props["unit"]["type"] == "string"
    assert props["detail"]["enum"] == ["short", "long"]
    assert props["tags"] == {
        "anyOf": [{"type": "array", "items": {"type": "string"}}, {"type": "null"}],
        "default": None,
    }
    point = props["where"]["anyOf"][0]
    assert point["properties"] == {"x": {"type": "number"}, "y": {"type": "number"}} and point[
        "required"
    ] == ["x"]
    assert props["window"]["anyOf"][0]["required"] == ["end", "start"]
    assert props["pair"]["minItems"] == props["pair"]["maxItems"] == 2
    assert props["note"]["description"] == "Free text for the forecaster."
    assert forecast.spec() == {
        "type": "function",
        "name": "forecast",
        "description": forecast.description,
        "inputSchema": schema,
    }
    assert forecast("Oslo")["city"] == "Oslo"  # still a plain function


def test_arguments_are_checked_and_converted() -> None:
    result = _call(
        forecast,
        {
            "city": "Paris",
            "unit": "fahrenheit",
            "where": {"x": 1},
            "pair": [3, "z"],
            "tags": ["a"],
            "window": {"start": 1, "end": 2},
        },
    )
    assert result["success"] is True
    # The result dict is sent as JSON; the converted values show in it.
    sent = _text(result)
    assert (
        '"unit": "fahrenheit"' in sent
        and '"where": {"x": 1.0, "y": 0.0}' in sent
        and '"pair": [3, "z"]' in sent
    )
    bad = _call(forecast, {"city": "Paris", "unit": "kelvin"})
    assert bad["success"] is False and "Invalid arguments for tool forecast: $.unit" in _text(bad)
    missing = _call(forecast, {})
    assert missing["success"] is False and "missing required key 'city'" in _text(missing)
    extra = _call(forecast, {"city": "x", "colour": "red"})
    assert extra["success"] is False and "unexpected key 'colour'" in _text(extra)


def test_sync_tools_run_in_a_worker_thread_and_async_tools_on_the_loop() -> None:
    seen: list[str] = []

    @tool
    def blocking(n: int) -> str:
        """Block."""
        seen.append(threading.current_thread().name)
        return str(n * 2)

    @tool(name="async_double", description="Double asynchronously.")
    async def double(n: int) -> int:
        await asyncio.sleep(0)
        return n * 2

    assert _call(blocking, {"n": 2})["contentItems"] == [{"type": "inputText", "text": "4"}]
    assert seen[0] != threading.main_thread().name
    assert double.name == "async_double" and double.description == "Double asynchronously."
    assert _call(double, {"n": 21})["contentItems"] == [{"type": "inputText", "text": "42"}]


def test_failures_become_failed_tool_calls() -> None:
    @tool
    def boom() -> str:
        """Fail."""
        raise KeyError("nope")

    @tool
    def refuse() -> str:
        """Refuse."""
        raise ToolError("The user has no account here.")

    @tool(timeout=0.05)
    async def slow() -> str:
        """Take too long."""
        await asyncio.sleep(5)
        return "late"

    assert _text(_call(boom, {})) == "Tool boom failed: KeyError: 'nope'"
    assert _text(_call(refuse, {})) == "The user has no account here."
    assert _text(_call(slow, {})) == "Tool slow timed out after 0.05 s"
    assert not _call(slow, {})["success"]


def test_results_text_images_json_and_context(tmp_path: Path) -> None:
    png = tmp_path / "dot.png"
    png.write_bytes(b"\x89PNG\r\n\x1a\nfake")
    seen: list[Any] = []

    @tool
    def shot(context: RequestContext) -> list[Any]:
        """A screenshot and a caption."""
        seen.append(context)
        return ["caption", LocalImageInput(png), ImageInput("data:image/png;base64,AAAA")]

    assert "context" not in shot.input_schema["properties"]
    ctx = RequestContext(
        request_type="tool_call",
        method="item/tool/call",
        thread_id="th",
        turn_id="tu",
        item_id="call_1",
        params={},
        request_id=1,
    )
    items = _call(shot, {}, ctx)["contentItems"]
    assert items[0] == {"type": "inputText", "text": "caption"}
    assert items[1]["imageUrl"] == "data:image/png;base64," + base64.b64encode(png.read_bytes()).decode()
    assert items[2] == {"type": "inputImage", "imageUrl": "data:image/png;base64,AAAA"}
    assert seen == [ctx]

    @tool
    def remote() -> ImageInput:
        """A remote image: codex rejects those in tool output, so the call fails saying so."""
        return ImageInput("https://example.com/a.png")

    failed = _call(remote, {})
    assert failed["success"] is False and "only as data: URLs or local files" in _text(failed)

    @tool
    def numbers() -> list[int]:
        """Numbers."""
        return [1, 2]

    @tool
    def nothing() -> None:
        """Nothing."""

    assert _call(numbers, {})["contentItems"] == [{"type": "inputText", "text": "[1, 2]"}]
    assert _call(nothing, {}) == {"success": True, "contentItems": []}


def _varargs(*args: Any) -> None:
    """Varargs."""


def _plain(x: int) -> int:
    """Plain."""
    return x


@pytest.mark.parametrize(
    ("define", "message"),
    [
        (lambda: tool(_varargs), r"\*args"),
        (lambda: Tool(_plain, name="bad name"), "tool name 'bad name'"),
        (lambda: tool(timeout=0)(_plain), "timeout must be positive"),
    ],
)
def test_bad_tools_fail_when_defined(define: Any, message: str) -> None:
    with pytest.raises((TypeError, ValueError), match=message):
        define()


def test_unsupported_annotation_fails_when_defined() -> None:
    def f(x: complex) -> None:
        """F."""

    with pytest.raises(TypeError, match="parameter 'x'"):
        tool(f)


def test_docstring_styles() -> None:
    def rest(a: int, b: str) -> None:
        """Do it.

        :param a: the first
            and more.
        :param b: the second.
        :returns: nothing
        """

    def numpy(a: int) -> None:
        """Do it.

        Parameters
        ----------
        a : int
            The number.
        """

    assert tool(rest).input_schema["properties"]["a"]["description"] == "the first and more."
    assert tool(rest).input_schema["properties"]["b"]["description"] == "the second."
    assert tool(rest).description == "Do it."
    assert tool(numpy).input_schema["properties"]["a"]["description"] == "The number."


def test_explicit_schema_passes_arguments_as_given() -> None:
    @tool(input_schema={"type": "object", "properties": {"q": {"type": "string"}}, "required": ["q"]})
    def search(**kwargs: Any) -> str:
        """Search."""
        return repr(sorted(kwargs.items()))

    assert _text(_call(search, {"q": "x", "extra": 1})) == "[('extra', 1), ('q', 'x')]"
    assert not _call(search, {})["success"]


def test_registry_merges_client_and_thread_tools() -> None:
    @tool
    def a() -> str:
        """A."""
        return "client a"

    def b() -> str:
        """B."""
        return "thread b"

    @tool(name="a")
    def a2() -> str:
        """A for one thread."""
        return "thread a"

    registry = ToolRegistry([a])
    params: dict[str, Any] = {
        "dynamicTools": [b, a2, {"type": "function", "name": "raw", "description": "r", "inputSchema": {}}]
    }
    bind = registry.prepare(params)
    assert [t["name"] for t in params["dynamicTools"]] == ["b", "a", "raw"]
    bind("thread-1")
    assert registry.find("thread-1", "a") is a2
    assert registry.find("thread-2", "a") is a and registry.find("thread-2", "b") is None
    assert registry.find("thread-1", "raw") is None  # a raw spec is answered by on_tool_call
    plain: dict[str, Any] = {}
    registry.prepare(plain)
    assert [t["name"] for t in plain["dynamicTools"]] == ["a"]
    with pytest.raises(ValueError, match="given twice"):
        registry.prepare({"dynamicTools": [{"name": "a"}]})
    with pytest.raises(ValueError, match="two tools are named 'a'"):
        ToolRegistry([a, a2])


def test_client_registers_tools_and_answers_their_calls(server: Any, make_client: Any, run: Any) -> None:
    @tool
    def add(x: int, y: int) -> int:
        """Add two numbers."""
        return x + y

    @tool
    def secret() -> str:
        """Only on one thread."""
        return "s3cret"

    async def answer(rid: int) -> dict[str, Any]:
        for _ in range(400):
            for msg in server.responses():
                if msg.get("id") == rid:
                    return dict(msg)
            await asyncio.sleep(0.005)
        raise AssertionError(rid)

    def call(rid: int, thread: str, name: str, arguments: Any) -> None:
        params = {
            "threadId": thread,
            "turnId": "u",
            "callId": f"c{rid}",
            "tool": name,
            "arguments": arguments,
        }
        server.server_request(rid, "item/tool/call", params)

    async def main() -> list[dict[str, Any]]:
        async with make_client(
            tools=[add], on_tool_call=lambda p: {"success": True, "contentItems": []}
        ) as client:
            first = await client.thread_start()
            second = await client.thread_start(params={"dynamicTools": [secret]})
            t1, t2 = first.thread.id, second.thread.id
            call(0, t1, "add", {"x": 2, "y": 3})
            call(1, t1, "secret", {})  # not on this thread: the on_tool_call hook answers
            call(2, t2, "secret", {})
            call(3, t1, "add", {"x": "two", "y": 1})
            return [await answer(rid) for rid in range(4)]

    added, hooked, secret_answer, invalid = run(main())
    starts = server.sent("thread/start")
    assert [t["name"] for t in starts[0]["dynamicTools"]] == ["add"]
    assert [t["name"] for t in starts[1]["dynamicTools"]] == ["add", "secret"]
    assert added["result"] == {"success": True, "contentItems": [{"type": "inputText", "text": "5"}]}
    assert hooked["result"] == {"success": True, "contentItems": []}
    assert secret_answer["result"]["contentItems"][0]["text"] == "s3cret"
    assert invalid["result"]["success"] is False and "$.x" in invalid["result"]["contentItems"][0]["text"]
