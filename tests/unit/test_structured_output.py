"""Structured output (``responses_create(..., output_type=X)``) against the in-memory app-server: the
schema sent with the turn, the parsed and validated object for each kind of output type, the one repair
turn, and the error when that fails too."""

from __future__ import annotations

import enum
import json
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, Literal, TypedDict

import pytest
from pydantic import BaseModel, Field

from codex_python_sdk import (
    AgentResponse,
    AsyncCodexAgenticClient,
    Budget,
    BudgetExceededError,
    CodexAgenticClient,
    CodexAgenticError,
    MemoryTransport,
    OutputValidationError,
    ParsedResponse,
    TurnTimeoutError,
)
from codex_python_sdk._client._output import output_spec, strict_schema

from .conftest import FakeAppServer


class Size(enum.Enum):
    SMALL = "small"
    LARGE = "large"


@dataclass
class Line:
    name: str
    qty: int
    size: Size = Size.SMALL


@dataclass
class Order:
    lines: list[Line]
    note: str | None = None
    tags: list[str] = field(default_factory=list)


class Movie(TypedDict):
    title: str
    year: int


class Address(BaseModel):
    city: str


class Person(BaseModel):
    name: str = Field(description="full name")
    age: int
    home: Address = Field(description="where they live")
    nickname: str | None = None


PERSON_SCHEMA = {
    "type": "object",
    "properties": {"name": {"type": "string"}, "age": {"type": "integer", "minimum": 0}},
    "required": ["name", "age"],
    "additionalProperties": False,
}


def answering(server: FakeAppServer, *texts: str) -> None:
    """Answer each turn with the next text."""
    answers: Iterator[str] = iter(texts)

    def script(s: FakeAppServer, thread_id: str, turn_id: str) -> None:
        s.notify("turn/started", {"threadId": thread_id, "turn": {"id": turn_id, "status": "inProgress"}})
        s.agent_message(thread_id, turn_id, next(answers))
        s.complete(thread_id, turn_id)

    server.turn_script = script


def prompts(server: FakeAppServer) -> list[str]:
    return [p["input"][0]["text"] for p in server.sent("turn/start")]


# -- the schema sent ---------------------------------------------------------------------------------------
def test_a_dataclass_schema_follows_the_strict_rules_all_the_way_down() -> None:
    schema = output_spec(Order).schema

    line = schema["properties"]["lines"]["items"]
    assert schema["required"] == ["lines", "note", "tags"] and schema["additionalProperties"] is False
    assert line["required"] == ["name", "qty", "size"] and line["additionalProperties"] is False
    assert line["properties"]["size"] == {"enum": ["small", "large"], "type": "string"}
    assert schema["properties"]["note"] == {"anyOf": [{"type": "string"}, {"type": "null"}]}
    assert "default" not in json.dumps(schema)


def test_a_pydantic_schema_loses_defaults_and_ref_siblings_and_requires_every_field() -> None:
    schema = output_spec(Person).schema

    assert schema["required"] == ["name", "age", "home", "nickname"]
    assert schema["additionalProperties"] is False
    # {"$ref": ..., "description": ...} is not allowed in strict mode: the reference is inlined.
    home = schema["properties"]["home"]
    assert home["description"] == "where they live" and home["properties"] == {
        "city": {"title": "City", "type": "string"}
    }
    assert home["additionalProperties"] is False and "$ref" not in home
    assert "default" not in json.dumps(schema)


def test_strict_schema_keeps_data_that_looks_like_keywords_and_stops_at_recursion() -> None:
    schema: dict[str, Any] = {
        "$defs": {
            "Node": {
                "type": "object",
                "properties": {
                    "children": {"type": "array", "items": {"$ref": "#/$defs/Node", "title": "N"}}
                },
            }
        },
        "type": "object",
        "properties": {
            "default": {"type": "string", "enum": ["properties", "default"]},
            "tree": {"$ref": "#/$defs/Node", "description": "root"},
        },
    }

    strict = strict_schema(schema)

    assert strict["required"] == ["default", "tree"]  # a property named "default" stays
    assert strict["properties"]["default"]["enum"] == ["properties", "default"]
    tree = strict["properties"]["tree"]
    assert tree["description"] == "root" and tree["additionalProperties"] is False
    assert tree["properties"]["children"]["items"] == {"$ref": "#/$defs/Node"}
    assert schema["properties"]["tree"] == {"$ref": "#/$defs/Node", "description": "root"}  # not mutated


