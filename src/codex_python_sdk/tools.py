"""Python functions as tools the model can call (codex "dynamic tools").

Decorate a typed function with :func:`tool`; its signature and docstring become the tool's JSON schema
and description::

    from codex_python_sdk import create_client, tool

    @tool
    def get_weather(city: str, unit: Literal["C", "F"] = "C") -> str:
        \"\"\"Current weather of a city.

        Args:
            city: The city name, e.g. "Paris".
            unit: Temperature unit.
        \"\"\"
        return f"Sunny, 21 degrees {unit} in {city}"

    with create_client(tools=[get_weather]) as client:
        print(client.responses_create(prompt="Weather in Paris?").text)

Tools given to the client (``tools=[...]``) are registered on every thread it starts; tools for one thread
go into its params (``thread_params={"dynamicTools": [get_weather]}``, mixed freely with raw spec dicts).
Codex keeps a thread's tools with the thread: a resumed thread offers the tools it was started with, and
the client answers calls to any of its Python tools by name. Calls run concurrently (a sync function runs
in a worker thread). The arguments are checked against the schema and converted to the annotated types
(enums, dataclasses, tuples ...); an invalid call, an exception or a timeout becomes a failed tool call
whose text tells the model what went wrong. A tool returns text (``str``), images
(:class:`~codex_python_sdk.LocalImageInput`, or :class:`~codex_python_sdk.ImageInput` with a ``data:`` URL:
codex rejects remote image URLs in tool output), a list of those, or any JSON-serialisable value (sent as
JSON text). Raise :class:`ToolError` to fail with your own message.
Dynamic tools need the experimental API (``experimental_api=True``, the default).
"""

from __future__ import annotations

import base64
import dataclasses
import enum
import functools
import inspect
import json
import logging
import mimetypes
import re
import types
import typing
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, Literal, Union, get_args, get_origin, overload

from ._callables import CallableFailed, CallableRunner, CallableTimedOut
from .hooks import RequestContext, tool_failure
from .protocol._schema_check import check

__all__ = ["Tool", "ToolError", "ToolRegistry", "tool"]

logger = logging.getLogger("codex_python_sdk")

_NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_SECTION = re.compile(
    r"^\s*(Args|Arguments|Parameters|Params|Returns?|Raises|Yields|Examples?|Notes?)\s*:?\s*$"
)


class ToolError(Exception):
    """Raise in a tool to fail the call with this message (shown to the model as is)."""


# -- schema from annotations -------------------------------------------------------------------------
def _schema_of(annotation: Any, where: str) -> dict[str, Any]:
    """The JSON schema of an annotation (a tool's parameter, an ``output_type``); TypeError naming ``where``
    for what JSON cannot carry."""
    if annotation is inspect.Parameter.empty or annotation is Any or annotation is object:
        return {}
    origin = get_origin(annotation)
    if origin is typing.Annotated:
        base, *meta = get_args(annotation)
        schema = _schema_of(base, where)
        notes = [m for m in meta if isinstance(m, str)]
        if notes:
            schema["description"] = " ".join(notes)
        return schema
    if annotation is type(None) or annotation is None:
        return {"type": "null"}
    simple = {str: "string", bool: "boolean", int: "integer", float: "number"}
    if annotation in simple:
        return {"type": simple[annotation]}
    if origin is Literal:
        values = list(get_args(annotation))
        return {"enum": values, **_enum_type(values)}
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        values = [member.value for member in annotation]
        return {"enum": values, **_enum_type(values)}
    if origin in (Union, types.UnionType):
        options = [_schema_of(arg, where) for arg in get_args(annotation)]
        return {"anyOf": options}
    if origin in (list, set, frozenset) or origin in (Sequence, Iterable, typing.Sequence):
        (item,) = get_args(annotation) or (Any,)
        return {"type": "array", "items": _schema_of(item, where)}
    if origin is tuple:
        args = get_args(annotation)
        if len(args) == 2 and args[1] is Ellipsis:
            return {"type": "array", "items": _schema_of(args[0], where)}
        return {
            "type": "array",
            "items": {"anyOf": [_schema_of(a, where) for a in args]} if args else {},
            "minItems": len(args),
            "maxItems": len(args),
        }
    if origin in (dict, Mapping, typing.Mapping):
        key, value = get_args(annotation) or (str, Any)
        if key is not str:
            raise TypeError(f"{where}: only dicts with str keys can be described as JSON, not {annotation!r}")
        return {"type": "object", "additionalProperties": _schema_of(value, where)}
    if annotation in (list, tuple, set, frozenset):
        return {"type": "array"}
    if annotation in (dict,):
        return {"type": "object"}
    if dataclasses.is_dataclass(annotation) and isinstance(annotation, type):
        hints = typing.get_type_hints(annotation, include_extras=True)
        props = {
            f.name: _schema_of(hints.get(f.name, Any), f"{where}.{f.name}")
            for f in dataclasses.fields(annotation)
        }
        required = [
            f.name
            for f in dataclasses.fields(annotation)
            if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
        ]
        return {"type": "object", "properties": props, "required": required, "additionalProperties": False}
    if typing.is_typeddict(annotation):
        hints = typing.get_type_hints(annotation, include_extras=True)
        props = {name: _schema_of(hint, f"{where}.{name}") for name, hint in hints.items()}
        required = sorted(getattr(annotation, "__required_keys__", hints))
        return {"type": "object", "properties": props, "required": required, "additionalProperties": False}
    raise TypeError(f"{where}: cannot describe {annotation!r} as JSON")


