"""Rendering of IR types: annotations (read and input side), runtime alias values and conversion specs."""

from __future__ import annotations

import json
from typing import Any

from .ir import AliasDef, Builder, ClassDef, SchemaError, Ty


def pyrepr(value: Any) -> str:
    """Deterministic Python literal for specs: str, None, bool, tuple, list, dict (double-quoted strings)."""
    if value is None or isinstance(value, bool):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, tuple):
        inner = ", ".join(pyrepr(v) for v in value)
        return f"({inner},)" if len(value) == 1 else f"({inner})"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{pyrepr(k)}: {pyrepr(v)}" for k, v in value.items()) + "}"
    raise TypeError(f"cannot render {value!r}")


def _join(parts: list[str]) -> str:
    seen: list[str] = []
    for part in parts:
        for piece in part.split(" | "):
            if piece not in seen:
                seen.append(piece)
    if "None" in seen:  # keep None last, as people write it
        seen.remove("None")
        seen.append("None")
    return " | ".join(seen)


def _lit(values: tuple[str, ...]) -> str:
    return "Literal[" + ", ".join(json.dumps(v, ensure_ascii=False) for v in values) + "]"


class Types:
    def __init__(self, builder: Builder) -> None:
        self.b = builder
        self.union_specs: dict[str, Any] = {}
        self._spec_cache: dict[str, Any] = {}

    # ---------------------------------------------------------------- lookups
    def cls(self, name: str) -> ClassDef | None:
        return self.b.classes.get(name)

    def alias(self, name: str) -> AliasDef | None:
        return self.b.aliases.get(name)

    def check_ref(self, name: str) -> None:
        if name not in self.b.classes and name not in self.b.aliases:
            raise SchemaError(f"reference to unknown definition {name}")

    # ---------------------------------------------------------------- annotations
    def out(self, ty: Ty) -> str:
        """Annotation of a value as read from a model."""
        k = ty.kind
        if k == "any":
            return "Any"
        if k == "prim":
            return ty.py
        if k == "lit":
            return _lit(ty.values)
        if k == "ref":
            self.check_ref(ty.name)
            return ty.name
        if k == "list":
            assert ty.inner is not None
            return f"list[{self.out(ty.inner)}]"
        if k == "map":
            assert ty.inner is not None
            return f"dict[str, {self.out(ty.inner)}]"
        if k == "nullable":
            assert ty.inner is not None
            return _join([self.out(ty.inner), "None"])
        if k == "union":
            parts = [self.out(o) for o in ty.options]
            if self.union_unknown(ty):
                parts.append("UnknownModel")
            return _join(parts)
        raise SchemaError(f"bad type kind {k}")

    def inp(self, ty: Ty) -> str:
        """Annotation of a value accepted when constructing (models or raw JSON objects)."""
        k = ty.kind
        if k == "ref":
            self.check_ref(ty.name)
            if ty.name in self.b.classes or self.has_objects(ty):
                return f"{ty.name} | JsonObject"
            return ty.name
        if k == "list":
            assert ty.inner is not None
            return f"Sequence[{self.inp(ty.inner)}]"
        if k == "map":
            assert ty.inner is not None
            return f"Mapping[str, {self.inp(ty.inner)}]"
        if k == "nullable":
            assert ty.inner is not None
            return _join([self.inp(ty.inner), "None"])
        if k == "union":
            return _join([self.inp(o) for o in ty.options])
        return self.out(ty)

    def runtime_alias(self, ty: Ty) -> str:
        """Right-hand side of a type alias that is valid at runtime (classes as forward references)."""
        k = ty.kind
        if k == "ref":
            return json.dumps(ty.name)
        if k == "list":
            assert ty.inner is not None
            return f"list[{self.runtime_alias(ty.inner)}]"
        if k == "map":
            assert ty.inner is not None
            return f"dict[str, {self.runtime_alias(ty.inner)}]"
        if k == "nullable":
            assert ty.inner is not None
            return f"Optional[{self.runtime_alias(ty.inner)}]"
        if k == "union":
            parts = [self.runtime_alias(o) for o in ty.options]
            if self.union_unknown(ty):
                parts.append('"UnknownModel"')
            return "Union[" + ", ".join(parts) + "]"
        return self.out(ty)

    def refs(self, ty: Ty, acc: set[str]) -> set[str]:
        """Names (classes and aliases) an annotation of ``ty`` mentions."""
        if ty.kind == "ref":
            acc.add(ty.name)
        if ty.inner is not None:
            self.refs(ty.inner, acc)
        for o in ty.options:
            self.refs(o, acc)
        return acc

    # ---------------------------------------------------------------- union analysis
    def has_objects(self, ty: Ty) -> bool:
        if ty.kind == "ref":
            if ty.name in self.b.classes:
                return True
            alias = self.b.aliases[ty.name]
            return self.has_objects(alias.ty)
        if ty.kind == "nullable":
            assert ty.inner is not None
            return self.has_objects(ty.inner)
        if ty.kind == "union":
            return any(self.has_objects(o) for o in ty.options)
        return False

    def object_options(self, ty: Ty) -> list[str]:
        """Model classes a JSON object in a value of type ``ty`` may become (aliases flattened)."""
        if ty.kind == "ref":
            if ty.name in self.b.classes:
                return [ty.name]
            return self.object_options(self.b.aliases[ty.name].ty)
        if ty.kind == "nullable":
            assert ty.inner is not None
            return self.object_options(ty.inner)
        if ty.kind == "union":
            return [name for o in ty.options for name in self.object_options(o)]
        return []

    def union_unknown(self, ty: Ty) -> bool:
        return len(self.object_options(ty)) > 1

    def _list_spec(self, ty: Ty) -> Any:
        for o in ty.options:
            target = o
            while target.kind == "ref" and target.name in self.b.aliases:
                target = self.b.aliases[target.name].ty
            if target.kind == "list":
                spec = self.spec(target)
                if spec is not None:
                    return spec
        return None

    def _class_match(self, name: str) -> tuple[tuple[str, ...], dict[str, tuple[str, ...]]]:
        cd = self.b.classes[name]
        fields = list(cd.fields)
        if cd.base not in ("Model", "TaggedUnion"):
            fields = list(self.b.classes[cd.base].fields) + fields
        required = tuple(f.wire for f in fields if f.required)
        consts: dict[str, tuple[str, ...]] = {}
        for f in fields:
            if not f.required:
                continue
            t = f.ty
            while t.kind == "ref" and t.name in self.b.aliases:
                t = self.b.aliases[t.name].ty
            if t.kind == "lit":
                consts[f.wire] = t.values
        return required, consts

    def union_spec(self, ty: Ty, mode: str) -> Any:
        objects = self.object_options(ty)
        list_spec = self._list_spec(ty)
        if len(objects) <= 1 and list_spec is None:
            return objects[0] if objects else None
        if not objects:
            return list_spec
        if mode == "K" and all(len(self.b.classes[name].fields) == 1 for name in objects):
            keyed = {}
            for name in objects:
                fields = self.b.classes[name].fields
                keyed[fields[0].wire] = name
            return ("U", list_spec, "K", keyed)
        entries = tuple((*self._class_match(name), name) for name in objects)
        return ("U", list_spec, "R", entries)

    # ---------------------------------------------------------------- runtime specs
    def spec(self, ty: Ty) -> Any:
        k = ty.kind
        if k in ("any", "prim", "lit"):
            return None
        if k == "ref":
            if ty.name in self.b.classes:
                return ty.name
            return self.alias_spec(ty.name)
        if k in ("list", "map"):
            assert ty.inner is not None
            inner = self.spec(ty.inner)
            return None if inner is None else ("L" if k == "list" else "D", inner)
        if k == "nullable":
            assert ty.inner is not None
            return self.spec(ty.inner)
        if k == "union":
            return self.union_spec(ty, "R")
        raise SchemaError(f"bad type kind {k}")

    def alias_spec(self, name: str) -> Any:
        if name in self._spec_cache:
            return self._spec_cache[name]
        self._spec_cache[name] = None  # recursion guard
        alias = self.b.aliases[name]
        spec = self.union_spec(alias.ty, alias.mode) if alias.union else self.spec(alias.ty)
        if isinstance(spec, tuple) and spec[0] == "U":
            self.union_specs[name] = spec
            spec = name
        self._spec_cache[name] = spec
        return spec
