"""Runtime support for the generated protocol models: dict-backed, typed, lazy views.

Hand-written. The generated code in ``codex_python_sdk.protocol`` builds on it.

A :class:`Model` wraps the decoded JSON object exactly as it came off the wire (camelCase keys) and never
copies or validates it: ``Model.from_wire(d)`` is O(1). Typed snake_case attributes are :class:`Field`
descriptors that convert the raw value only when read (nested objects become models, tagged unions become
the variant chosen by their tag, lists of objects become lists of models). Nothing here raises on data the
schema did not foresee: unknown keys stay in the dict (``obj["key"]``), unknown enum values are plain
strings, unknown union tags give the union's base class (or :class:`UnknownModel`), and a value of an
unexpected JSON type is returned raw.

Importing this module does not import :mod:`typing` (start-up time matters); type checkers see the real
``typing`` names through the ``TYPE_CHECKING`` branch.
"""

from __future__ import annotations

from .._unset import UNSET, Unset

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, KeysView, Mapping, Sequence
    from typing import Any, ClassVar, Generic, TypeAlias, TypeVar, Union, overload

    _T_co = TypeVar("_T_co", covariant=True)
    _M = TypeVar("_M", bound="Model")
    _U = TypeVar("_U", bound="TaggedUnion")
    # (Union, not "|": the alias refers to itself by name, as a string.)
    JsonValue: TypeAlias = Union[  # noqa: UP007
        bool, int, float, str, Sequence["JsonValue"], Mapping[str, "JsonValue"], None
    ]
    """Any JSON value (what ``orjson.loads`` returns, or what you may send)."""
    JsonObject: TypeAlias = Mapping[str, JsonValue]
    """A raw JSON object (wire names); accepted wherever a model is accepted as input."""
    Converter: TypeAlias = Callable[[Any], Any]
else:
    # Type aliases for annotations only; importable at run time without importing typing.
    JsonValue = JsonObject = object

    class Generic:  # runtime stand-in for typing.Generic: subscription is a no-op
        __slots__ = ()

        def __class_getitem__(cls, item):
            return cls

    def overload(func):
        return func

    _T_co = None

__all__ = [
    "UNSET",
    "Field",
    "JsonObject",
    "JsonValue",
    "Model",
    "TaggedUnion",
    "UnknownModel",
    "Unset",
    "to_wire_value",
]


def to_wire_value(value: Any) -> Any:
    """Convert a constructor argument to its JSON form: models become their wire dicts, recursively."""
    if isinstance(value, Model):
        return value._data
    if isinstance(value, (list, tuple)):
        return [to_wire_value(item) for item in value]
    if isinstance(value, dict):
        return {key: to_wire_value(item) for key, item in value.items() if item is not UNSET}
    return value


_FIELD_TABLES: dict[type[Model], tuple[dict[str, str], tuple[str, ...]]] = {}


def _field_table(cls: type[Model]) -> tuple[dict[str, str], tuple[str, ...]]:
    """(python name -> wire name, required wire names) of a model class, built on first construction."""
    table = _FIELD_TABLES.get(cls)
    if table is None:
        names: dict[str, str] = {}
        for klass in reversed(cls.__mro__):
            for attr, value in vars(klass).items():
                if isinstance(value, Field):
                    names[attr] = value.wire
        table = _FIELD_TABLES[cls] = (names, cls._required)
    return table


