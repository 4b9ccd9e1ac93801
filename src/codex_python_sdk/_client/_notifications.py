"""``NotificationStream``: what ``AsyncCodexAgenticClient.notifications()`` returns.

Imported by that method, with the event classes it yields, rather than with the clients.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import TYPE_CHECKING

from ._routing import EndOfQueue, Listener

if TYPE_CHECKING:
    from ..events import TypedEvent
    from ._async import AsyncCodexAgenticClient

__all__ = ["NotificationStream"]


class NotificationStream(AsyncIterator["TypedEvent"]):
    """What :meth:`AsyncCodexAgenticClient.notifications` returns: subscribed from the start."""

    def __init__(self, client: AsyncCodexAgenticClient, listener: Listener) -> None:
        from ..events._event import ResponseEvent  # bound once, used per event

        self._client = client
        self._listener = listener
        self._connected = False
        self._to_event = ResponseEvent.from_notification

    def __aiter__(self) -> NotificationStream:
        return self

    async def __anext__(self) -> TypedEvent:
        if not self._connected:
            await self._client._connection()  # the first read connects a client that is not yet
            self._connected = True
        try:
            msg = await self._listener.queue.get()
        except EndOfQueue:  # the listener was closed: the iteration simply ends
            raise StopAsyncIteration from None
        except BaseException:
            self._listener.close()
            raise
        return self._to_event(msg)

    async def aclose(self) -> None:
        """Stop receiving (idempotent)."""
        self._listener.close()

    def __del__(self) -> None:
        listener = getattr(self, "_listener", None)
        if listener is not None:
            listener.close()
