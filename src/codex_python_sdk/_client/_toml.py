"""Encode ``server_config_overrides`` values as TOML literals for ``codex app-server -c key=value``.

Codex parses the value after ``=`` as TOML and, when that fails, silently takes the raw text as a string,
so a wrong encoding never errors: it quietly changes the meaning. Hence every Python type is encoded
explicitly, and anything without a TOML form is refused with a clear error.

- ``None`` at the top level means "no override" (the key is left out); inside a table the key is left out;
  inside an array it is an error (TOML has no null).
- Strings become basic strings with TOML escapes; any Unicode, non-BMP included, is written as itself.
- :class:`RawToml` passes text through untouched for values already written in TOML.
"""

from __future__ import annotations

from collections.abc import Mapping

TYPE_CHECKING = False  # typing, re and datetime are not imported: this module is on the cold-start path
if TYPE_CHECKING:
    from typing import Any

__all__ = ["RawToml", "TomlValue", "encode_overrides", "toml_key", "toml_value"]

if TYPE_CHECKING:
    import datetime
    from collections.abc import Sequence
    from typing import TypeAlias, Union

    # (Union, not "|": the alias refers to itself by name, as a string.)
    TomlValue: TypeAlias = Union[  # noqa: UP007
        bool,
        int,
        float,
        str,
        datetime.date,
        datetime.time,
        Sequence["TomlValue"],
        Mapping[str, "TomlValue"],
        None,
    ]
    """What ``server_config_overrides`` values may be (``None`` leaves the key out; ``RawToml`` is a str)."""
else:
    TomlValue = object

_BARE_KEY_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-")
_ESCAPES = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f", "\r": "\\r"}


class RawToml(str):
    """A value that is already TOML text, e.g. ``RawToml('{ enabled = true }')``; passed as is."""

    __slots__ = ()


def _string(value: str) -> str:
    out = []
    for ch in value:
        esc = _ESCAPES.get(ch)
        if esc is not None:
            out.append(esc)
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\u{ord(ch):04X}")
        elif 0xD800 <= ord(ch) <= 0xDFFF:
            raise ValueError(f"lone surrogate U+{ord(ch):04X} cannot be encoded in TOML")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def toml_key(key: str) -> str:
    """One key segment: bare when possible, quoted otherwise."""
    return key if key and _BARE_KEY_CHARS.issuperset(key) else _string(key)


def toml_value(value: Any, *, path: str = "value") -> str:
    """Encode one Python value as a TOML literal (see the module docstring for ``None``)."""
    if isinstance(value, RawToml):
        return str(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value != value:  # NaN
            return "nan"
        if value in (float("inf"), float("-inf")):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    if isinstance(value, str):
        return _string(value)
    if type(value).__module__ == "datetime" and hasattr(value, "isoformat"):  # date, time, datetime
        return str(value.isoformat())
    if isinstance(value, Mapping):
        parts = []
        for k, v in value.items():
            if not isinstance(k, str):
                raise TypeError(f"{path}: TOML table keys must be strings, got {k!r}")
            if v is None:
                continue
            parts.append(f"{toml_key(k)} = {toml_value(v, path=f'{path}.{k}')}")
        return "{ " + ", ".join(parts) + " }" if parts else "{}"
    if isinstance(value, (list, tuple)):
        items = []
        for i, v in enumerate(value):
            if v is None:
                raise ValueError(f"{path}[{i}]: None has no TOML form inside an array")
            items.append(toml_value(v, path=f"{path}[{i}]"))
        return "[" + ", ".join(items) + "]"
    raise TypeError(f"{path}: cannot encode {type(value).__name__} as TOML")


def encode_overrides(overrides: Mapping[str, Any]) -> list[str]:
    """Turn ``{"a.b": value}`` into ``["-c", "a.b=<toml>", ...]``; ``None`` values are left out."""
    args: list[str] = []
    for key, value in overrides.items():
        if not isinstance(key, str) or not key.strip():
            raise ValueError(f"server_config_overrides: invalid key {key!r}")
        if value is None:
            continue
        args += ["-c", f"{key}={toml_value(value, path=key)}"]
    return args