class Model:
    """Typed, read-mostly view of one JSON object of the app-server protocol.

    * ``Model.from_wire(data)`` wraps a decoded dict without copying or validating it.
    * ``obj.snake_name`` reads a field, converting nested objects lazily; an absent key reads as ``None``.
    * ``obj["wireName"]``, ``obj.get("wireName")``, ``"wireName" in obj`` and ``obj.keys()`` give the raw
      JSON values, including keys the schema does not know.
    * ``obj.to_wire()`` returns the wrapped dict itself (not a copy).
    * ``Cls(snake_name=value, ...)`` builds a new object; :data:`UNSET` arguments are left out, ``None``
      is sent as ``null``, models given as values are stored as their wire dicts.
    """

    __slots__ = ("_data",)
    _data: dict[str, Any]
    _required: ClassVar[tuple[str, ...]] = ()
    """Wire names that must be given when constructing (generated)."""
    _tag: ClassVar[tuple[str, str] | None] = None
    """(wire name, value) of the tag that a union variant sets by itself (generated)."""

    def __init__(self, **kwargs: Any) -> None:
        cls = type(self)
        names, required = _field_table(cls)
        data: dict[str, Any] = {}
        if cls._tag is not None:
            data[cls._tag[0]] = cls._tag[1]
        for key, value in kwargs.items():
            wire = names.get(key)
            if wire is None:
                raise TypeError(f"{cls.__name__}() got an unexpected keyword argument {key!r}")
            if value is not UNSET:
                data[wire] = to_wire_value(value)
        for wire in required:
            if wire not in data:
                py_name = next(py for py, w in names.items() if w == wire)
                raise TypeError(f"{cls.__name__}() missing required keyword argument {py_name!r}")
        self._data = data

    @classmethod
    def from_wire(cls: type[_M], data: dict[str, Any]) -> _M:
        """Wrap a decoded JSON object (O(1): no copy, no validation)."""
        obj = object.__new__(cls)
        obj._data = data
        return obj

    def to_wire(self) -> dict[str, Any]:
        """The wrapped JSON object (wire names); the same dict, not a copy."""
        return self._data

    def __getitem__(self, key: str) -> Any:
        return self._data[key]

    def get(self, key: str, default: Any = None) -> Any:
        """Raw JSON value of wire key ``key``, or ``default``."""
        return self._data.get(key, default)

    def __contains__(self, key: object) -> bool:
        return key in self._data

    def keys(self) -> KeysView[str]:
        """Wire names present in the JSON object."""
        return self._data.keys()

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Model):
            return self._data == other._data
        if isinstance(other, dict):
            return self._data == other
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._data!r})"


class UnknownModel(Model):
    """A JSON object whose shape the schema did not predict (e.g. a new union variant).

    Besides ``obj["wireName"]``, attribute access works as a best effort: ``obj.snake_name`` returns the
    raw value of ``snake_name`` or its camelCase spelling, or ``None``.
    """

    __slots__ = ()

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        data = self._data
        if name in data:
            return data[name]
        head, *rest = name.rstrip("_").split("_")
        return data.get(head + "".join(part[:1].upper() + part[1:] for part in rest))


_VARIANT_CACHE: dict[tuple[type[Any], str], Any] = {}


class TaggedUnion(Model):
    """Base of a generated tagged union: ``Base.from_wire(d)`` returns the variant named by ``d[tag]``.

    Variants are subclasses of their base. An unknown tag gives an instance of the base class itself, so
    the common fields and ``obj["wireName"]`` still work. ``Variant.from_wire(d)`` does not dispatch.
    """

    __slots__ = ()
    _tag_field: ClassVar[str] = "type"
    _variants: ClassVar[Mapping[str, str]] = {}
    """tag value -> variant class name (same module); set on union bases only."""

    @classmethod
    def from_wire(cls: type[_U], data: dict[str, Any]) -> _U:
        target = cls
        if "_variants" in cls.__dict__:
            tag = data.get(cls._tag_field)
            if type(tag) is str:
                target = _VARIANT_CACHE.get((cls, tag)) or _variant_class(cls, tag)
        obj = object.__new__(target)
        obj._data = data
        return obj


def _variant_class(base: type[_U], tag: str) -> type[_U]:
    import sys

    name = base.__dict__["_variants"].get(tag)
    target: type[_U] = getattr(sys.modules[base.__module__], name) if name is not None else base
    _VARIANT_CACHE[(base, tag)] = target
    return target


class Field(Generic[_T_co]):
    """Descriptor of one typed model field: reads ``obj._data[wire]`` and converts it lazily.

    ``spec`` describes the conversion (``None``: the raw value; see :func:`compile_spec`). It is compiled
    into a converter on first read, which is also when the model modules it needs are imported.
    """

    __slots__ = ("_conv", "spec", "wire")

    def __init__(self, wire: str, spec: object = None) -> None:
        self.wire = wire
        self.spec = spec
        self._conv: Converter | None = None

    # (ruff cannot see that `overload` is typing.overload to type checkers: F811)
    @overload
    def __get__(self, obj: None, owner: type[Any] | None = None) -> Field[_T_co]: ...
    @overload
    def __get__(self, obj: Model, owner: type[Any] | None = None) -> _T_co: ...  # noqa: F811
    def __get__(self, obj: Model | None, owner: type[Any] | None = None) -> Any:  # noqa: F811
        if obj is None:
            return self
        value = obj._data.get(self.wire)
        if value is None or self.spec is None:
            return value
        conv = self._conv
        if conv is None:
            conv = self._conv = compile_spec(self.spec)
        return conv(value)

    def __repr__(self) -> str:
        return f"Field({self.wire!r}, {self.spec!r})"


