"""The latch that holds a hanging stream of the fake model."""

from __future__ import annotations

import threading

__all__ = ["Gate"]


class Gate:
    """A one-shot latch that holds a hanging stream (see :meth:`Reply.hang`).

    The server waits on the gate after writing the events before the hang point; :meth:`release` lets
    the stream finish. Stopping the :class:`FakeModel` also ends every hanging stream (the connection is
    closed without ``response.completed``).
    """

    def __init__(self) -> None:
        self._released = threading.Event()
        self._reached = threading.Event()

    def release(self) -> None:
        """Let every stream waiting on this gate (now or later) continue."""
        self._released.set()

    @property
    def released(self) -> bool:
        """Whether :meth:`release` was called."""
        return self._released.is_set()

    def wait_reached(self, timeout: float = 10.0) -> bool:
        """Block until a stream is parked at this gate; return False on timeout."""
        return self._reached.wait(timeout)

    # Used by the server.
    def _arrive(self) -> None:
        self._reached.set()

    def _wait(self, timeout: float) -> bool:
        return self._released.wait(timeout)