def test_the_schema_goes_with_the_turn_and_a_schema_dict_is_sent_as_given(
    server: FakeAppServer, make_client: Callable[..., AsyncCodexAgenticClient], run: Any
) -> None:
    answering(server, '{"name": "Ada", "age": 36}')

    async def main() -> ParsedResponse[Any]:
        async with make_client(default_turn_params={"effort": "low"}) as client:
            return await client.responses_create(prompt="who?", output_type=PERSON_SCHEMA)

    response = run(main())

    (params,) = server.sent("turn/start")
    assert params["outputSchema"] == PERSON_SCHEMA and params["effort"] == "low"
    assert response.output == {"name": "Ada", "age": 36}
    assert response.text == '{"name": "Ada", "age": 36}' and response.repaired_from is None
    assert isinstance(response, AgentResponse) and response.status == "completed"


# -- each kind, parsed and validated -----------------------------------------------------------------------
@pytest.mark.parametrize(
    ("output_type", "answer", "expected"),
    [
        (
            Order,
            '{"lines": [{"name": "tea", "qty": 2, "size": "large"}], "note": null, "tags": ["x"]}',
            Order(lines=[Line("tea", 2, Size.LARGE)], note=None, tags=["x"]),
        ),
        (Movie, '{"title": "Alien", "year": 1979}', {"title": "Alien", "year": 1979}),
        (
            Person,
            '{"name": "Ada", "age": 36, "home": {"city": "London"}, "nickname": null}',
            Person(name="Ada", age=36, home=Address(city="London")),
        ),
        (PERSON_SCHEMA, '```json\n{"name": "Ada", "age": 36}\n```', {"name": "Ada", "age": 36}),
    ],
    ids=["dataclass", "typeddict", "pydantic", "schema-fenced"],
)
def test_each_kind_of_output_type_returns_the_validated_object(
    server: FakeAppServer,
    make_client: Callable[..., AsyncCodexAgenticClient],
    run: Any,
    output_type: Any,
    answer: str,
    expected: Any,
) -> None:
    answering(server, answer)

    async def main() -> ParsedResponse[Any]:
        async with make_client() as client:
            parsed: ParsedResponse[Any] = await client.responses_create(prompt="go", output_type=output_type)
            return parsed

    response = run(main())

    assert response.output == expected and type(response.output) is type(expected)
    assert len(server.sent("turn/start")) == 1


# -- repair ------------------------------------------------------------------------------------------------
def test_an_invalid_answer_is_repaired_once_on_the_same_thread(
    server: FakeAppServer, make_client: Callable[..., AsyncCodexAgenticClient], run: Any
) -> None:
    answering(server, '{"title": "Alien", "year": "1979"}', '{"title": "Alien", "year": 1979}')

    async def main() -> ParsedResponse[Movie]:
        async with make_client() as client:
            return await client.responses_create(prompt="a film", output_type=Movie)

    response = run(main())

    first, second = server.sent("turn/start")
    assert response.output == {"title": "Alien", "year": 1979}
    assert second["threadId"] == first["threadId"] == response.thread_id
    assert second["outputSchema"] == first["outputSchema"]
    repair = prompts(server)[1]
    assert "$.year: expected integer, got '1979'" in repair and '"required":["title","year"]' in repair
    assert response.repaired_from is not None and response.repaired_from.text.endswith('"1979"}')
    assert len(server.sent("thread/start")) == 1


def test_two_invalid_answers_raise_with_the_raw_text_and_what_was_wrong(
    server: FakeAppServer, make_client: Callable[..., AsyncCodexAgenticClient], run: Any
) -> None:
    answering(server, "not json at all", '{"name": "Ada", "age": "old", "home": {"city": 3}}')

    async def main() -> None:
        async with make_client() as client:
            await client.responses_create(prompt="who?", output_type=Person)

    with pytest.raises(OutputValidationError) as caught:
        run(main())

    error = caught.value
    assert isinstance(error, CodexAgenticError)
    assert error.raw_text == '{"name": "Ada", "age": "old", "home": {"city": 3}}'
    assert error.response.text == error.raw_text and len(error.responses) == 2
    assert any(e.startswith("$.age: ") for e in error.errors)
    assert any(e.startswith("$.home.city: ") for e in error.errors)
    assert "also after a repair turn" in str(error)
    assert "the answer is not JSON" in prompts(server)[1]
    assert len(server.sent("turn/start")) == 2  # bounded: one repair, never more


def test_a_failing_post_init_check_is_a_validation_error(
    server: FakeAppServer, make_client: Callable[..., AsyncCodexAgenticClient], run: Any
) -> None:
    @dataclass
    class Positive:
        value: int

        def __post_init__(self) -> None:
            if self.value <= 0:
                raise ValueError("value must be positive")

    answering(server, '{"value": -1}', '{"value": 4}')

    async def main() -> ParsedResponse[Positive]:
        async with make_client() as client:
            return await client.responses_create(prompt="n", output_type=Positive)

    assert run(main()).output == Positive(4)
    assert "value must be positive" in prompts(server)[1]