# ---------------------------------------------------------------------------------------------------------
# Conversion specs (emitted by the generator as constants):
#   None                      raw value
#   "Name"                    a model class (tagged-union bases dispatch) or a named union spec, looked up
#                             with codex_python_sdk.protocol._registry.lookup
#   ("L", spec)               list of spec
#   ("D", spec)               dict[str, spec]
#   ("U", list_spec, "K", {key: spec})
#                             union; JSON objects are chosen by their single key (externally tagged enums
#                             such as ``"cli" | {"custom": ...}``), lists use list_spec, other values raw
#   ("U", list_spec, "R", ((required_keys, {key: allowed_values}, spec), ...))
#                             union; a JSON object goes to the option whose required keys are present and
#                             whose constant keys match (most specific first); no match -> UnknownModel
# Any value of another JSON type than the spec expects is returned unchanged.
# ---------------------------------------------------------------------------------------------------------

_COMPILED: dict[str, Converter] = {}


def _raw(value: Any) -> Any:
    return value


def _lookup(name: str) -> Any:
    from ._registry import lookup

    return lookup(name)


def compile_spec(spec: Any) -> Converter:
    """Compile a conversion spec (see the table above) into a function ``raw JSON -> typed value``."""
    if spec is None:
        return _raw
    if isinstance(spec, str):
        return _compile_named(spec)
    kind = spec[0]
    if kind == "L":
        item = compile_spec(spec[1])

        def conv_list(value: Any) -> Any:
            return [item(x) for x in value] if type(value) is list else value

        return conv_list
    if kind == "D":
        item = compile_spec(spec[1])

        def conv_map(value: Any) -> Any:
            return {k: item(x) for k, x in value.items()} if type(value) is dict else value

        return conv_map
    if kind == "U":
        return _compile_union(spec)
    raise ValueError(f"unknown conversion spec {spec!r}")


def _compile_named(name: str) -> Converter:
    conv = _COMPILED.get(name)
    if conv is not None:
        return conv

    def resolve_then_convert(value: Any) -> Any:  # placeholder while resolving (recursive specs)
        return _COMPILED[name](value)

    _COMPILED[name] = resolve_then_convert
    target = _lookup(name)
    if isinstance(target, type) and issubclass(target, Model):
        from_wire = target.from_wire

        def conv_model(value: Any) -> Any:
            return from_wire(value) if type(value) is dict else value

        conv = conv_model
    else:
        conv = compile_spec(target)
    _COMPILED[name] = conv
    return conv


def _compile_union(spec: Any) -> Converter:
    _, list_spec, mode, options = spec
    list_conv = compile_spec(list_spec) if list_spec is not None else _raw
    if mode == "K":
        keyed = {key: compile_spec(option) for key, option in options.items()}

        def pick(value: dict[str, Any]) -> Any:
            for key in value:
                conv = keyed.get(key)
                if conv is not None:
                    return conv(value)
            return UnknownModel.from_wire(value)

    else:
        ranked = sorted(
            ((tuple(req), dict(consts), compile_spec(option)) for req, consts, option in options),
            key=lambda entry: (-len(entry[1]), -len(entry[0])),
        )
        only = ranked[0][2] if len(ranked) == 1 else None

        def pick(value: dict[str, Any]) -> Any:
            if only is not None:
                return only(value)
            for req, consts, conv in ranked:
                if all(key in value for key in req) and all(
                    value.get(key) in allowed for key, allowed in consts.items()
                ):
                    return conv(value)
            return UnknownModel.from_wire(value)

    def conv_union(value: Any) -> Any:
        kind = type(value)
        if kind is dict:
            return pick(value)
        if kind is list:
            return list_conv(value)
        return value

    return conv_union