def _enum_type(values: list[Any]) -> dict[str, Any]:
    kinds = {type(v) for v in values}
    names = {str: "string", int: "integer", bool: "boolean", float: "number"}
    return {"type": names[kinds.pop()]} if len(kinds) == 1 and next(iter(kinds)) in names else {}


def _convert(annotation: Any, value: Any) -> Any:
    """A checked JSON value as the annotated Python type (enums, dataclasses, tuples, sets ...)."""
    origin = get_origin(annotation)
    if origin is typing.Annotated:
        return _convert(get_args(annotation)[0], value)
    if annotation is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if annotation is int and isinstance(value, float):
        return int(value)
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        return annotation(value)
    if origin in (Union, types.UnionType):
        for option in get_args(annotation):
            if check(_schema_of(option, "?"), value) is None:
                return _convert(option, value)
        return value
    if isinstance(value, list):
        args = get_args(annotation)
        if origin is tuple:
            if len(args) == 2 and args[1] is Ellipsis:
                return tuple(_convert(args[0], v) for v in value)
            return tuple(_convert(a, v) for a, v in zip(args, value, strict=False))
        item = args[0] if args else Any
        converted = [_convert(item, v) for v in value]
        if origin in (set, frozenset) or annotation in (set, frozenset):
            return (origin or annotation)(converted)
        return converted
    if isinstance(value, dict):
        if dataclasses.is_dataclass(annotation) and isinstance(annotation, type):
            hints = typing.get_type_hints(annotation, include_extras=True)
            return annotation(**{k: _convert(hints.get(k, Any), v) for k, v in value.items()})
        if typing.is_typeddict(annotation):
            hints = typing.get_type_hints(annotation, include_extras=True)
            return {k: _convert(hints.get(k, Any), v) for k, v in value.items()}
        if origin in (dict, Mapping, typing.Mapping):
            args = get_args(annotation)
            return {k: _convert(args[1] if args else Any, v) for k, v in value.items()}
    return value


# -- docstrings ----------------------------------------------------------------------------------------
def _parse_docstring(doc: str) -> tuple[str, dict[str, str]]:
    """(summary, parameter descriptions) from a Google, NumPy or reST style docstring."""
    lines = inspect.cleandoc(doc).splitlines()
    summary: list[str] = []
    params: dict[str, str] = {}
    section: str | None = None
    current: str | None = None
    numpy = False
    for index, line in enumerate(lines):
        stripped = line.strip()
        rest = re.match(r"^:param\s+(?:[^:]*\s)?(\w+)\s*:\s*(.*)$", stripped)
        if rest:
            section, current = "rest", rest.group(1)
            params[current] = rest.group(2)
            continue
        if stripped.startswith(":"):
            section, current = "rest-other", None
            continue
        header = _SECTION.match(line)
        underline = index + 1 < len(lines) and set(lines[index + 1].strip()) == {"-"}
        if header or (underline and stripped):
            name = (header.group(1) if header else stripped).lower()
            section = "params" if name in ("args", "arguments", "parameters", "params") else "other"
            numpy = bool(underline)  # NumPy style: "name : type", the description on the next lines
            current = None
            continue
        if set(stripped) == {"-"}:
            continue
        if section is None:
            summary.append(line)
        elif section == "params":
            entry = re.match(r"^(\*{0,2}\w+)\s*(?:\([^)]*\))?\s*:\s*(.*)$", stripped)
            indented = line[: len(line) - len(line.lstrip())]
            if entry and (len(indented) <= 4 or current is None):
                current = entry.group(1).lstrip("*")
                params[current] = "" if numpy else entry.group(2).strip()
            elif current and stripped:
                params[current] = (params[current] + " " + stripped).strip()
        elif section == "rest" and current and stripped:
            params[current] = (params[current] + " " + stripped).strip()
    return "\n".join(summary).strip(), params


