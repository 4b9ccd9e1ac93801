"""Structured output: ``responses_create(prompt=..., output_type=X)``.

``X`` is a pydantic model, a dataclass, a ``TypedDict`` or a JSON schema dict. Its JSON schema goes with
the turn (``outputSchema``; codex 0.163 sends it to the model as ``text.format`` with ``strict: true``),
the answer is parsed and validated, and an answer that does not validate gets one repair turn on the same
thread, quoting what was wrong. Loaded only when an output type is used; pydantic is imported by nobody
here (a pydantic model can only exist once the user imported pydantic).

Schemas built here follow the rules of OpenAI's strict structured outputs, which codex asks for: every
object lists all its properties as required and allows no others, and no ``default`` is given. A JSON
schema dict is sent as it is.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import sys
import typing
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ..events._parsed import OutputValidationError, ParsedResponse
from ..protocol._schema_check import check

if TYPE_CHECKING:
    from ..events import AgentResponse
    from ..inputs import Prompt
    from ._responses import Responses
    from ._usage import Budget

__all__ = ["OutputSpec", "create_parsed", "output_spec", "strict_schema"]

_MAX_QUOTED = 2_000  # characters of an error or schema quoted in a repair prompt


class OutputSpec:
    """How one output type is described to the model (:attr:`schema`) and read back (:meth:`parse`)."""

    __slots__ = ("kind", "name", "output_type", "schema")

    def __init__(self, output_type: Any, kind: str, schema: dict[str, Any]) -> None:
        self.output_type = output_type
        self.kind = kind
        """``"pydantic"``, ``"dataclass"``, ``"typeddict"`` or ``"schema"``."""
        self.schema = schema
        self.name: str = getattr(output_type, "__name__", "the JSON schema")

    def parse(self, text: str) -> tuple[Any, list[str]]:
        """``(value, [])`` for a valid answer, ``(None, problems)`` otherwise."""
        try:
            value = json.loads(_unfenced(text))
        except ValueError as exc:
            return None, [f"the answer is not JSON ({exc})"]
        if self.kind == "pydantic":
            return _pydantic_validate(self.output_type, value)
        problem = check(self.schema, value)
        if problem is not None:
            return None, [problem]
        if self.kind == "schema":
            return value, []
        from ..tools import _convert  # the tools' converter: nested dataclasses, enums, tuples ...

        try:
            return _convert(self.output_type, value), []
        except (TypeError, ValueError, AssertionError) as exc:  # e.g. a __post_init__ check
            return None, [f"$: {self.name}: {exc}"]

    def repair_prompt(self, problems: list[str]) -> str:
        """The prompt of the repair turn: what was wrong, and the schema to match."""
        quoted = _clip("\n".join(f"- {p}" for p in problems))
        schema = _clip(json.dumps(self.schema, ensure_ascii=False, separators=(",", ":")))
        return (
            "Your previous answer does not match the required output format:\n"
            f"{quoted}\n"
            "Answer again with only the corrected JSON value, nothing else. It must match this JSON "
            f"schema:\n{schema}"
        )


def output_spec(output_type: object) -> OutputSpec:
    """The :class:`OutputSpec` of an ``output_type``; TypeError for anything but the four kinds."""
    if isinstance(output_type, Mapping):
        try:
            schema = json.loads(json.dumps(dict(output_type)))  # a copy, and proof that it is JSON
        except (TypeError, ValueError) as exc:
            raise TypeError(f"output_type: a JSON schema dict must be JSON, {exc}") from None
        return OutputSpec(output_type, "schema", schema)
    if isinstance(output_type, type):
        return _class_spec(output_type)
    raise TypeError(
        "output_type must be a pydantic model, a dataclass, a TypedDict or a JSON schema dict, "
        f"got {output_type!r}"
    )


@functools.lru_cache(maxsize=128)  # classes are few; their schemas cost a millisecond or more to build
def _class_spec(cls: type) -> OutputSpec:
    pydantic = sys.modules.get("pydantic")
    if pydantic is not None and issubclass(cls, pydantic.BaseModel):
        model: Any = cls
        return OutputSpec(cls, "pydantic", strict_schema(model.model_json_schema()))
    if dataclasses.is_dataclass(cls):
        kind = "dataclass"
    elif typing.is_typeddict(cls):
        kind = "typeddict"
    else:
        raise TypeError(
            "output_type must be a pydantic model, a dataclass, a TypedDict or a JSON schema dict, "
            f"got {cls!r}"
        )
    from ..tools import _schema_of  # the one schema builder from annotations (tools use it too)

    return OutputSpec(cls, kind, strict_schema(_schema_of(cls, f"output_type {cls.__name__}")))


def strict_schema(schema: Mapping[str, Any]) -> dict[str, Any]:
    """``schema`` under the rules of strict structured outputs: each object with ``properties`` requires
    all of them and allows no others, ``default`` is dropped, and a ``$ref`` with other keys beside it is
    replaced by what it refers to (strict mode allows no siblings of ``$ref``). A new dict."""
    defs = {**(schema.get("$defs") or {}), **(schema.get("definitions") or {})}
    return _strict(dict(schema), defs, frozenset())  # type: ignore[no-any-return]


_SCHEMA_MAPS = frozenset({"properties", "$defs", "definitions", "patternProperties"})
_SCHEMA_LISTS = frozenset({"anyOf", "oneOf", "allOf", "prefixItems"})
_SCHEMA_KEYS = frozenset({"items", "additionalProperties", "additionalItems", "not", "contains"})


def _strict(node: Any, defs: Mapping[str, Any], expanding: frozenset[str]) -> Any:
    if isinstance(node, list):
        return [_strict(item, defs, expanding) for item in node]
    if not isinstance(node, dict):
        return node
    node = {key: value for key, value in node.items() if key != "default"}
    ref = node.get("$ref")
    if isinstance(ref, str) and len(node) > 1:
        target = defs.get(ref.rsplit("/", 1)[-1])
        if ref in expanding or not isinstance(target, dict):
            node = {"$ref": ref}  # a recursive type: keep the bare reference (its siblings only describe it)
        else:
            node = {**target, **{k: v for k, v in node.items() if k != "$ref"}}
            expanding = expanding | {ref}
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key in _SCHEMA_MAPS and isinstance(value, dict):
            out[key] = {name: _strict(sub, defs, expanding) for name, sub in value.items()}
        elif key in _SCHEMA_LISTS or key in _SCHEMA_KEYS:
            out[key] = _strict(value, defs, expanding)
        else:
            out[key] = value  # enum, const, type, description ...: data, not schemas
    properties = out.get("properties")
    if isinstance(properties, dict):
        out["required"] = list(properties)
        out.setdefault("additionalProperties", False)
    return out


def _pydantic_validate(model: Any, value: Any) -> tuple[Any, list[str]]:
    pydantic = sys.modules["pydantic"]
    try:
        return model.model_validate(value), []
    except pydantic.ValidationError as exc:
        return None, [f"{_path(error.get('loc', ()))}: {error.get('msg')}" for error in exc.errors()]


def _path(loc: Any) -> str:
    """A pydantic error location as a JSON path, like the schema checker's (``$.items[0].name``)."""
    out = "$"
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else f".{part}"
    return out


