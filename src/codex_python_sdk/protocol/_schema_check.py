"""A small JSON Schema (draft-07 subset) checker: enough for the protocol's answer schemas and tool inputs.

Used to check what hooks and policies answer to the app-server (against the schemas the pinned binary
prints) and the arguments the model passes to Python tools (against the schema built from the function's
signature). It reports the first problem with a JSON path; it never raises on a schema keyword it does
not know (such keywords are ignored, so a hand-written tool schema cannot make a call fail by itself).

Supported: boolean schemas, ``$ref`` into ``definitions`` (or ``$defs``), ``allOf``/``anyOf``/``oneOf``,
``type`` (one or a list), ``enum``, ``const``, ``properties``, ``required``, ``additionalProperties``,
``items`` (one schema, or one per position and ``additionalItems``), ``minItems``/``maxItems``,
``minLength``/``maxLength``, ``minimum``/``maximum``, all with draft-07's meaning
(tests/unit/test_schema_check_differential.py holds the checker to ``jsonschema``'s verdicts).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["check"]

_TYPES: dict[str, Any] = {
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "string": lambda v: isinstance(v, str),
    # bool is an int in Python but never a JSON number
    "integer": lambda v: (
        (isinstance(v, int) and not isinstance(v, bool)) or (isinstance(v, float) and v.is_integer())
    ),
    "number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
    "boolean": lambda v: isinstance(v, bool),
    "null": lambda v: v is None,
}


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def check(
    schema: Any, value: Any, definitions: Mapping[str, Any] | None = None, path: str = "$"
) -> str | None:
    """Why ``value`` does not satisfy ``schema`` (None when it does).

    ``definitions`` resolves ``{"$ref": "#/definitions/Name"}`` (the schema's own ``definitions`` and
    ``$defs`` are used when not given).
    """
    if definitions is None and isinstance(schema, Mapping):
        # Pydantic and draft 2019+ schemas keep them under "$defs"; a ref names its target either way.
        definitions = {**(schema.get("$defs") or {}), **(schema.get("definitions") or {})}
    return _check(schema, value, definitions or {}, path)


def _check(schema: Any, value: Any, defs: Mapping[str, Any], path: str) -> str | None:
    if schema is True or schema is None:
        return None
    if schema is False:
        return f"{path}: no value is allowed here"
    if not isinstance(schema, Mapping):
        return None
    ref = schema.get("$ref")
    if isinstance(ref, str):
        target = defs.get(ref.rsplit("/", 1)[-1])
        if target is None:
            return f"{path}: unknown schema reference {ref}"
        # Draft 07: a $ref stands for the whole schema, its siblings are ignored.
        return _check(target, value, defs, path)
    for sub in schema.get("allOf") or ():
        problem = _check(sub, value, defs, path)
        if problem is not None:
            return problem
    any_of = schema.get("anyOf")
    if any_of:
        problems = [_check(sub, value, defs, path) for sub in any_of]
        if all(p is not None for p in problems):
            return _best(any_of, problems, value, defs, path)
    one_of = schema.get("oneOf")
    if one_of:
        problems = [_check(sub, value, defs, path) for sub in one_of]
        matched = sum(p is None for p in problems)
        if matched == 0:
            return _best(one_of, problems, value, defs, path)
        if matched > 1:
            return f"{path}: {_short(value)} matches more than one allowed form"
    return _check_here(schema, value, defs, path)


def _best(variants: Any, problems: list[str | None], value: Any, defs: Mapping[str, Any], path: str) -> str:
    """The most helpful of the variants' problems: the one whose tag (or single key) the value carries."""
    resolved = [_resolve(v, defs) for v in variants]
    if isinstance(value, dict):
        for schema, problem in zip(resolved, problems, strict=True):
            if problem and _tag_matches(schema, value):
                return problem
    scalars = [e for schema in resolved for e in schema.get("enum") or () if not isinstance(e, (dict, list))]
    if scalars and not isinstance(value, (dict, list)):
        forms = ", ".join(repr(e) for e in scalars)
        more = " (or one of the object forms)" if len(scalars) < len(resolved) else ""
        return f"{path}: {_short(value)} is not one of {forms}{more}"
    return f"{path}: {_short(value)} is not one of the allowed forms"