# -- results -------------------------------------------------------------------------------------------
def _content_items(result: Any) -> list[dict[str, Any]]:
    """What a tool returned, as ``contentItems`` of a dynamic tool call answer."""
    item = _one_item(result)
    if item is not None:
        return [item]
    if result is None:
        return []
    if isinstance(result, (list, tuple)) and result and all(_one_item(r) is not None for r in result):
        return [i for r in result if (i := _one_item(r)) is not None]
    return [{"type": "inputText", "text": _to_json(result)}]


def _one_item(value: Any) -> dict[str, Any] | None:
    from .inputs import AudioInput, ImageInput, LocalImageInput

    if isinstance(value, str):
        return {"type": "inputText", "text": value}
    if isinstance(value, ImageInput):
        if not value.url.startswith("data:"):
            # codex 0.163 fails the whole call for remote image URLs; say why before it does.
            raise ToolError(
                "a tool can return images only as data: URLs or local files (LocalImageInput), "
                f"not {value.url[:60]!r}"
            )
        return {"type": "inputImage", "imageUrl": value.url}
    if isinstance(value, LocalImageInput):
        return {"type": "inputImage", "imageUrl": _data_url(Path(value.path))}
    if isinstance(value, AudioInput):
        return {"type": "inputAudio", "audioUrl": value.url}
    if isinstance(value, Mapping) and value.get("type") in ("inputText", "inputImage", "inputAudio"):
        return dict(value)
    return None


def _data_url(path: Path) -> str:
    mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    return f"data:{mime};base64,{base64.b64encode(path.read_bytes()).decode('ascii')}"


def _to_json(value: Any) -> str:
    def default(obj: Any) -> Any:
        if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
            return dataclasses.asdict(obj)
        if isinstance(obj, enum.Enum):
            return obj.value
        if isinstance(obj, (set, frozenset, tuple)):
            return list(obj)
        dump = getattr(obj, "model_dump", None) or getattr(obj, "to_wire", None)
        if callable(dump):
            return dump()
        return str(obj)

    return json.dumps(value, default=default, ensure_ascii=False)


