"""The schema checker on the corners where it disagreed with draft 07 (found by the differential test)."""

from __future__ import annotations

import asyncio
from typing import Any, Literal

from codex_python_sdk import tool
from codex_python_sdk.protocol._schema_check import check


def test_enum_and_const_tell_true_from_1_at_any_depth() -> None:
    # Python has True == 1; JSON does not, so an answer of true must not pass for an enum of 1.
    assert check({"enum": [1, "one"]}, True) is not None
    assert check({"enum": [0]}, False) is not None
    assert check({"enum": [True]}, 1) is not None
    assert check({"enum": [[1]]}, [True]) is not None
    assert check({"const": {"a": [0, True]}}, {"a": [False, True]}) is not None
    assert check({"const": {"a": [0, True]}}, {"a": [0, 1]}) is not None
    # Numbers stay numbers: 1 and 1.0 are the same JSON value.
    assert check({"enum": [1, "one"]}, 1.0) is None
    assert check({"const": {"a": [0, True]}}, {"a": [0.0, True]}) is None
    assert check({"enum": [True, None]}, True) is None
    assert check({"enum": ["x", None]}, None) is None


def test_a_mixed_literal_tool_argument_rejects_a_bool() -> None:
    @tool
    def pick(mode: Literal["fast", 1]) -> str:
        """Pick a mode."""
        return repr(mode)

    result = asyncio.run(pick.invoke({"mode": True}))
    assert result["success"] is False
    assert (
        "Invalid arguments for tool pick: $.mode: True is not one of 'fast', 1"
        in result["contentItems"][0]["text"]
    )
    assert asyncio.run(pick.invoke({"mode": 1}))["contentItems"][0]["text"] == "1"


def test_ref_siblings_are_ignored_as_in_draft_07() -> None:
    schema = {
        "definitions": {"Small": {"type": "integer", "maximum": 5}},
        "properties": {"n": {"$ref": "#/definitions/Small", "minimum": 3, "description": "a number"}},
    }
    assert check(schema, {"n": 0}) is None
    assert check(schema, {"n": 6}) == "$.n: 6 is above the maximum 5"


def test_refs_resolve_into_dollar_defs() -> None:
    # The shape pydantic's model_json_schema() gives, as a tool's explicit input schema.
    schema: dict[str, Any] = {
        "$defs": {"Item": {"type": "object", "properties": {"id": {"type": "integer"}}, "required": ["id"]}},
        "type": "object",
        "properties": {"items": {"type": "array", "items": {"$ref": "#/$defs/Item"}}},
        "required": ["items"],
    }
    assert check(schema, {"items": [{"id": 1}]}) is None
    assert check(schema, {"items": [{"id": "1"}]}) == "$.items[0].id: expected integer, got '1'"

    @tool(input_schema=schema)
    def count(items: list[dict[str, int]]) -> int:
        """Count the items."""
        return len(items)

    assert asyncio.run(count.invoke({"items": [{"id": 1}, {"id": 2}]}))["contentItems"][0]["text"] == "2"


def test_items_as_a_list_checks_each_position_and_additional_items() -> None:
    pair = {"type": "array", "items": [{"type": "integer"}, {"type": "string"}]}
    assert check(pair, [1, "a"]) is None
    assert check(pair, [1, "a", None]) is None  # extra items are free unless additionalItems says no
    assert check(pair, [1]) is None
    assert check(pair, ["a", 1]) == "$[0]: expected integer, got 'a'"
    closed = {**pair, "additionalItems": False}
    assert check(closed, [1, "a", None]) == "$[2]: no value is allowed here"
    typed = {**pair, "additionalItems": {"type": "boolean"}}
    assert check(typed, [1, "a", True]) is None
    assert check(typed, [1, "a", 0]) == "$[2]: expected boolean, got 0"
