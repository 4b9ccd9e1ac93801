"""Emit ``protocol/_server_request_schemas.py``: the JSON schemas of the answers to server requests.

The client checks every hook and policy answer against these before sending it (``protocol._schema_check``),
so they are trimmed to the keywords the checker understands; descriptions, titles and defaults go.
"""

from __future__ import annotations

import pprint
from typing import Any

# The JSON-schema keywords protocol._schema_check implements; everything else is dropped.
KEEP = frozenset(
    {
        "$ref",
        "allOf",
        "anyOf",
        "oneOf",
        "type",
        "enum",
        "const",
        "properties",
        "required",
        "additionalProperties",
        "items",
        "additionalItems",
        "minimum",
        "maximum",
        "minItems",
        "maxItems",
        "minLength",
        "maxLength",
    }
)
_REF = "#/definitions/"


def trim(schema: Any) -> Any:
    """Drop what the checker does not use (descriptions, titles, defaults, formats)."""
    if isinstance(schema, list):
        return [trim(s) for s in schema]
    if not isinstance(schema, dict):
        return schema
    out: dict[str, Any] = {}
    for key in sorted(schema):
        value = schema[key]
        if key not in KEEP:
            continue
        if key == "properties":
            out[key] = {name: trim(value[name]) for name in sorted(value)}
        elif key in ("additionalProperties", "items", "additionalItems", "allOf", "anyOf", "oneOf"):
            out[key] = trim(value)
        else:
            out[key] = value
    return out


def _flatten(schema: Any, found: set[str]) -> Any:
    """``schema`` with namespaced refs (``#/definitions/v2/X``) made flat (``#/definitions/X``), as in
    the per-type schema files; the namespaced paths it refers to are added to ``found``."""
    if isinstance(schema, dict):
        out = {key: _flatten(value, found) for key, value in schema.items()}
        ref = schema.get("$ref")
        if isinstance(ref, str) and ref.startswith(_REF):
            path = ref[len(_REF) :]
            found.add(path)
            out["$ref"] = _REF + path.rsplit("/", 1)[-1]
        return out
    if isinstance(schema, list):
        return [_flatten(value, found) for value in schema]
    return schema


def _lookup(defs: dict[str, Any], path: str) -> Any:
    node: Any = defs
    for part in path.split("/"):
        node = node[part]
    return node


def emit_schemas(header: list[str], bundle: dict[str, Any], responses: dict[str, str], version: str) -> str:
    """The module text. ``responses``: server-request method -> name of its response type."""
    defs: dict[str, Any] = bundle["definitions"]
    wanted: set[str] = set()
    out_responses = {method: _flatten(trim(defs[name]), wanted) for method, name in sorted(responses.items())}
    definitions: dict[str, Any] = {}
    done: set[str] = set()
    while wanted:
        path = wanted.pop()
        if path in done:
            continue
        done.add(path)
        schema = _flatten(trim(_lookup(defs, path)), wanted)
        name = path.rsplit("/", 1)[-1]
        if definitions.setdefault(name, schema) != schema:
            raise ValueError(f"two definitions are called {name}")
    definitions = {name: definitions[name] for name in sorted(definitions)}

    def literal(value: Any) -> str:
        return pprint.pformat(value, indent=1, width=110, sort_dicts=True)

    return "\n".join(
        [
            *header,
            '"""JSON schemas of the answers to the app-server\'s requests, trimmed to what is checked."""',
            "",
            "from __future__ import annotations",
            "",
            "TYPE_CHECKING = False",
            "if TYPE_CHECKING:",
            "    from typing import Any",
            "",
            f"CODEX_VERSION = {version!r}",
            "",
            f"DEFINITIONS: dict[str, Any] = {literal(definitions)}",
            "",
            f"RESPONSES: dict[str, Any] = {literal(out_responses)}",
            "",
        ]
    )
