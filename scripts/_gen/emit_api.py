"""Emit ``protocol/_registry.py``, ``protocol/_methods.py`` and ``protocol/__init__.py``."""

from __future__ import annotations

import json
from typing import Any

from .emit_models import all_fields, init_params
from .ir import MethodDef, SchemaError
from .naming import docstring, method_py_name
from .types import Types, pyrepr

# The registry's behaviour lives in codex_python_sdk.protocol._registry_runtime; the generated module
# binds it to the tables below under the names callers import.
REGISTRY_BINDINGS = """

_REGISTRY = ProtocolRegistry(
    __package__, _MODULES, _ALIASES, _UNIONS, _ALIAS_SPECS, CLIENT_METHODS, NOTIFICATIONS, SERVER_REQUESTS
)
load_model = _REGISTRY.load_model
lookup = _REGISTRY.lookup
decode = _REGISTRY.decode
decode_result = _REGISTRY.decode_result
decode_notification = _REGISTRY.decode_notification
decode_server_request = _REGISTRY.decode_server_request
encode_params = _REGISTRY.encode_params
"""


def emit_registry(
    t: Types,
    header: list[str],
    methods: list[MethodDef],
    notifications: list[tuple[str, str, str]],
    server_requests: list[tuple[str, str, str, bool, str]],
    version: str,
    sha: str,
    alias_specs: dict[str, Any],
) -> str:
    out = list(header)
    out += [
        '"""Registry of the app-server protocol: methods, notifications, server requests, model lookup."""',
        "",
        "from __future__ import annotations",
        "",
        "from ._registry_runtime import MethodSpec as MethodSpec",
        "from ._registry_runtime import ProtocolRegistry",
        "",
        "TYPE_CHECKING = False",
        "if TYPE_CHECKING:",
        "    from typing import Any",
        "",
        f"CODEX_VERSION = {json.dumps(version)}",
        '"""Version of the codex binary the protocol was generated from."""',
        f"SCHEMA_SHA256 = {json.dumps(sha)}",
        '"""sha256 of the canonical JSON of the ``--experimental`` schema bundle."""',
        "",
        "# method, python name, params model ('-': none), response model, experimental, params nullable",
        '_METHOD_TABLE = """\\',
    ]
    for m in methods:
        flags = f"{int(m.experimental)} {int(m.params_nullable)}"
        out.append(f"{m.method} {method_py_name(m.method)} {m.params or '-'} {m.response} {flags}")
    out += [
        '"""',
        "",
        "CLIENT_METHODS: dict[str, MethodSpec] = {}",
        '"""Client -> server request methods by wire name."""',
        "for _row in _METHOD_TABLE.splitlines():",
        "    _m, _py, _p, _r, _e, _n = _row.split()",
        '    CLIENT_METHODS[_m] = MethodSpec(_m, _py, None if _p == "-" else _p, _r, _e == "1", _n == "1")',
        "",
    ]
    out.append("NOTIFICATIONS: dict[str, str] = {")
    out += [f"    {json.dumps(m)}: {json.dumps(p)}," for m, p, _ in notifications]
    out += ["}", '"""Server notifications: wire method -> params model name."""', ""]
    out.append("SERVER_REQUESTS: dict[str, tuple[str, str]] = {")
    out += [f"    {json.dumps(m)}: ({json.dumps(p)}, {json.dumps(r)})," for m, p, r, _, _ in server_requests]
    out += ["}", '"""Server -> client requests: wire method -> (params model, response model)."""', ""]
    exp = sorted(m for m, _, _, e, _ in server_requests if e)
    out.append(f"EXPERIMENTAL_SERVER_REQUESTS: frozenset[str] = frozenset({pyrepr(tuple(exp))})")
    out += ["", "# model class -> module under _models/", '_MODULE_TABLE = """\\']
    out += [f"{n} {c.module}" for n, c in sorted(t.b.classes.items())]
    out += ['"""', "_MODULES: dict[str, str] = dict(row.split() for row in _MODULE_TABLE.splitlines())"]
    out += ["", f"_ALIASES: frozenset[str] = frozenset({pyrepr(tuple(sorted(t.b.aliases)))})", ""]
    out.append("# conversion specs of the unions (see codex_python_sdk.protocol._base.compile_spec)")
    out.append("_UNIONS: dict[str, Any] = {")
    out += [f"    {json.dumps(n)}: {pyrepr(s)}," for n, s in sorted(t.union_specs.items())]
    out += ["}", "# aliases whose values convert (to a model or through a union); the others stay raw"]
    out.append("_ALIAS_SPECS: dict[str, Any] = {")
    out += [f"    {json.dumps(n)}: {pyrepr(s)}," for n, s in alias_specs.items() if s is not None]
    out.append("}")
    return "\n".join(out) + REGISTRY_BINDINGS


