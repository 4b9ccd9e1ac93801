"""The home-made schema checker agrees with jsonschema (Draft 7) on what is a valid instance.

Covers every answer schema of the server requests, the input schemas ``tool`` builds from annotations and
a few hand-written schemas for the corners of each keyword the checker implements. Instances come from
hypothesis: values built from the schema (valid ones), mutations of them (wrong types, missing or extra
keys, bools for numbers, out-of-range numbers, another variant's tag) and arbitrary JSON.
"""

from __future__ import annotations

import dataclasses
import enum
import functools
import math
from collections.abc import Callable, Mapping
from typing import Any, Literal, TypedDict

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonschema import Draft7Validator

from codex_python_sdk.protocol._schema_check import check
from codex_python_sdk.protocol._server_request_schemas import DEFINITIONS, RESPONSES
from codex_python_sdk.tools import tool

# Fixed examples (derandomize) so a run is reproducible; no example database is written into the tree.
# Each test sets its own max_examples: enough to find the old bugs, few enough for a busy 2-core machine.
_SETTINGS = settings(
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
)


# -- the schemas under test ----------------------------------------------------------------------------
class Colour(enum.Enum):
    RED = "red"
    BLUE = "blue"


class Level(enum.IntEnum):
    LOW = 1
    HIGH = 2


@dataclasses.dataclass
class Point:
    x: float
    y: float = 0.0
    label: str | None = None


class Options(TypedDict, total=False):
    depth: int
    tags: list[str]


def plot(points: list[Point], colour: Colour = Colour.RED, scale: float = 1.0, steps: int = 3) -> str:
    """Plot points."""
    return ""


def pick(mode: Literal["fast", 1, None], level: Level, flag: bool | None = None) -> str:
    """Pick a mode (a mixed Literal: no single JSON type)."""
    return ""


def configure(
    options: Options, weights: dict[str, float], pair: tuple[int, str], anything: Any = None
) -> str:
    """Configure things."""
    return ""


def answer(choice: Literal[True, 0, "no"], count: int | float, names: frozenset[str] = frozenset()) -> str:
    """Answer with a mixed Literal of a bool and an int."""
    return ""


TOOL_SCHEMAS: dict[str, dict[str, Any]] = {
    f.__name__: tool(f).input_schema for f in (plot, pick, configure, answer)
}

# Hand-written corners of the keywords; each root carries its own definitions, as a tool schema would.
EDGE_SCHEMAS: dict[str, dict[str, Any]] = {
    "mixed_enum": {"enum": [1, "one", None, [1], {"a": 0}]},
    "bool_enum": {"enum": [True, [False], {"k": True}]},
    "const_nested": {"const": {"a": [1, True], "b": 0}},
    "integer_min_float": {"type": "integer", "minimum": 1.0, "maximum": 10},
    "number_range": {"type": "number", "minimum": -1.5, "maximum": 2.5},
    "range_without_type": {"minimum": 0, "maximum": 1, "minLength": 2, "maxItems": 1},
    "nullable_list": {"type": ["integer", "null", "boolean"]},
    "one_of_overlap": {"oneOf": [{"type": "integer"}, {"type": "number", "minimum": 0}]},
    "any_of_mixed": {"anyOf": [{"type": "string", "maxLength": 2}, {"type": "array", "maxItems": 1}]},
    "ref_siblings": {
        "definitions": {"Small": {"type": "integer", "maximum": 5}},
        "properties": {"n": {"$ref": "#/definitions/Small", "minimum": 3, "type": "number"}},
    },
    "dollar_defs": {
        "$defs": {"Item": {"type": "object", "properties": {"id": {"type": "integer"}}, "required": ["id"]}},
        "type": "object",
        "properties": {"items": {"type": "array", "items": {"$ref": "#/$defs/Item"}}},
        "required": ["items"],
    },
    "additional_schema": {
        "type": "object",
        "properties": {"fixed": {"type": "string"}},
        "additionalProperties": {"type": "boolean"},
    },
    "closed_object": {
        "type": "object",
        "properties": {"a": {"type": "integer"}, "b": False},
        "required": ["a"],
        "additionalProperties": False,
    },
    "required_only": {"required": ["a"], "properties": {"a": {"type": "string"}}},
    "all_of": {"allOf": [{"type": "object", "required": ["x"]}, {"properties": {"x": {"const": 0}}}]},
    "arrays": {"type": "array", "items": {"type": ["string", "null"]}, "minItems": 1, "maxItems": 3},
    "strings": {"type": "string", "minLength": 1, "maxLength": 3},
    "tuple_items": {"type": "array", "items": [{"type": "integer"}, {"enum": ["a", 0]}]},
    "closed_tuple": {"items": [{"type": "boolean"}], "additionalItems": False},
    "open_tuple": {"type": "array", "items": [{"type": "null"}], "additionalItems": {"type": "string"}},
}