# -- the tool ------------------------------------------------------------------------------------------
class Tool:
    """A Python function the model can call; made by :func:`tool` (or ``Tool(fn, ...)``).

    Calling the tool object calls the function, so decorated functions stay usable as before.
    ``input_schema`` overrides the schema built from the signature (arguments are then passed as is).
    A parameter annotated with :class:`~codex_python_sdk.RequestContext` receives the call's context
    (thread, turn, call id) and is not part of the schema.
    """

    def __init__(
        self,
        fn: Callable[..., Any],
        *,
        name: str | None = None,
        description: str | None = None,
        input_schema: Mapping[str, Any] | None = None,
        timeout: float | None = None,
    ) -> None:
        if not callable(fn):
            raise TypeError(f"a tool needs a function, got {fn!r}")
        self.fn = fn
        self.name: str = name or str(getattr(fn, "__name__", ""))
        if not _NAME.match(self.name):
            raise ValueError(f"tool name {self.name!r} must be 1-64 letters, digits, '_' or '-'")
        if timeout is not None and timeout <= 0:
            raise ValueError(f"tool {self.name}: timeout must be positive, got {timeout!r}")
        self.timeout = timeout
        summary, param_docs = _parse_docstring(inspect.getdoc(fn) or "")
        self.description = description or summary or f"Call {self.name}."
        self._params: dict[str, Any] = {}
        self._context_param: str | None = None
        self._custom_schema = input_schema is not None
        self.input_schema: dict[str, Any] = (
            json.loads(json.dumps(dict(input_schema)))
            if input_schema is not None
            else self._build_schema(param_docs)
        )
        functools.update_wrapper(self, fn)

    def _build_schema(self, docs: Mapping[str, str]) -> dict[str, Any]:
        signature = inspect.signature(self.fn)
        try:
            hints = typing.get_type_hints(self.fn, include_extras=True)
        except Exception as exc:  # an annotation that cannot be resolved at decoration time
            raise TypeError(f"tool {self.name}: cannot resolve its annotations: {exc}") from exc
        properties: dict[str, Any] = {}
        required: list[str] = []
        for pname, param in signature.parameters.items():
            if param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
                raise TypeError(f"tool {self.name}: *args / **kwargs cannot be described as tool arguments")
            if param.kind is param.POSITIONAL_ONLY:
                raise TypeError(f"tool {self.name}: positional-only parameter {pname!r} is not supported")
            annotation = hints.get(pname, param.annotation)
            if annotation is RequestContext:
                self._context_param = pname
                continue
            schema = _schema_of(annotation, f"tool {self.name}, parameter {pname!r}")
            if pname in docs and "description" not in schema:
                schema["description"] = docs[pname]
            if param.default is param.empty:
                required.append(pname)
            else:
                try:
                    json.dumps(param.default)
                    schema["default"] = param.default
                except (TypeError, ValueError):
                    pass
            properties[pname] = schema
            self._params[pname] = annotation
        return {
            "type": "object",
            "properties": properties,
            "required": required,
            "additionalProperties": False,
        }

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.fn(*args, **kwargs)

    def __repr__(self) -> str:
        return f"<Tool {self.name}: {self.description.splitlines()[0][:60]!r}>"

    def spec(self) -> dict[str, Any]:
        """The ``dynamicTools`` entry of ``thread/start``."""
        return {
            "type": "function",
            "name": self.name,
            "description": self.description,
            "inputSchema": self.input_schema,
        }

    async def invoke(
        self,
        arguments: Any,
        context: RequestContext | None = None,
        *,
        runner: CallableRunner | None = None,
        default_timeout: float | None = None,
    ) -> dict[str, Any]:
        """Run the tool on the model's ``arguments``; the answer to ``item/tool/call`` (never raises).

        ``runner`` runs the function (the client's tool runner: its own bounded threads); the tool's
        ``timeout`` applies, else ``default_timeout``. Whatever the function does (raise anything, hang,
        return something unserializable), the model gets a failed call saying so.
        """
        if arguments is None:
            arguments = {}
        problem = check(self.input_schema, arguments)
        if problem is not None:
            return tool_failure(f"Invalid arguments for tool {self.name}: {problem}")
        if self._custom_schema:
            kwargs = dict(arguments) if isinstance(arguments, Mapping) else {"arguments": arguments}
        else:
            try:
                kwargs = {k: _convert(self._params.get(k, Any), v) for k, v in arguments.items()}
            except Exception as exc:
                return tool_failure(f"Invalid arguments for tool {self.name}: {exc}")
        if self._context_param is not None:
            kwargs[self._context_param] = context
        runner = runner or _fallback_runner()
        timeout = self.timeout if self.timeout is not None else default_timeout
        try:
            result = await runner.run(self.fn, timeout=timeout, **kwargs)
            return {"success": True, "contentItems": _content_items(result)}
        except CallableTimedOut as exc:
            return tool_failure(f"Tool {self.name} timed out after {exc.timeout:g} s")
        except CallableFailed as failure:
            error = failure.error
            if isinstance(error, ToolError):
                return tool_failure(str(error))
            logger.warning("tool %s raised %s: %s", self.name, type(error).__name__, error, exc_info=error)
            return tool_failure(f"Tool {self.name} failed: {type(error).__name__}: {error}")
        except Exception as exc:  # the result could not be turned into content items
            logger.warning("tool %s returned an unusable result: %s", self.name, exc)
            return tool_failure(f"Tool {self.name} returned an unusable result: {type(exc).__name__}: {exc}")


_RUNNER: CallableRunner | None = None


def _fallback_runner() -> CallableRunner:
    """For a tool invoked outside a client (tests, direct calls): a small shared runner."""
    global _RUNNER
    if _RUNNER is None:
        _RUNNER = CallableRunner("codex-sdk-tool", 4)
    return _RUNNER