def _method_doc(m: MethodDef, t: Types) -> str:
    parts = [f"``{m.method}``" + (f": {m.doc}" if m.doc else ".")]
    if m.params is not None and not m.doc:
        pdoc = t.b.classes[m.params].doc if m.params in t.b.classes else ""
        if pdoc:
            parts.append(pdoc)
    if m.experimental:
        parts.append("Experimental: needs `capabilities.experimentalApi` at `initialize`.")
    pcls = t.b.classes.get(m.params or "")
    exp_args = [f.py for f in pcls.fields if f.experimental] if pcls is not None else []
    if exp_args:
        parts.append("Experimental arguments: " + ", ".join(f"``{a}``" for a in exp_args) + ".")
    if m.params is None:
        parts.append(f"Takes no params. Returns :class:`{m.response}`.")
    else:
        parts.append(
            f"Params: a :class:`{m.params}` (or a dict) as the only positional argument, or its fields as "
            f"keyword arguments. Returns :class:`{m.response}`."
        )
    return "\n\n".join(parts)


TIMEOUT = "request_timeout: float | None | Unset = UNSET"


def _stub_lines(t: Types, m: MethodDef, is_async: bool, refs: set[str]) -> list[str]:
    """Typed signature(s) of one method for ``_methods.pyi``."""
    name = method_py_name(m.method)
    d = "async def" if is_async else "def"
    resp = m.response
    refs.add(resp)
    doc = docstring(_method_doc(m, t), "        ")
    if m.params is None:
        return ["", f"    {d} {name}(self, *, {TIMEOUT}) -> {resp}:", *doc]
    refs.add(m.params)
    pcls = t.b.classes.get(m.params)
    if pcls is None:
        raise SchemaError(f"params of {m.method} ({m.params}) is not an object model")
    ptype = f"{m.params} | JsonObject" + (" | None" if m.params_nullable else "")
    fields = [] if pcls.union_tag is not None else all_fields(t, pcls)
    for f in fields:
        if f.py in ("request_timeout", "self", "args", "kwargs"):
            raise SchemaError(f"{m.params}.{f.wire} clashes with a method argument name")
        t.refs(f.ty, refs)
    if not fields:
        if pcls.union_tag is not None and not m.params_nullable:
            sig = f"self, params: {ptype}, /, *, {TIMEOUT}"
        else:
            sig = f"self, params: {m.params} | JsonObject | None = None, /, *, {TIMEOUT}"
        return ["", f"    {d} {name}({sig}) -> {resp}:", *doc]
    lines = ["", "    @overload", f"    {d} {name}(self, params: {ptype}, /, *, {TIMEOUT}) -> {resp}:"]
    lines += doc or ["        ..."]
    lines += ["    @overload", f"    {d} {name}(", "        self,", "        *,"]
    lines += [f"        {p}," for p in init_params(t, pcls)]
    lines += [f"        {TIMEOUT},", f"    ) -> {resp}:"]
    lines += doc or ["        ..."]
    return lines


def _imports(t: Types, refs: set[str], prefix: str) -> list[str]:
    by_mod: dict[str, list[str]] = {}
    for name in sorted(refs):
        if name in t.b.classes:
            by_mod.setdefault(f"{prefix}_models.{t.b.classes[name].module}", []).append(name)
        else:
            by_mod.setdefault(f"{prefix}_aliases", []).append(name)
    return [f"from {mod} import {', '.join(names)}" for mod, names in sorted(by_mod.items())]


