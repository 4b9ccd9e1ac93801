"""Emit the model modules (``protocol/_models/*.py``) and the type aliases (``protocol/_aliases.py``)."""

from __future__ import annotations

import json

from .ir import AliasDef, ClassDef, FieldDef
from .naming import docstring
from .types import Types, pyrepr

EXPERIMENTAL_TYPE = (
    "Experimental: only in the experimental API (needs `capabilities.experimentalApi` at `initialize`)."
)


def all_fields(t: Types, cd: ClassDef) -> list[FieldDef]:
    """Own and inherited fields, base first (only one level of inheritance exists)."""
    if cd.base in ("Model", "TaggedUnion"):
        return list(cd.fields)
    return list(t.b.classes[cd.base].fields) + list(cd.fields)


def class_doc(t: Types, cd: ClassDef) -> str:
    parts = [cd.doc] if cd.doc else []
    if cd.roles:
        parts.append(" ".join(cd.roles))
    if cd.union_tag is not None:
        names = ", ".join(f":class:`{v}`" for v in cd.variants.values())
        parts.append(
            f"Tagged union on `{cd.union_tag}`; ``{cd.name}.from_wire`` returns the variant: {names}. "
            f"An unknown `{cd.union_tag}` gives an instance of this base class."
        )
    if cd.tag is not None:
        parts.append(f"Variant of :class:`{cd.base}` with `{cd.tag[0]}` = ``{json.dumps(cd.tag[1])}``.")
    if cd.experimental:
        parts.append(EXPERIMENTAL_TYPE)
    return "\n\n".join(parts) or f"``{cd.name}`` object of the app-server protocol."


def field_doc(fd: FieldDef) -> str:
    parts = [fd.doc] if fd.doc else []
    if fd.has_default:
        parts.append(f"Default when omitted: ``{json.dumps(fd.default)}``.")
    if fd.experimental:
        parts.append("Experimental field (needs `capabilities.experimentalApi`).")
    return "\n\n".join(parts)


def read_annotation(t: Types, fd: FieldDef) -> str:
    ann = t.out(fd.ty)
    if fd.tag_value is not None:
        ann = f"Literal[{json.dumps(fd.tag_value)}]"
    if not fd.required and not ann.endswith("| None") and ann != "Any":
        ann += " | None"
    return ann


def init_param(t: Types, fd: FieldDef, auto_tag: bool) -> str:
    ann = t.inp(fd.ty)
    if fd.tag_value is not None:
        ann = f"Literal[{json.dumps(fd.tag_value)}]"
        if auto_tag:
            return f"{fd.py}: {ann} | Unset = UNSET"
    if fd.required:
        return f"{fd.py}: {ann}"
    return f"{fd.py}: {ann} | Unset = UNSET"


def init_params(t: Types, cd: ClassDef) -> list[str]:
    """Keyword-only ``__init__`` parameters: required ones first, then the auto-set tag, then optional."""
    fields = all_fields(t, cd)
    if cd.tag is not None:  # the variant's own tag replaces the base's Literal of all tags
        fields = [f for f in fields if f.wire != cd.tag[0] or any(f is g for g in cd.fields)]

    def is_auto_tag(f: FieldDef) -> bool:
        return cd.tag is not None and f.wire == cd.tag[0]

    required = [init_param(t, f, False) for f in fields if f.required and not is_auto_tag(f)]
    tags = [init_param(t, f, True) for f in fields if is_auto_tag(f)]
    optional = [init_param(t, f, False) for f in fields if not f.required]
    return required + tags + optional


