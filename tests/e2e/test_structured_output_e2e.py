"""Structured output end to end: the real app-server, the fake model. For each kind of ``output_type`` the
schema reaches the model as codex's ``text.format`` and the answer comes back as the validated object; a
first invalid answer is repaired once on the same thread; two invalid answers raise."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, TypedDict

import pytest
from pydantic import BaseModel

from codex_python_sdk import OutputValidationError
from codex_python_sdk.testing import FakeModel, FakeModelClient, Reply

pytestmark = pytest.mark.e2e


@dataclass
class Dish:
    name: str
    spicy: bool


@dataclass
class Menu:
    dishes: list[Dish]
    price: float


class Movie(TypedDict):
    title: str
    year: int


class Person(BaseModel):
    name: str
    age: int


SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {"answer": {"type": "string", "enum": ["yes", "no"]}},
    "required": ["answer"],
    "additionalProperties": False,
}


@pytest.mark.parametrize(
    ("output_type", "answer", "expected"),
    [
        (
            Menu,
            {"dishes": [{"name": "curry", "spicy": True}], "price": 12.5},
            Menu([Dish("curry", True)], 12.5),
        ),
        (Movie, {"title": "Alien", "year": 1979}, {"title": "Alien", "year": 1979}),
        (Person, {"name": "Ada", "age": 36}, Person(name="Ada", age=36)),
        (SCHEMA, {"answer": "yes"}, {"answer": "yes"}),
    ],
    ids=["dataclass", "typeddict", "pydantic", "schema"],
)
def test_the_schema_reaches_the_model_and_the_answer_comes_back_validated(
    shared_client: FakeModelClient, shared_model: FakeModel, output_type: Any, answer: Any, expected: Any
) -> None:
    shared_model.add(Reply.text(json.dumps(answer), deltas=3))

    response = shared_client.responses_create(prompt="answer in JSON", output_type=output_type)

    assert response.output == expected and type(response.output) is type(expected)
    (request,) = shared_model.requests
    fmt = request.text_format
    assert fmt is not None and fmt["type"] == "json_schema" and fmt["strict"] is True
    schema = fmt["schema"]
    assert schema["type"] == "object" and schema["additionalProperties"] is False
    assert schema["required"] == list(schema["properties"])  # strict: every property required
    if output_type is SCHEMA:
        assert schema == SCHEMA  # a schema dict is sent as given


def test_a_first_invalid_answer_is_repaired_once_on_the_same_thread(
    shared_client: FakeModelClient, shared_model: FakeModel
) -> None:
    shared_model.add(
        Reply.text('{"name": "Ada", "age": "thirty-six"}'), Reply.text('{"name": "Ada", "age": 36}')
    )

    response = shared_client.responses_create(prompt="who is she?", output_type=Person)

    assert response.output == Person(name="Ada", age=36)
    assert response.repaired_from is not None and response.repaired_from.turn_id != response.turn_id
    first, second = shared_model.requests
    assert first.thread_id == second.thread_id == response.thread_id
    assert second.text_format == first.text_format  # the repair turn asks for the same schema
    assert second.prompts[0] == "who is she?"  # the same thread: the history is there
    repair = second.prompts[-1]
    assert "$.age: Input should be a valid integer" in repair and '"required":["name","age"]' in repair


def test_two_invalid_answers_raise_with_the_raw_text(
    shared_client: FakeModelClient, shared_model: FakeModel
) -> None:
    shared_model.add(Reply.text("Sure! Here it is: Alien (1979)"), Reply.text('{"title": "Alien"}'))

    with pytest.raises(OutputValidationError) as caught:
        shared_client.responses_create(prompt="a film", output_type=Movie)

    error = caught.value
    assert error.raw_text == '{"title": "Alien"}'
    assert error.errors == ["$: missing required key 'year'"]
    assert [r.text for r in error.responses] == ["Sure! Here it is: Alien (1979)", '{"title": "Alien"}']
    assert len(shared_model.requests) == 2  # one repair turn, no more
    assert "the answer is not JSON" in (shared_model.requests[1].last_user_text or "")