def _collect(node: Any, words: set[Any], keys: set[str]) -> None:
    """The enum/const values and property names used anywhere in ``node`` (near misses for mutations)."""
    if isinstance(node, list):
        for child in node:
            _collect(child, words, keys)
    elif isinstance(node, dict):
        for name in ("enum", "const"):
            if name in node:
                values = node[name] if name == "enum" else [node[name]]
                words.update(v for v in values if isinstance(v, (str, int, float, type(None))))
        keys.update(node.get("properties") or {})
        for key, child in node.items():
            if key not in ("enum", "const"):
                _collect(child, words, keys)


_WORDS: set[Any] = set()
_KEY_NAMES: set[str] = set()
_collect([RESPONSES, DEFINITIONS, TOOL_SCHEMAS, EDGE_SCHEMAS], _WORDS, _KEY_NAMES)
# Sorting mixed types needs a key; repr gives a stable order for the fixed examples.
_NEAR_WORDS = sorted(_WORDS, key=repr)


# -- instances -------------------------------------------------------------------------------------------
_KEYS = st.sampled_from(sorted(_KEY_NAMES)) | st.text(alphabet="abxyz_", min_size=1, max_size=4)
_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**40), max_value=2**40)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=4)
    | st.sampled_from(_NEAR_WORDS)
)
JSON: st.SearchStrategy[Any] = st.recursive(
    _SCALARS,
    lambda inner: st.lists(inner, max_size=2) | st.dictionaries(_KEYS, inner, max_size=2),
    max_leaves=4,
)


def from_schema(schema: Any, defs: Mapping[str, Any], depth: int = 0) -> st.SearchStrategy[Any]:
    """Values of ``schema`` (valid ones, for the keywords the schemas here use)."""
    if not isinstance(schema, Mapping) or depth > 40:
        return JSON
    if "$ref" in schema:  # Draft 7: a $ref's siblings are ignored
        return from_schema(defs[schema["$ref"].rsplit("/", 1)[-1]], defs, depth + 1)
    if "const" in schema:
        return st.just(schema["const"])
    if "enum" in schema:
        return st.sampled_from(schema["enum"])
    variants = schema.get("oneOf") or schema.get("anyOf")
    if variants:
        return st.one_of([from_schema(v, defs, depth + 1) for v in variants])
    if schema.get("allOf"):
        merged: dict[str, Any] = {}
        for part in schema["allOf"]:
            merged.update(defs[part["$ref"].rsplit("/", 1)[-1]] if "$ref" in part else part)
        return from_schema(merged, defs, depth + 1)
    kinds = schema.get("type")
    if kinds is None:
        kinds = "object" if "properties" in schema else None
    if kinds is None:
        return JSON
    names = [kinds] if isinstance(kinds, str) else kinds
    return st.one_of([_of_type(name, schema, defs, depth) for name in names])


