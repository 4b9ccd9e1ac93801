"""The transport seam: what the RPC layer needs from any way of reaching an app-server."""

from __future__ import annotations

import abc
from typing import Protocol

__all__ = ["ConnectionLost", "Receiver", "Transport"]


class ConnectionLost(ConnectionError):
    """What a transport passes to :meth:`Receiver.connection_lost` when it can say in words why the
    connection ended (e.g. "the app-server at ws://… closed the connection"): used as the error message."""


class Receiver(Protocol):
    """The side that consumes what a transport reads (the RPC connection).

    Both methods are called on the event loop thread and must not block.
    """

    def message_received(self, data: bytes) -> None:
        """One complete message (for stdio: one line, without its newline)."""

    def connection_lost(self, exc: BaseException | None) -> None:
        """The peer is gone (EOF, process exit, socket closed); called at most once."""


class Transport(abc.ABC):
    """Bytes in, bytes out. One message per :meth:`send`; framing is the transport's business."""

    @abc.abstractmethod
    async def start(self, receiver: Receiver) -> None:
        """Open the connection (spawn the process, connect the socket) and start delivering messages."""

    @abc.abstractmethod
    def send(self, data: bytes) -> None:
        """Queue one message for writing. Raises ``ConnectionError`` when the transport is closed."""

    @abc.abstractmethod
    async def drain(self) -> None:
        """Wait until the write buffer is below its high-water mark (back-pressure)."""

    @abc.abstractmethod
    async def aclose(self) -> None:
        """Close gracefully, escalating as needed; never leaves a process or socket behind."""

    def kill_now(self) -> None:
        """Last resort, callable from any thread without a running loop: make sure the peer process
        is gone (used when the loop that owned the transport cannot run :meth:`aclose` any more)."""
        return None

    def stderr_tail(self) -> list[str]:
        """The last lines the peer wrote to stderr, oldest first (empty when not applicable)."""
        return []

    @property
    def returncode(self) -> int | None:
        """The peer process's exit status when it has exited, else ``None``."""
        return None

    def describe(self) -> str:
        """A short human description for error messages and logs."""
        return type(self).__name__