METHODS_DOC = [
    '"""Typed methods for every client -> server request of the app-server protocol.',
    "",
    "Both classes wrap one ``call`` callable supplied by the client: ``call(method, params, timeout)`` sends",
    "the request and returns (async: an awaitable of) the raw JSON ``result``. Each method encodes its",
    "arguments (a params model or dict as the only positional argument, or the params' fields as keyword",
    "arguments), calls ``call`` and wraps the result in the response model. Importing this module does not",
    "import the models; they load on first use. The signatures are in ``_methods.pyi``.",
    '"""',
]


def emit_methods(t: Types, header: list[str], methods: list[MethodDef]) -> tuple[str, str]:
    """(runtime ``_methods.py``, typed ``_methods.pyi``)."""
    out = [*header, *METHODS_DOC, ""]
    out += [
        "from __future__ import annotations",
        "",
        "from ._base import UNSET",
        "from ._registry import CLIENT_METHODS",
        "from ._registry import decode as _decode",
        "from ._registry import encode_params as _encode",
        "",
        "",
        "class AsyncRpcMethods:",
        '    """One ``async`` method per client request (all of them, experimental ones included)."""',
        "",
        '    __slots__ = ("_call",)',
        "",
        "    def __init__(self, call):",
        "        self._call = call",
        "",
        "",
        "class SyncRpcMethods:",
        '    """One blocking method per client request (all of them, experimental ones included)."""',
        "",
        '    __slots__ = ("_call",)',
        "",
        "    def __init__(self, call):",
        "        self._call = call",
        "",
        "",
        "def _async_method(name, method, params, response, nullable):",
        "    async def rpc(self, *args, request_timeout=UNSET, **kwargs):",
        "        raw = await self._call(method, _encode(params, args, kwargs, nullable), request_timeout)",
        "        return _decode(response, raw)",
        "",
        "    rpc.__name__ = name",
        '    rpc.__qualname__ = "AsyncRpcMethods." + name',
        '    rpc.__doc__ = f"``{method}`` -> {response} (typed signature in _methods.pyi)"',
        "    return rpc",
        "",
        "",
        "def _sync_method(name, method, params, response, nullable):",
        "    def rpc(self, *args, request_timeout=UNSET, **kwargs):",
        "        raw = self._call(method, _encode(params, args, kwargs, nullable), request_timeout)",
        "        return _decode(response, raw)",
        "",
        "    rpc.__name__ = name",
        '    rpc.__qualname__ = "SyncRpcMethods." + name',
        '    rpc.__doc__ = f"``{method}`` -> {response} (typed signature in _methods.pyi)"',
        "    return rpc",
        "",
        "",
        "# One method per entry of CLIENT_METHODS (the registry's method table).",
        "for _spec in CLIENT_METHODS.values():",
        "    _args = (_spec.python_name, _spec.method, _spec.params, _spec.response, _spec.params_nullable)",
        "    setattr(AsyncRpcMethods, _spec.python_name, _async_method(*_args))",
        "    setattr(SyncRpcMethods, _spec.python_name, _sync_method(*_args))",
        "del _spec, _args",
    ]
    runtime = "\n".join(out) + "\n"

    refs: set[str] = set()
    bodies: dict[bool, list[str]] = {True: [], False: []}
    for is_async in (True, False):
        for m in methods:
            bodies[is_async] += _stub_lines(t, m, is_async, refs)
    stub = [*header, *METHODS_DOC, ""]
    stub += [
        "from collections.abc import Awaitable, Callable, Mapping, Sequence",
        "from typing import Any, Literal, TypeAlias, overload",
        "",
        "from ._base import UNSET, JsonObject, UnknownModel, Unset",
        *_imports(t, refs, "."),
        "",
        "AsyncCall: TypeAlias = Callable[[str, dict[str, Any] | None, float | None | Unset], Awaitable[Any]]",
        '"""``await call(method, params, timeout)`` -> the raw JSON ``result``."""',
        "SyncCall: TypeAlias = Callable[[str, dict[str, Any] | None, float | None | Unset], Any]",
        '"""``call(method, params, timeout)`` -> the raw JSON ``result``."""',
    ]
    for cls, call, is_async in (
        ("AsyncRpcMethods", "AsyncCall", True),
        ("SyncRpcMethods", "SyncCall", False),
    ):
        what = "``async``" if is_async else "blocking"
        stub += [
            "",
            f"class {cls}:",
            f'    """One {what} method per client request (all of them, experimental ones included)."""',
            "",
            f"    def __init__(self, call: {call}) -> None: ...",
        ]
        stub += bodies[is_async]
    return runtime, "\n".join(stub) + "\n"