def _of_type(
    name: str, schema: Mapping[str, Any], defs: Mapping[str, Any], depth: int
) -> st.SearchStrategy[Any]:
    low, high = schema.get("minimum"), schema.get("maximum")
    if name == "integer":
        ints = st.integers(
            min_value=None if low is None else math.ceil(low),
            max_value=None if high is None else math.floor(high),
        )
        # 3.0 is an integer in JSON Schema
        return ints | ints.filter(lambda i: abs(i) < 2**53).map(float)
    if name == "number":
        return st.integers(
            min_value=None if low is None else math.ceil(low),
            max_value=None if high is None else math.floor(high),
        ) | st.floats(min_value=low, max_value=high, allow_nan=False, allow_infinity=False)
    if name == "string":
        short = schema.get("minLength", 0)
        return st.text(min_size=short, max_size=schema.get("maxLength", short + 3))
    if name == "boolean":
        return st.booleans()
    if name == "null":
        return st.none()
    if name == "array" and isinstance(schema.get("items"), list):
        head = st.tuples(*(from_schema(item, defs, depth + 1) for item in schema["items"]))
        rest = schema.get("additionalItems", True)
        tail = st.just([]) if rest is False else st.lists(from_schema(rest, defs, depth + 1), max_size=2)
        return st.tuples(head, tail).map(lambda parts: [*parts[0], *parts[1]])
    if name == "array":
        fewest = schema.get("minItems", 0)
        return st.lists(
            from_schema(schema.get("items", True), defs, depth + 1),
            min_size=fewest,
            max_size=schema.get("maxItems", fewest + 2),
        )
    if name == "object":
        return _object(schema, defs, depth)
    return JSON


def _object(schema: Mapping[str, Any], defs: Mapping[str, Any], depth: int) -> st.SearchStrategy[Any]:
    properties: Mapping[str, Any] = schema.get("properties") or {}
    required = set(schema.get("required") or ())
    fields = {k: from_schema(properties.get(k, True), defs, depth + 1) for k in sorted(required)}
    optional = {
        k: from_schema(v, defs, depth + 1)
        for k, v in sorted(properties.items())
        if k not in required and v is not False
    }
    extra_schema = schema.get("additionalProperties", True)
    extra_keys = _KEYS.filter(lambda k: k not in properties)
    extras: st.SearchStrategy[dict[str, Any]] = (
        st.just({})
        if extra_schema is False
        else st.dictionaries(extra_keys, from_schema(extra_schema, defs, depth + 1), max_size=1)
    )
    return st.tuples(st.fixed_dictionaries(fields, optional=optional), extras).map(
        lambda parts: {**parts[1], **parts[0]}
    )


def _close(value: Any) -> list[Any]:
    """What a careless answer sends instead of ``value``: its type's neighbours and the next range step."""
    if isinstance(value, bool):
        return [int(value), float(value), str(value).lower(), None]
    if isinstance(value, int):
        return [bool(value % 2), float(value), value - 1, value + 1, value + 0.5, str(value)]
    if isinstance(value, float):
        whole = math.floor(value) if abs(value) < 2**53 else 0
        return [whole, value - 1, value + 1, -value, bool(value), str(value)]
    if isinstance(value, str):
        return [value + "x", "", value.upper(), 1, None, [value]]
    if value is None:
        return [False, 0, "", "null", []]
    return [[], {}, None, [value]]


