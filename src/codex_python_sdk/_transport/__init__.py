"""Transports move message bytes between the SDK and an app-server; no JSON is parsed here.

``StdioTransport`` spawns ``codex app-server`` and frames messages as newline-delimited lines;
``WebSocketTransport`` dials a running one (``ws://``, ``wss://``, or WebSocket over ``unix://``), one
message per text frame; ``MemoryTransport`` is an in-process peer for unit tests. All three sit behind
the same :class:`Transport` interface.
"""

from ._base import ConnectionLost, Receiver, Transport
from ._memory import MemoryTransport
from ._stdio import StdioTransport
from ._websocket import WebSocketTransport

__all__ = [
    "ConnectionLost",
    "MemoryTransport",
    "Receiver",
    "StdioTransport",
    "Transport",
    "WebSocketTransport",
]
