"""An in-process transport for unit tests: the test plays the app-server."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

from ._base import Receiver, Transport

__all__ = ["MemoryTransport"]


class MemoryTransport(Transport):
    """A transport whose peer is Python code.

    ``handler(transport, message)`` is called (on the loop) with each decoded message the client sends;
    it answers with :meth:`feed` (a dict, or raw bytes for malformed-input tests). :meth:`die` simulates
    the app-server exiting. ``sent`` records every decoded client message.
    """

    def __init__(self, handler: Callable[[MemoryTransport, dict[str, Any]], Any] | None = None) -> None:
        self.handler = handler
        self.sent: list[dict[str, Any]] = []
        self._receiver: Receiver | None = None
        self._closed = False
        self._returncode: int | None = None
        self._stderr: list[str] = []
        self.closed_by_client = False

    async def start(self, receiver: Receiver) -> None:
        self._receiver = receiver

    def feed(self, message: dict[str, Any] | bytes) -> None:
        """Deliver one server->client message (soon, on the loop, like a real read)."""
        data = message if isinstance(message, bytes) else json.dumps(message).encode()
        asyncio.get_running_loop().call_soon(self._deliver, data)

    def feed_read(self, messages: list[dict[str, Any] | bytes]) -> None:
        """Deliver several messages in one loop callback, like one pipe read that carried several lines.

        Nothing here contains a receiver that raises: the messages after it are lost, which is exactly
        what a test of the reader's robustness needs to see.
        """
        batch = [m if isinstance(m, bytes) else json.dumps(m).encode() for m in messages]
        asyncio.get_running_loop().call_soon(self._deliver_all, batch)

    def _deliver(self, data: bytes) -> None:
        if self._receiver is not None and not self._closed:
            self._receiver.message_received(data)

    def _deliver_all(self, batch: list[bytes]) -> None:
        for data in batch:
            self._deliver(data)

    def die(self, returncode: int = 1, stderr: list[str] | None = None) -> None:
        """Simulate the app-server process dying."""
        self._stderr.extend(stderr or [])
        self._returncode = returncode
        asyncio.get_running_loop().call_soon(self._lose)

    def _lose(self) -> None:
        if not self._closed:
            self._closed = True
            if self._receiver is not None:
                self._receiver.connection_lost(None)

    def send(self, data: bytes) -> None:
        if self._closed:
            raise ConnectionError("memory transport closed")
        message = json.loads(data)
        self.sent.append(message)
        if self.handler is not None:
            result = self.handler(self, message)
            if asyncio.iscoroutine(result):
                asyncio.get_running_loop().create_task(result)

    async def drain(self) -> None:
        return None

    async def aclose(self) -> None:
        self.closed_by_client = True
        if self._returncode is None:
            self._returncode = 0
        self._lose()

    def stderr_tail(self) -> list[str]:
        return list(self._stderr)

    @property
    def returncode(self) -> int | None:
        return self._returncode