def _mutate(draw: st.DrawFn, value: Any) -> list[Any]:
    """Variants of ``value`` differing in one place, drawn by hypothesis: each close twin of that place
    (cheap to check, and where the bugs were), plus one arbitrary replacement."""
    how = draw(st.integers(min_value=0, max_value=4))
    if isinstance(value, dict) and value and how < 3:
        key = draw(st.sampled_from(sorted(value)))
        if how == 0:  # a missing key
            return [{k: v for k, v in value.items() if k != key}]
        return [{**value, key: v} for v in _mutate(draw, value[key])]
    if isinstance(value, dict) and how == 3:  # an extra key
        return [{**value, draw(_KEYS): draw(JSON)}]
    if isinstance(value, list) and value and how < 3:
        index = draw(st.integers(min_value=0, max_value=len(value) - 1))
        if how == 0:
            return [value[:index] + value[index + 1 :]]
        return [[*value[:index], v, *value[index + 1 :]] for v in _mutate(draw, value[index])]
    if isinstance(value, list) and how == 3:
        return [[*value, draw(JSON)]]
    return [*_close(value), draw(st.sampled_from(_NEAR_WORDS) | JSON)]


@st.composite
def _mutated(draw: st.DrawFn, base: st.SearchStrategy[Any]) -> list[Any]:
    return _mutate(draw, draw(base))


@functools.cache
def _instances(group: str, name: str) -> st.SearchStrategy[tuple[bool, list[Any]]]:
    """(valid by construction, instances): values built from the schema, mutations of them or any JSON."""
    schema, defs = _schema(group, name)
    valid = from_schema(schema, defs)
    # The corner schemas have overlapping oneOf forms, which the generator does not avoid.
    exact = group != "edge"
    return st.one_of(
        valid.map(lambda v: (exact, [v])),
        _mutated(valid).map(lambda vs: (False, vs)),
        JSON.map(lambda v: (False, [v])),
    )


def _schema(group: str, name: str) -> tuple[dict[str, Any], Mapping[str, Any]]:
    if group == "answer":
        return RESPONSES[name], DEFINITIONS
    schema = (TOOL_SCHEMAS if group == "tool" else EDGE_SCHEMAS)[name]
    return schema, {**schema.get("definitions", {}), **schema.get("$defs", {})}


@functools.cache
def _reference(group: str, name: str) -> Callable[[Any], bool]:
    schema, _ = _schema(group, name)
    # The answers' refs point into the shared DEFINITIONS; the other roots carry their own.
    root = {**schema, "definitions": DEFINITIONS} if group == "answer" else schema
    Draft7Validator.check_schema(root)
    validator = Draft7Validator(root)
    return lambda instance: bool(validator.is_valid(instance))


def _agree(group: str, name: str, built: bool, instance: Any) -> None:
    schema, _ = _schema(group, name)
    expected = _reference(group, name)(instance)
    # The answers are checked with the shared definitions given, tool inputs with the schema alone.
    problem = check(schema, instance, DEFINITIONS) if group == "answer" else check(schema, instance)
    assert (problem is None) == expected, (
        f"{name}: check says {problem!r}, jsonschema {expected} on {instance!r}"
    )
    if built:  # the generator itself must be right, or "valid" instances would go untested
        assert expected, f"{name}: built an invalid instance {instance!r}"


# -- the tests -------------------------------------------------------------------------------------------
@pytest.mark.parametrize("method", sorted(RESPONSES))
@settings(_SETTINGS, max_examples=20)
@given(data=st.data())
def test_answer_schemas_agree_with_jsonschema(method: str, data: st.DataObject) -> None:
    built, instances = data.draw(_instances("answer", method))
    for instance in instances:
        _agree("answer", method, built, instance)


@pytest.mark.parametrize("name", sorted(TOOL_SCHEMAS))
@settings(_SETTINGS, max_examples=15)
@given(data=st.data())
def test_tool_input_schemas_agree_with_jsonschema(name: str, data: st.DataObject) -> None:
    built, instances = data.draw(_instances("tool", name))
    for instance in instances:
        _agree("tool", name, built, instance)


@pytest.mark.parametrize("name", sorted(EDGE_SCHEMAS))
@settings(_SETTINGS, max_examples=10)
@given(data=st.data())
def test_keyword_corners_agree_with_jsonschema(name: str, data: st.DataObject) -> None:
    built, instances = data.draw(_instances("edge", name))
    for instance in instances:
        _agree("edge", name, built, instance)
