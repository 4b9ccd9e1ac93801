"""Transports move message bytes between the SDK and an app-server; no JSON is parsed here.

``StdioTransport`` spawns ``codex app-server`` and frames messages as newline-delimited lines;
``MemoryTransport`` is an in-process peer for unit tests. WebSocket and unix-socket transports plug in
behind the same :class:`Transport` interface.
"""

from ._base import Receiver, Transport
from ._memory import MemoryTransport
from ._stdio import StdioTransport

__all__ = ["MemoryTransport", "Receiver", "StdioTransport", "Transport"]
