"""Transports move message bytes between the SDK and an app-server; no JSON is parsed here.

``StdioTransport`` spawns ``codex app-server`` and frames messages as newline-delimited lines;
``WebSocketTransport`` dials a running one (``ws://``, ``wss://``, or WebSocket over ``unix://``), one
message per text frame; ``MemoryTransport`` is an in-process peer for unit tests. All three sit behind
the same :class:`Transport` interface.
"""

from __future__ import annotations

import importlib

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from ._base import ConnectionLost as ConnectionLost
    from ._base import Receiver as Receiver
    from ._base import Transport as Transport
    from ._memory import MemoryTransport as MemoryTransport
    from ._stdio import StdioTransport as StdioTransport
    from ._websocket import WebSocketTransport as WebSocketTransport

__all__ = [
    "ConnectionLost",
    "MemoryTransport",
    "Receiver",
    "StdioTransport",
    "Transport",
    "WebSocketTransport",
]

# Loaded on first use (PEP 562): the factories spawn codex through ``._spawn`` and ``._binary`` before
# anything imports asyncio (which ``._stdio`` and ``._memory`` do), so that codex boots while Python imports.
_EXPORTS = {
    "ConnectionLost": "._base",
    "MemoryTransport": "._memory",
    "Receiver": "._base",
    "StdioTransport": "._stdio",
    "Transport": "._base",
    "WebSocketTransport": "._websocket",
}


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value  # cache: later lookups are plain attribute hits
    return value