def _unfenced(text: str) -> str:
    """The answer without a Markdown code fence around it (some models add one despite the schema)."""
    body = text.strip()
    if body.startswith("```") and body.endswith("```") and "\n" in body:
        body = body[:-3].split("\n", 1)[1]
    return body


def _clip(text: str) -> str:
    return text if len(text) <= _MAX_QUOTED else text[: _MAX_QUOTED - 3] + "..."


async def create_parsed(
    client: Responses,
    output_type: object,
    *,
    prompt: Prompt,
    thread_id: str | None,
    thread_params: Mapping[str, object] | None,
    turn_params: Mapping[str, object] | None,
    include_events: bool,
    turn_timeout: Any,
    budget: Budget | None,
) -> ParsedResponse[Any]:
    """Run the turn with the output schema, parse its answer, repair once; see ``responses_create``."""
    spec = output_spec(output_type)  # a bad output_type fails before anything starts
    params = dict(turn_params or {})
    if "outputSchema" in params:
        raise ValueError("give output_type or turn_params['outputSchema'], not both")
    params["outputSchema"] = spec.schema
    responses: list[AgentResponse] = []
    problems: list[str] = []
    for attempt in range(2):
        response = await client.responses_create(
            prompt=prompt if attempt == 0 else spec.repair_prompt(problems),
            thread_id=thread_id if attempt == 0 else responses[0].thread_id,
            thread_params=thread_params if attempt == 0 else None,
            turn_params=params,
            include_events=include_events,
            turn_timeout=turn_timeout,
            budget=budget,
        )
        responses.append(response)
        value, problems = spec.parse(response.text)
        if not problems:
            return ParsedResponse.of(response, value, responses[0] if attempt else None)
        if response.status != "completed":
            break  # an interrupted turn is not repaired: someone stopped it on purpose
    first = problems[0] if problems else "no answer"
    why = "also after a repair turn" if len(responses) > 1 else f"the turn was {responses[-1].status}"
    raise OutputValidationError(
        f"the model's answer does not match {spec.name} ({why}): {first}",
        errors=problems,
        responses=responses,
    )