def test_an_interrupted_turn_is_not_repaired(
    server: FakeAppServer, make_client: Callable[..., AsyncCodexAgenticClient], run: Any
) -> None:
    def script(s: FakeAppServer, thread_id: str, turn_id: str) -> None:
        s.agent_message(thread_id, turn_id, '{"title": "Ali')
        s.complete(thread_id, turn_id, "interrupted")

    server.turn_script = script

    async def main() -> None:
        async with make_client() as client:
            await client.responses_create(prompt="film", output_type=Movie)

    with pytest.raises(OutputValidationError, match="the turn was interrupted") as caught:
        run(main())
    assert caught.value.response.status == "interrupted" and len(server.sent("turn/start")) == 1


@pytest.mark.parametrize("bound", ["budget", "turn_timeout"])
def test_the_repair_turn_is_bounded_by_the_calls_budget_and_turn_timeout(
    server: FakeAppServer, make_client: Callable[..., AsyncCodexAgenticClient], run: Any, bound: str
) -> None:
    def script(s: FakeAppServer, thread_id: str, turn_id: str) -> None:
        s.notify("turn/started", {"threadId": thread_id, "turn": {"id": turn_id, "status": "inProgress"}})
        if len(s.sent("turn/start")) == 1:  # the first answer is not JSON; the repair turn runs away
            s.agent_message(thread_id, turn_id, "Alien, 1979")
            s.complete(thread_id, turn_id)

    server.turn_script = script
    limit: dict[str, Any] = (
        {"budget": Budget(max_seconds_per_turn=0.3)} if bound == "budget" else {"turn_timeout": 0.3}
    )

    async def main() -> None:
        async with make_client() as client:
            with pytest.raises(BudgetExceededError if bound == "budget" else TurnTimeoutError):
                await client.responses_create(prompt="film", output_type=Movie, **limit)
            await server.settle(lambda: server.sent("turn/interrupt"))

    run(main())
    first, repair = server.sent("turn/start")
    (interrupt,) = server.sent("turn/interrupt")
    assert repair["threadId"] == first["threadId"] == interrupt["threadId"]


# -- mistakes ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("output_type", [int, list, "Person", Literal["a"], object])
def test_an_unusable_output_type_fails_before_anything_is_sent(
    server: FakeAppServer, make_client: Callable[..., AsyncCodexAgenticClient], run: Any, output_type: Any
) -> None:
    async def main() -> None:
        async with make_client() as client:
            await client.responses_create(prompt="x", output_type=output_type)

    with pytest.raises(TypeError, match="output_type must be a pydantic model, a dataclass, a TypedDict"):
        run(main())
    assert server.sent("thread/start") == [] and server.sent("turn/start") == []


def test_output_type_and_an_output_schema_turn_param_conflict(
    server: FakeAppServer, make_client: Callable[..., AsyncCodexAgenticClient], run: Any
) -> None:
    async def main() -> None:
        async with make_client() as client:
            await client.responses_create(prompt="x", output_type=Movie, turn_params={"outputSchema": {}})

    with pytest.raises(ValueError, match="not both"):
        run(main())


# -- the sync client, and what is imported -----------------------------------------------------------------
def test_the_sync_client_returns_the_parsed_object(server: FakeAppServer) -> None:
    answering(server, '{"title": "Heat", "year": 1995}')
    server.transport = MemoryTransport(server._on_message)
    with CodexAgenticClient(transport=server.transport) as client:
        response = client.responses_create(prompt="film", output_type=Movie)
    assert response.output == {"title": "Heat", "year": 1995} and isinstance(response, ParsedResponse)


def test_structured_output_loads_only_when_used_and_never_imports_pydantic() -> None:
    code = """
import sys
from codex_python_sdk import CodexAgenticClient, AsyncCodexAgenticClient
lazy = ["codex_python_sdk._client._output", "codex_python_sdk.events._parsed", "codex_python_sdk.tools",
        "codex_python_sdk._client._handle", "codex_python_sdk._client._sync_handle",
        "codex_python_sdk._client._thread_options", "pydantic"]
print([m for m in lazy if m in sys.modules])
from dataclasses import dataclass
from codex_python_sdk._client._output import output_spec
@dataclass
class Point:
    x: int
print(output_spec(Point).parse('{"x": 1}'), "pydantic" in sys.modules)
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.splitlines() == ["[]", "(Point(x=1), []) False"]