def _resolve(schema: Any, defs: Mapping[str, Any]) -> Mapping[str, Any]:
    while isinstance(schema, Mapping) and isinstance(schema.get("$ref"), str):
        schema = defs.get(schema["$ref"].rsplit("/", 1)[-1], {})
    return schema if isinstance(schema, Mapping) else {}


def _tag_matches(schema: Mapping[str, Any], value: dict[str, Any]) -> bool:
    properties = schema.get("properties") or {}
    for key, sub in properties.items():
        enum = sub.get("enum") if isinstance(sub, Mapping) else None
        if enum is not None and len(enum) == 1 and value.get(key) == enum[0]:
            return True
    required: list[str] = list(schema.get("required") or ())
    # Externally tagged forms ({"acceptWithExecpolicyAmendment": {...}}): the single key is the tag.
    return schema.get("additionalProperties") is False and len(required) == 1 and required[0] in value


def _check_here(schema: Mapping[str, Any], value: Any, defs: Mapping[str, Any], path: str) -> str | None:
    kinds = schema.get("type")
    if kinds is not None:
        names = [kinds] if isinstance(kinds, str) else list(kinds)
        if not any(_TYPES.get(name, lambda _v: True)(value) for name in names):
            return f"{path}: expected {' or '.join(names)}, got {_short(value)}"
    if "enum" in schema and not any(_same(value, option) for option in schema["enum"]):
        allowed = ", ".join(repr(v) for v in schema["enum"])
        return f"{path}: {_short(value)} is not one of {allowed}"
    if "const" in schema and not _same(value, schema["const"]):
        return f"{path}: expected {schema['const']!r}, got {_short(value)}"
    if isinstance(value, dict):
        return _check_object(schema, value, defs, path)
    if isinstance(value, list):
        items = schema.get("items")
        if items is not None:
            # A list of schemas is draft-07's tuple form: one per position, then "additionalItems".
            rest = schema.get("additionalItems", True) if isinstance(items, list) else items
            for index, item in enumerate(value):
                sub = items[index] if isinstance(items, list) and index < len(items) else rest
                problem = _check(sub, item, defs, f"{path}[{index}]")
                if problem is not None:
                    return problem
        if "minItems" in schema and len(value) < schema["minItems"]:
            return f"{path}: needs at least {schema['minItems']} items"
        if "maxItems" in schema and len(value) > schema["maxItems"]:
            return f"{path}: allows at most {schema['maxItems']} items"
        return None
    if isinstance(value, str):
        if "minLength" in schema and len(value) < schema["minLength"]:
            return f"{path}: needs at least {schema['minLength']} characters"
        if "maxLength" in schema and len(value) > schema["maxLength"]:
            return f"{path}: allows at most {schema['maxLength']} characters"
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if "minimum" in schema and value < schema["minimum"]:
            return f"{path}: {value} is below the minimum {schema['minimum']}"
        if "maximum" in schema and value > schema["maximum"]:
            return f"{path}: {value} is above the maximum {schema['maximum']}"
    return None


def _same(a: Any, b: Any) -> bool:
    """JSON equality: unlike Python's, ``True`` is not ``1`` (``1`` is ``1.0``), at any depth."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(item, b[key]) for key, item in a.items())
    return bool(a == b)


def _check_object(
    schema: Mapping[str, Any], value: dict[str, Any], defs: Mapping[str, Any], path: str
) -> str | None:
    for key in schema.get("required") or ():
        if key not in value:
            return f"{path}: missing required key {key!r}"
    properties = schema.get("properties") or {}
    extra = schema.get("additionalProperties", True)
    for key, item in value.items():
        sub = properties.get(key)
        if sub is not None:
            problem = _check(sub, item, defs, f"{path}.{key}")
        elif extra is False:
            problem = f"{path}: unexpected key {key!r}"
        else:
            problem = _check(extra, item, defs, f"{path}.{key}")
        if problem is not None:
            return problem
    return None