REGISTRY_NAMES = (
    "CLIENT_METHODS",
    "CODEX_VERSION",
    "EXPERIMENTAL_SERVER_REQUESTS",
    "MethodSpec",
    "NOTIFICATIONS",
    "SCHEMA_SHA256",
    "SERVER_REQUESTS",
    "decode",
    "decode_notification",
    "decode_result",
    "decode_server_request",
    "load_model",
)
RUNTIME_NAMES = ("UNSET", "TaggedUnion", "UnknownModel", "Unset")
METHOD_CLASSES = ("AsyncRpcMethods", "SyncRpcMethods")

INIT_DOC = [
    '"""Typed models and method tables of the codex app-server protocol (generated).',
    "",
    "Every model class and type alias is reachable here by name; its module loads on first access.",
    "(The schema has a type called ``Model``; the base class of all models is",
    "``codex_python_sdk.protocol._base.Model``.)",
    '"""',
]

INIT_RUNTIME = """
from __future__ import annotations

from ._base import UNSET, TaggedUnion, UnknownModel, Unset

_REGISTRY = frozenset(%(registry)s)
_METHODS = frozenset(%(methods)s)
_RUNTIME = %(runtime)s


def __getattr__(name):
    if name == "__all__":
        from ._registry import _ALIASES, _MODULES

        names = sorted({*_MODULES, *_ALIASES, *_REGISTRY, *_METHODS, *_RUNTIME})
        globals()["__all__"] = names
        return names
    if name in _REGISTRY:
        from . import _registry

        return getattr(_registry, name)
    if name in _METHODS:
        from . import _methods

        return getattr(_methods, name)
    from ._registry import _ALIASES, _MODULES, load_model

    if name in _MODULES:
        return load_model(name)
    if name in _ALIASES:
        from . import _aliases

        return getattr(_aliases, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return list(__getattr__("__all__"))
"""


def emit_init(t: Types, header: list[str]) -> tuple[str, str]:
    """(runtime ``__init__.py`` with lazy ``__getattr__``, typed ``__init__.pyi``)."""
    runtime = "\n".join([*header, *INIT_DOC]) + INIT_RUNTIME % {
        "registry": pyrepr(REGISTRY_NAMES),
        "methods": pyrepr(METHOD_CLASSES),
        "runtime": pyrepr(RUNTIME_NAMES),
    }
    classes = sorted(t.b.classes)
    aliases = sorted(t.b.aliases)
    out = [*header, *INIT_DOC, ""]
    out.append("from ._base import UNSET as UNSET, TaggedUnion as TaggedUnion, UnknownModel as UnknownModel")
    out.append("from ._base import Unset as Unset")
    out += [f"from ._methods import {n} as {n}" for n in METHOD_CLASSES]
    out += [f"from ._registry import {n} as {n}" for n in REGISTRY_NAMES]
    out += [f"from ._models.{t.b.classes[n].module} import {n} as {n}" for n in classes]
    out += [f"from ._aliases import {n} as {n}" for n in aliases]
    names = sorted(
        set(classes) | set(aliases) | set(REGISTRY_NAMES) | set(RUNTIME_NAMES) | set(METHOD_CLASSES)
    )
    out += ["", "__all__ = ["]
    out += [f"    {json.dumps(n)}," for n in names]
    out.append("]")
    return runtime, "\n".join(out) + "\n"
