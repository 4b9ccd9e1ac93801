"""Schema -> intermediate representation (classes, aliases, fields, methods) for the protocol generator.

Input: the two JSON Schema bundles printed by ``codex app-server generate-json-schema`` (with and without
``--experimental``). Everything that is only in the experimental bundle is flagged ``experimental``.
Shapes the generator does not understand raise :class:`SchemaError` so that a codex upgrade fails loudly.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from .naming import class_name_from_title, clean_doc, pascal, py_attr, snake

# Envelope unions: represented by the registry (method -> params/response), not by models.
ENVELOPES = frozenset({"ClientRequest", "ClientNotification", "ServerNotification", "ServerRequest"})
# Names the generated package exports besides the schema's; a schema type may not take them.
RESERVED_NAMES = frozenset(
    {
        "TaggedUnion",
        "UnknownModel",
        "Unset",
        "UNSET",
        "JsonObject",
        "MethodSpec",
        "AsyncRpcMethods",
        "SyncRpcMethods",
        "CLIENT_METHODS",
        "NOTIFICATIONS",
        "SERVER_REQUESTS",
        "CODEX_VERSION",
        "SCHEMA_SHA256",
        "EXPERIMENTAL_SERVER_REQUESTS",
    }
)
TAG_PRIORITY = ("type", "method", "mode", "kind", "handlerType", "status")
NULL = {"type": "null"}


class SchemaError(Exception):
    """The schema has a shape this generator does not handle (update the generator)."""


@dataclass(frozen=True)
class Ty:
    """A type expression. kind: any, prim, lit, ref, list, map, nullable, union."""

    kind: str
    py: str = ""
    values: tuple[str, ...] = ()
    name: str = ""
    inner: Ty | None = None
    options: tuple[Ty, ...] = ()


ANY = Ty("any")


@dataclass
class FieldDef:
    wire: str
    py: str
    ty: Ty
    required: bool
    doc: str = ""
    experimental: bool = False
    tag_value: str | None = None
    default: Any = None
    has_default: bool = False


@dataclass
class ClassDef:
    name: str
    root: str
    doc: str = ""
    experimental: bool = False
    fields: list[FieldDef] = field(default_factory=list)
    base: str = "Model"
    union_tag: str | None = None  # set on tagged-union bases
    variants: dict[str, str] = field(default_factory=dict)  # tag value -> class name (bases only)
    tag: tuple[str, str] | None = None  # (wire, value) on variants
    module: str = ""
    roles: list[str] = field(default_factory=list)  # e.g. "Response of ``thread/start``."


@dataclass
class AliasDef:
    name: str
    ty: Ty
    doc: str = ""
    experimental: bool = False
    experimental_values: tuple[str, ...] = ()
    union: bool = False  # has a runtime conversion spec registered under its name
    mode: str = ""  # K or R for unions
    unknown: bool = False  # the union can produce UnknownModel


@dataclass
class MethodDef:
    method: str
    params: str | None
    params_nullable: bool
    response: str
    experimental: bool
    doc: str


def _flatten(bundle: dict[str, Any]) -> dict[str, Any]:
    defs = dict(bundle["definitions"])
    nested = defs.pop("v2", {})
    for name, schema in nested.items():
        # Duplicates (RequestId, AbsolutePathBuf) may differ in title/$schema only.
        if name in defs and _essence(defs[name]) != _essence(schema):
            raise SchemaError(f"definition {name} differs between v1 and v2")
        defs.setdefault(name, schema)
    return defs


def _essence(s: dict[str, Any]) -> str:
    return json.dumps({k: v for k, v in s.items() if k not in ("title", "$schema")}, sort_keys=True)


def _is_str_enum(s: Any) -> bool:
    return isinstance(s, dict) and s.get("type") == "string" and "enum" in s


def _const(s: Any) -> str | None:
    if _is_str_enum(s) and len(s["enum"]) == 1:
        return str(s["enum"][0])
    return None


class Builder:
    def __init__(self, exp_bundle: dict[str, Any], stable_bundle: dict[str, Any]) -> None:
        self.defs = _flatten(exp_bundle)
        self.sdefs = _flatten(stable_bundle)
        self.classes: dict[str, ClassDef] = {}
        self.aliases: dict[str, AliasDef] = {}
        self.taken: set[str] = set(RESERVED_NAMES) | {n for n in self.defs if n not in ENVELOPES}
        clash = RESERVED_NAMES & set(self.defs)
        if clash:
            raise SchemaError(f"schema definitions clash with names the SDK exports: {sorted(clash)}")

    # ----------------------------------------------------------------------------------- names
    def _inline_name(self, preferred: str, parent: str) -> str:
        for candidate in (preferred, parent + preferred):
            if candidate not in self.taken:
                self.taken.add(candidate)
                return candidate
        i = 2
        while f"{parent}{preferred}{i}" in self.taken:
            i += 1
        self.taken.add(f"{parent}{preferred}{i}")
        return f"{parent}{preferred}{i}"

    # ----------------------------------------------------------------------------------- types
    def ty(self, s: Any, hint: str, root: str, ss: Any, exp: bool) -> Ty:
        """Type of schema fragment ``s``; inline objects become classes named after ``hint``."""
        if s is True or s == {} or s is None:
            return ANY
        if not isinstance(s, dict):
            raise SchemaError(f"unexpected schema {s!r} at {hint}")
        if "$ref" in s:
            return Ty("ref", name=s["$ref"].rsplit("/", 1)[-1])
        if "allOf" in s:
            if len(s["allOf"]) != 1:
                raise SchemaError(f"allOf with {len(s['allOf'])} members at {hint}")
            return self.ty(s["allOf"][0], hint, root, ss, exp)
        if ("anyOf" in s or "oneOf" in s) and "properties" not in s:
            opts: list[Any] = s.get("anyOf") or s.get("oneOf") or []
            if self._tag_of(opts) is not None:
                title = s.get("title")
                name = self._inline_name(class_name_from_title(title) if title else hint, root)
                self.build_class(name, s, ss, exp, root, clean_doc(s.get("description")))
                return Ty("ref", name=name)
            non_null = [o for o in opts if o != NULL]
            if not non_null:
                return Ty("prim", py="None")
            if len(non_null) == 1:
                inner = self.ty(non_null[0], hint, root, None, exp)
            else:
                inner = Ty("union", options=tuple(self.ty(o, hint, root, None, exp) for o in non_null))
            return Ty("nullable", inner=inner) if len(non_null) < len(opts) else inner
        t = s.get("type")
        if isinstance(t, list):
            others = [x for x in t if x != "null"]
            inner = self.ty({**s, "type": others[0]}, hint, root, ss, exp) if len(others) == 1 else ANY
            return Ty("nullable", inner=inner) if "null" in t else inner
        if t == "string" or (t is None and "enum" in s):
            return Ty("lit", values=tuple(str(v) for v in s["enum"])) if "enum" in s else Ty("prim", py="str")
        if t in ("integer", "number", "boolean", "null"):
            return Ty("prim", py={"integer": "int", "number": "float", "boolean": "bool", "null": "None"}[t])
        if t == "array":
            items = s.get("items")
            item = self.ty(items, hint, root, None, exp) if isinstance(items, dict) else ANY
            return Ty("list", inner=item)
        if t == "object" or "properties" in s:
            if "properties" in s or "oneOf" in s or "anyOf" in s:
                title = s.get("title")
                name = self._inline_name(class_name_from_title(title) if title else hint, root)
                self.build_class(name, s, ss, exp, root, clean_doc(s.get("description")))
                return Ty("ref", name=name)
            ap = s.get("additionalProperties")
            return Ty("map", inner=self.ty(ap, hint, root, None, exp) if isinstance(ap, dict) else ANY)
        if t is None:
            return ANY
        raise SchemaError(f"unsupported type {t!r} at {hint}")

    # ----------------------------------------------------------------------------------- objects
    def fields_of(self, owner: str, s: dict[str, Any], ss: Any, exp: bool, root: str) -> list[FieldDef]:
        required = set(s.get("required", []))
        sprops = ss.get("properties", {}) if isinstance(ss, dict) else {}
        out: list[FieldDef] = []
        for wire, ps in s.get("properties", {}).items():
            pss = sprops.get(wire)
            fexp = exp or (isinstance(ss, dict) and pss is None)
            ty = self.ty(ps, owner + pascal(wire), root, pss, fexp)
            doc = clean_doc(ps.get("description")) if isinstance(ps, dict) else ""
            fd = FieldDef(wire, py_attr(wire), ty, wire in required, doc, fexp and not exp)
            if isinstance(ps, dict) and "default" in ps:
                fd.default, fd.has_default = ps["default"], True
            tag = _const(ps)
            if tag is not None and wire in required:
                fd.tag_value = tag
            out.append(fd)
        # Alternatives inside an object (e.g. an image input given by `url` OR `fileId`): optional fields.
        for alt in s.get("anyOf") or s.get("oneOf") or []:
            if alt == NULL:
                continue
            if not isinstance(alt, dict) or "properties" not in alt:
                raise SchemaError(f"unsupported alternative in object {owner}: {alt!r}")
            names = ", ".join(f"`{k}`" for k in alt.get("required", [])) or "(none)"
            for fd in self.fields_of(owner, {"properties": alt["properties"]}, None, exp, root):
                if all(f.wire != fd.wire for f in out):
                    fd.doc = (fd.doc + "\n\n" if fd.doc else "") + f"Alternative shape (requires {names})."
                    out.append(fd)
        seen: set[str] = set()
        for fd in out:
            if fd.py in seen:
                raise SchemaError(f"two fields of {owner} map to python name {fd.py!r}")
            seen.add(fd.py)
        return out

    def build_class(self, name: str, s: dict[str, Any], ss: Any, exp: bool, root: str, doc: str) -> None:
        opts = s.get("oneOf") or s.get("anyOf")
        if opts and self._tag_of(opts) is not None:
            self.build_tagged(name, s, ss, exp, root, doc)
            return
        cd = ClassDef(name, root, doc, exp)
        self.classes[name] = cd
        cd.fields = self.fields_of(name, s, ss, exp, root)

    def _tag_of(self, opts: list[Any]) -> str | None:
        objs = [o for o in opts if o != NULL]
        if not objs or not all(isinstance(o, dict) and "properties" in o and "$ref" not in o for o in objs):
            return None
        common: set[str] | None = None
        for o in objs:
            consts = {k for k, v in o["properties"].items() if _const(v) is not None}
            common = consts if common is None else common & consts
        if not common:
            return None
        ordered = [t for t in TAG_PRIORITY if t in common] + sorted(common - set(TAG_PRIORITY))
        for tag in ordered:
            values = [_const(o["properties"][tag]) for o in objs]
            if len(set(values)) == len(values):
                return tag
        return None

    def build_tagged(self, name: str, s: dict[str, Any], ss: Any, exp: bool, root: str, doc: str) -> None:
        opts = [o for o in (s.get("oneOf") or s.get("anyOf") or []) if o != NULL]
        tag = self._tag_of(opts)
        assert tag is not None
        base = ClassDef(name, root, doc, exp, base="TaggedUnion", union_tag=tag)
        self.classes[name] = base
        common = {k: v for k, v in s.items() if k in ("properties", "required")}
        base.fields = self.fields_of(name, common, ss, exp, root) if "properties" in s else []
        stable_opts = (ss.get("oneOf") or ss.get("anyOf") or []) if isinstance(ss, dict) else []
        variants: list[ClassDef] = []
        for o in opts:
            value = _const(o["properties"][tag])
            assert value is not None
            title = o.get("title")
            vname = self._inline_name(class_name_from_title(title) if title else pascal(value) + name, root)
            sv = next((x for x in stable_opts if _const(x.get("properties", {}).get(tag)) == value), None)
            vexp = exp or (isinstance(ss, dict) and sv is None)
            vdoc = clean_doc(o.get("description"))
            cd = ClassDef(vname, root, vdoc, vexp, base=name, tag=(tag, value))
            self.classes[vname] = cd
            cd.fields = self.fields_of(vname, o, sv, vexp, root)
            base.variants[value] = vname
            variants.append(cd)
        # The tag itself: Literal of all known values on the base, a single value on each variant.
        base.fields.insert(0, FieldDef(tag, py_attr(tag), Ty("lit", values=tuple(base.variants)), True))
        # Fields every variant has with the same type move to the base (readable without narrowing).
        first = variants[0]
        for fd in list(first.fields):
            if fd.wire == tag or any(f.wire == fd.wire for f in base.fields):
                continue
            same = [next((f for f in v.fields if f.wire == fd.wire), None) for v in variants]
            if all(f is not None and (f.ty, f.required) == (fd.ty, fd.required) for f in same):
                base.fields.append(fd)
                for v in variants:
                    v.fields = [f for f in v.fields if f.wire != fd.wire]

    # ----------------------------------------------------------------------------------- definitions
    def build_all(self) -> None:
        for name in sorted(self.defs):
            if name not in ENVELOPES:
                self.build_def(name)

    def build_def(self, name: str) -> None:
        s = self.defs[name]
        ss = self.sdefs.get(name)
        exp = ss is None
        doc = clean_doc(s.get("description"))
        opts = s.get("oneOf") or s.get("anyOf")
        if opts is not None and "properties" not in s:
            non_null = [o for o in opts if o != NULL]
            if all(_is_str_enum(o) for o in non_null) and len(non_null) == len(opts):
                values = tuple(str(v) for o in non_null for v in o["enum"])
                self._lit_alias(name, values, ss, doc, exp)
            elif self._tag_of(opts) is not None:
                self.build_class(name, s, ss, exp, name, doc)
            elif len(non_null) == 1:
                self.aliases[name] = AliasDef(name, self.ty(s, name, name, ss, exp), doc, exp)
            else:
                self.build_union_alias(name, non_null, ss, exp, doc)
        elif s.get("type") == "object" or "properties" in s:
            self.build_class(name, s, ss, exp, name, doc)
        elif _is_str_enum(s):
            self._lit_alias(name, tuple(str(v) for v in s["enum"]), ss, doc, exp)
        else:
            self.aliases[name] = AliasDef(name, self.ty(s, name, name, ss, exp), doc, exp)

    def _lit_alias(self, name: str, values: tuple[str, ...], ss: Any, doc: str, exp: bool) -> None:
        stable_values: set[str] = set()
        if isinstance(ss, dict):
            for o in [ss, *(ss.get("oneOf") or ss.get("anyOf") or [])]:
                stable_values.update(str(v) for v in o.get("enum", []))
        exp_values = () if exp else tuple(v for v in values if v not in stable_values)
        self.aliases[name] = AliasDef(name, Ty("lit", values=values), doc, exp, exp_values)

    def build_union_alias(self, name: str, opts: list[Any], ss: Any, exp: bool, doc: str) -> None:
        values: list[str] = []
        options: list[Ty] = []
        objects: list[dict[str, Any]] = []
        for o in opts:
            if _is_str_enum(o):
                values += [str(v) for v in o["enum"]]
            elif isinstance(o, dict) and set(o.get("type") or ()) == {"string", "object"}:
                continue  # catch-all of a #[serde(untagged)] fallback: unknown values stay raw
            elif isinstance(o, dict) and "properties" in o:
                objects.append(o)
            else:
                options.append(self.ty(o, name, name, None, exp))
        keyed = bool(objects) and all(
            len(o["properties"]) == 1 and o.get("required") == list(o["properties"]) for o in objects
        )
        keys = [next(iter(o["properties"])) for o in objects]
        keyed = keyed and len(set(keys)) == len(keys)
        for o in objects:
            title = o.get("title")
            if title:
                preferred = class_name_from_title(title)
            else:
                own = [k for k in o.get("required", []) if not all(k in x["properties"] for x in objects)]
                preferred = pascal(own[0]) + name if own else name + "Option"
            cname = self._inline_name(preferred, name)
            self.build_class(cname, o, None, exp, name, clean_doc(o.get("description")))
            options.append(Ty("ref", name=cname))
        if values:
            options.insert(0, Ty("lit", values=tuple(values)))
        alias = AliasDef(name, Ty("union", options=tuple(options)), doc, exp, union=True)
        alias.mode = "K" if keyed else "R"
        self.aliases[name] = alias

    # ----------------------------------------------------------------------------------- protocol tables
    def methods(self, exceptions: dict[str, str]) -> list[MethodDef]:
        stable = {v["properties"]["method"]["enum"][0] for v in self.sdefs["ClientRequest"]["oneOf"]}
        out: list[MethodDef] = []
        unresolved: list[str] = []
        for v in self.defs["ClientRequest"]["oneOf"]:
            method = v["properties"]["method"]["enum"][0]
            params, nullable = self._params_ref(v["properties"].get("params", NULL), method)
            response = exceptions.get(method)
            if response is None and params is not None and params.endswith("Params"):
                response = params[: -len("Params")] + "Response"
            if response is None or response not in self.defs:
                unresolved.append(f"{method} (params {params}, tried {response})")
                continue
            out.append(
                MethodDef(
                    method, params, nullable, response, method not in stable, clean_doc(v.get("description"))
                )
            )
        if unresolved:
            raise SchemaError("cannot resolve the response type of: " + "; ".join(unresolved))
        unused = set(exceptions) - {m.method for m in out}
        if unused:
            raise SchemaError(f"response exceptions name methods the schema lacks: {sorted(unused)}")
        return out

    def _params_ref(self, p: dict[str, Any], where: str) -> tuple[str | None, bool]:
        if p == NULL:
            return None, False
        if "$ref" in p:
            return p["$ref"].rsplit("/", 1)[-1], False
        opts = p.get("anyOf", [])
        refs = [o for o in opts if "$ref" in o]
        if len(refs) == 1 and len(opts) == 2 and NULL in opts:
            return refs[0]["$ref"].rsplit("/", 1)[-1], True
        raise SchemaError(f"unsupported params schema for {where}: {p!r}")

    def notifications(self) -> list[tuple[str, str, str]]:
        out = []
        for v in self.defs["ServerNotification"]["oneOf"]:
            name, _ = self._params_ref(v["properties"]["params"], v["properties"]["method"]["enum"][0])
            assert name is not None
            out.append((v["properties"]["method"]["enum"][0], name, clean_doc(v.get("description"))))
        return out

    def server_requests(self) -> list[tuple[str, str, str, bool, str]]:
        stable = {v["properties"]["method"]["enum"][0] for v in self.sdefs["ServerRequest"]["oneOf"]}
        out = []
        for v in self.defs["ServerRequest"]["oneOf"]:
            method = v["properties"]["method"]["enum"][0]
            params, _ = self._params_ref(v["properties"]["params"], method)
            if params is None or not params.endswith("Params"):
                raise SchemaError(f"server request {method}: unexpected params {params}")
            response = params[: -len("Params")] + "Response"
            if response not in self.defs:
                raise SchemaError(f"server request {method}: no {response} in the schema")
            out.append((method, params, response, method not in stable, clean_doc(v.get("description"))))
        return out

    # ----------------------------------------------------------------------------------- modules
    def assign_modules(self) -> None:
        """One module per top-level definition (with its inline classes): loading follows use."""
        owners: dict[str, str] = {}
        for cd in self.classes.values():
            cd.module = snake(cd.root)
            if owners.setdefault(cd.module, cd.root) != cd.root:
                raise SchemaError(f"definitions {cd.root} and {owners[cd.module]} share module {cd.module}")