@overload
def tool(fn: Callable[..., Any], /) -> Tool: ...
@overload
def tool(
    *,
    name: str | None = None,
    description: str | None = None,
    input_schema: Mapping[str, Any] | None = None,
    timeout: float | None = None,
) -> Callable[[Callable[..., Any]], Tool]: ...
def tool(
    fn: Callable[..., Any] | None = None,
    /,
    *,
    name: str | None = None,
    description: str | None = None,
    input_schema: Mapping[str, Any] | None = None,
    timeout: float | None = None,
) -> Tool | Callable[[Callable[..., Any]], Tool]:
    """Make a function a :class:`Tool`: ``@tool`` or ``@tool(name=..., description=..., timeout=...)``.

    The schema comes from the annotations (``str``, ``int``, ``float``, ``bool``, ``None``, ``Literal``,
    enums, ``list``/``tuple``/``set``, ``dict[str, T]``, unions, dataclasses, ``TypedDict``,
    ``Annotated[T, "description"]``); the description from the docstring's summary, and each argument's
    description from its ``Args:`` / ``:param:`` / NumPy entry. Unsupported annotations fail here.
    """

    def make(f: Callable[..., Any]) -> Tool:
        return Tool(f, name=name, description=description, input_schema=input_schema, timeout=timeout)

    return make(fn) if fn is not None else make


def as_tool(value: Any) -> Tool:
    """A :class:`Tool` from a tool or a plain function."""
    return value if isinstance(value, Tool) else Tool(value)


# -- the client's registry -----------------------------------------------------------------------------
class ToolRegistry:
    """The Python tools of one client: those of the client (every thread) and those of single threads."""

    def __init__(self, tools: Iterable[Any] = ()) -> None:
        self.client_tools: dict[str, Tool] = _index(as_tool(t) for t in tools)
        self._threads: dict[str, dict[str, Tool]] = {}

    def specs(self) -> list[dict[str, Any]] | None:
        """Specs of the client's tools (None when it has none)."""
        return [t.spec() for t in self.client_tools.values()] or None

    def prepare(self, params: dict[str, Any], *, include_client_tools: bool = True) -> Callable[[str], None]:
        """Put the wire specs into ``params["dynamicTools"]`` (client tools, then the thread's own Python
        tools and raw spec dicts); returns a function that binds the thread's tools to its id."""
        given = params.get("dynamicTools")
        entries = list(given) if isinstance(given, (list, tuple)) else ([] if given is None else [given])
        own = _index(as_tool(e) for e in entries if not isinstance(e, Mapping))
        raw = [dict(e) for e in entries if isinstance(e, Mapping)]
        base = {n: t for n, t in self.client_tools.items() if n not in own} if include_client_tools else {}
        names = [*base, *own]
        for spec in raw:
            if spec.get("name") in names:
                raise ValueError(
                    f"dynamic tool {spec.get('name')!r} is given twice (a Python tool and a spec)"
                )
        wire = [t.spec() for t in base.values()] + [t.spec() for t in own.values()] + raw
        if wire:
            params["dynamicTools"] = wire
        else:
            params.pop("dynamicTools", None)
        if not own:
            return lambda _thread_id: None
        return lambda thread_id: self._threads.__setitem__(thread_id, own)

    def find(self, thread_id: str | None, name: str) -> Tool | None:
        """The Python tool answering calls to ``name`` on ``thread_id`` (the thread's own first)."""
        own = self._threads.get(thread_id or "")
        if own is not None and name in own:
            return own[name]
        return self.client_tools.get(name)

    def handler(
        self,
        params: Mapping[str, Any],
        context: RequestContext,
        *,
        runner: CallableRunner | None = None,
        default_timeout: float | None = None,
    ) -> Callable[[], Awaitable[Any]] | None:
        """For the dispatcher: the runner of a call to one of these tools, or None (not ours)."""
        if params.get("namespace"):
            return None  # namespaced tools are not registered from Python
        found = self.find(context.thread_id, str(params.get("tool") or ""))
        if found is None:
            return None
        return functools.partial(
            found.invoke, params.get("arguments"), context, runner=runner, default_timeout=default_timeout
        )


def _index(tools: Iterable[Tool]) -> dict[str, Tool]:
    out: dict[str, Tool] = {}
    for t in tools:
        if t.name in out and out[t.name] is not t:
            raise ValueError(f"two tools are named {t.name!r}")
        out[t.name] = t
    return out
