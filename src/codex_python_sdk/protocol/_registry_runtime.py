"""The behaviour behind the generated protocol registry (``protocol/_registry.py``).

The generator writes only *tables* (methods, notifications, server requests, which module holds which
model, union specs); this hand-written module turns them into lookups, decoding and params encoding. Kept
apart from the generator so that the logic is ordinary, linted, type-checked source rather than text in a
template.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping

from ._base import Model, compile_spec, to_wire_value

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

__all__ = ["MethodSpec", "ProtocolRegistry"]


class MethodSpec:
    """Static description of one client -> server request method."""

    __slots__ = ("experimental", "method", "params", "params_nullable", "python_name", "response")

    def __init__(
        self,
        method: str,
        python_name: str,
        params: str | None,
        response: str,
        experimental: bool,
        params_nullable: bool = False,
    ) -> None:
        self.method = method
        """Wire name, e.g. ``"thread/list"``."""
        self.python_name = python_name
        """Name of the method on :class:`AsyncRpcMethods` / :class:`SyncRpcMethods`."""
        self.params = params
        """Params model name, or ``None`` when the method takes no params (send none / ``null``)."""
        self.response = response
        """Response model name."""
        self.experimental = experimental
        """Only in the experimental API (needs ``capabilities.experimentalApi`` at ``initialize``)."""
        self.params_nullable = params_nullable
        """The params may be ``null``/omitted altogether."""

    def __repr__(self) -> str:
        return (
            f"MethodSpec({self.method!r}, {self.python_name!r}, {self.params!r}, {self.response!r}, "
            f"experimental={self.experimental!r})"
        )


class ProtocolRegistry:
    """Model lookup, decoding and params encoding over the generated tables of one protocol version."""

    def __init__(
        self,
        package: str,
        modules: Mapping[str, str],
        aliases: frozenset[str],
        unions: Mapping[str, Any],
        alias_specs: Mapping[str, Any],
        client_methods: Mapping[str, MethodSpec],
        notifications: Mapping[str, str],
        server_requests: Mapping[str, tuple[str, str]],
    ) -> None:
        self._package = package
        self._modules = modules
        self._aliases = aliases
        self._unions = unions
        self._alias_specs = alias_specs
        self._client_methods = client_methods
        self._notifications = notifications
        self._server_requests = server_requests
        self._loaded: dict[str, type[Model]] = {}
        self._notification_converters: dict[str, Any] = {}

    def load_model(self, name: str) -> type[Model]:
        """The model class called ``name``, importing its module on first use (``KeyError`` if unknown)."""
        cls = self._loaded.get(name)
        if cls is None:
            module = importlib.import_module(f"{self._package}._models.{self._modules[name]}")
            cls = self._loaded[name] = getattr(module, name)
        return cls

    def lookup(self, name: str) -> Any:
        """A model class, or the conversion spec of a union alias (see ``protocol._base``)."""
        if name in self._unions:
            return self._unions[name]
        if name in self._aliases:
            return self._alias_specs.get(name)
        return self.load_model(name)

    def decode(self, type_name: str, value: Any) -> Any:
        """Wrap raw JSON ``value`` as ``type_name`` (a model or union alias); non-objects are returned raw."""
        return compile_spec(type_name)(value)

    def decode_result(self, method: str, result: Any) -> Any:
        """Typed view of the ``result`` of client request ``method`` (raw when the method is unknown)."""
        spec = self._client_methods.get(method)
        return result if spec is None else self.decode(spec.response, result)

    def decode_notification(self, method: str, params: Any) -> Any:
        """Typed view of the ``params`` of server notification ``method`` (raw when unknown)."""
        conv = self._notification_converters.get(method)
        if conv is None:
            name = self._notifications.get(method)
            if name is None:
                return params
            conv = self._notification_converters[method] = compile_spec(name)
        return conv(params)

    def decode_server_request(self, method: str, params: Any) -> Any:
        """Typed view of the ``params`` of server -> client request ``method`` (raw when unknown)."""
        names = self._server_requests.get(method)
        return params if names is None else self.decode(names[0], params)

    def encode_params(
        self, type_name: str | None, args: tuple[Any, ...], kwargs: dict[str, Any], nullable: bool = False
    ) -> dict[str, Any] | None:
        """JSON params of a request from one positional params model / dict, or from keyword arguments."""
        if type_name is None:
            if args or kwargs:
                raise TypeError("this method takes no params")
            return None
        if len(args) > 1:
            raise TypeError(f"expected at most one positional argument (the params), got {len(args)}")
        params = args[0] if args else None
        if kwargs:
            if params is not None:
                raise TypeError("pass either a params object or keyword arguments, not both")
            return self.load_model(type_name)(**kwargs).to_wire()
        if params is None:
            return None if nullable else {}
        if isinstance(params, Model):
            return params.to_wire()
        if isinstance(params, dict):
            value: dict[str, Any] = to_wire_value(params)
            return value
        raise TypeError(f"params must be a {type_name} or a dict, not {type(params).__name__}")