def emit_class(t: Types, cd: ClassDef, refs: set[str]) -> list[str]:
    base = {"Model": "_Model", "TaggedUnion": "_TaggedUnion"}.get(cd.base, cd.base)
    lines = ["", "", f"class {cd.name}({base}):"]
    lines += docstring(class_doc(t, cd), "    ")
    lines += ["", "    __slots__ = ()"]
    fields = all_fields(t, cd)
    required = tuple(f.wire for f in fields if f.required and not (cd.tag and f.wire == cd.tag[0]))
    if cd.union_tag is not None:  # variants override it: declare the type
        lines.append(f"    _required: ClassVar[tuple[str, ...]] = {pyrepr(required)}")
    elif required:
        lines.append(f"    _required = {pyrepr(required)}")
    if cd.tag is not None:
        lines.append(f"    _tag = {pyrepr(cd.tag)}")
    if cd.union_tag is not None:
        lines.append(f"    _tag_field = {pyrepr(cd.union_tag)}")
        lines.append(f"    _variants = {pyrepr(cd.variants)}")
    params = init_params(t, cd)
    lines += ["", "    if TYPE_CHECKING:", ""]
    if params:
        lines.append("        def __init__(")
        lines.append("            self,")
        lines.append("            *,")
        lines += [f"            {p}," for p in params]
        lines.append("        ) -> None: ...")
    else:
        lines.append("        def __init__(self) -> None: ...")
    for f in fields:
        t.refs(f.ty, refs)
    for fd in cd.fields:
        spec = t.spec(fd.ty)
        ann = read_annotation(t, fd)
        if fd.wire == cd.union_tag:
            ann = t.out(fd.ty)
        args = json.dumps(fd.wire) if spec is None else f"{json.dumps(fd.wire)}, {pyrepr(spec)}"
        lines.append("")
        lines.append(f"    {fd.py}: _Field[{ann}] = _Field({args})")
        lines += docstring(field_doc(fd), "    ")
    return lines


def emit_model_module(t: Types, module: str, classes: list[ClassDef], header: list[str]) -> str:
    refs: set[str] = set()
    body: list[str] = []
    for cd in classes:
        body += emit_class(t, cd, refs)
        if cd.base not in ("Model", "TaggedUnion"):
            refs.add(cd.base)
    local = {cd.name for cd in classes}
    imports: dict[str, list[str]] = {}
    for name in sorted(refs - local):
        if name in t.b.classes:
            imports.setdefault(f".{t.b.classes[name].module}", []).append(name)
        else:
            imports.setdefault(".._aliases", []).append(name)
    runtime = ["Field as _Field", "Model as _Model"]
    if any(c.union_tag for c in classes):
        runtime.append("TaggedUnion as _TaggedUnion")
    out = list(header)
    out += [
        f'"""Protocol models: the ``{module}`` group."""',
        "",
        "from __future__ import annotations",
        "",
        f"from .._base import {', '.join(runtime)}",
        "",
        "TYPE_CHECKING = False",
        "if TYPE_CHECKING:",
        "    from collections.abc import Mapping, Sequence",
        "    from typing import Any, ClassVar, Literal",
        "",
        "    from .._base import UNSET, JsonObject, UnknownModel, Unset",
    ]
    for mod in sorted(imports):
        out.append(f"    from {mod} import {', '.join(imports[mod])}")
    out += body
    return "\n".join(out) + "\n"


def alias_doc(a: AliasDef) -> str:
    parts = [a.doc] if a.doc else []
    if a.union:
        parts.append("Union: raw strings stay strings; JSON objects become the model chosen by their keys.")
    if a.experimental:
        parts.append(EXPERIMENTAL_TYPE)
    if a.experimental_values:
        values = ", ".join(f"``{json.dumps(v)}``" for v in a.experimental_values)
        parts.append(f"Experimental values: {values}")
    return "\n\n".join(parts)


def emit_aliases(t: Types, header: list[str]) -> str:
    out = list(header)
    out += [
        '"""Type aliases of the protocol: string enums (``Literal``), unions and primitive aliases.',
        "",
        "Enum-like aliases are for type checkers and completion only: at runtime any string is accepted and",
        "returned (a newer codex may send values this version does not list).",
        '"""',
        "",
        "from __future__ import annotations",
        "",
        "from typing import Any, Literal, Optional, TypeAlias, Union",
        "",
        "TYPE_CHECKING = False",
        "if TYPE_CHECKING:",
        "    from ._base import UnknownModel",
    ]
    refs: set[str] = set()
    for a in t.b.aliases.values():
        t.refs(a.ty, refs)
    imports: dict[str, list[str]] = {}
    for name in sorted(refs):
        if name in t.b.classes:
            imports.setdefault(f"._models.{t.b.classes[name].module}", []).append(name)
    for mod in sorted(imports):
        out.append(f"    from {mod} import {', '.join(imports[mod])}")
    out += ["", "__all__: list[str] = []  # the aliases are listed in codex_python_sdk.protocol.__all__"]
    for name in sorted(t.b.aliases):
        a = t.b.aliases[name]
        out.append("")
        out.append(f"{name}: TypeAlias = {t.runtime_alias(a.ty)}")
        out += docstring(alias_doc(a), "")
    return "\n".join(out) + "\n"
