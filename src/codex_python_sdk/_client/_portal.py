"""A private event loop on a daemon thread, and the bridge that lets sync code use the async core.

Calls from any number of caller threads run *concurrently* on the loop (``run_coroutine_threadsafe``):
an interrupt sent from a second thread lands while ``responses_create`` is running in the first. Nothing
polls: callers block on a future or a condition variable. Because the loop is our own, the sync client also
works where the caller already runs an event loop (Jupyter). Iterators cross threads in batches, so a
20,000-delta turn costs a few hundred wake-ups, not 20,000.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import threading
from collections.abc import AsyncIterator, Coroutine, Iterator
from typing import Any, Generic, TypeVar

from ..errors import ClientClosedError, CodexAgenticError

__all__ = ["Portal"]

T = TypeVar("T")
_END = object()
_LINGER = 0.01  # seconds items may wait for company before the consumer thread is woken (100 wake-ups/s)


class _Bridge(Generic[T]):
    """Hands items from the loop thread to one consumer thread, in batches.

    The loop thread collects items in a list only it touches; a flush moves the whole list across, under
    the lock, and wakes the consumer. Flushes are coalesced: at most one every ``_LINGER`` seconds while
    items stream in, at once for the last item. The consumer sees nothing between flushes, on purpose: if
    it could take items as they appear, it would stay runnable and wrestle the loop thread for the GIL at
    every loop iteration (measured: a context switch per iteration and ~1.7x the CPU). A couple of
    milliseconds of latency on intermediate events is invisible, and the end of a stream is never delayed.
    """

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._pending: list[Any] = []  # loop thread only
        self._batches: list[list[Any]] = []  # guarded by _cond
        self._cond = threading.Condition(threading.Lock())
        self._loop = loop
        self._flush_scheduled = False

    def push(self, item: Any, *, last: bool = False) -> None:
        """Called on the loop thread only; ``last`` hands everything over now."""
        self._pending.append(item)
        if last:
            self._flush()
        elif not self._flush_scheduled:
            self._flush_scheduled = True
            self._loop.call_later(_LINGER, self._flush)

    def _flush(self) -> None:
        self._flush_scheduled = False  # a pending timer may still fire: then there is nothing to move
        if self._pending:
            batch, self._pending = self._pending, []
            with self._cond:
                self._batches.append(batch)
                self._cond.notify()

    def take_all(self) -> list[Any]:
        """Block until at least one batch was handed over; return everything handed over so far."""
        with self._cond:
            while not self._batches:
                self._cond.wait()
            batches, self._batches = self._batches, []
        return batches[0] if len(batches) == 1 else [item for batch in batches for item in batch]


class _Failure:
    __slots__ = ("error",)

    def __init__(self, error: BaseException) -> None:
        self.error = error


class Portal:
    """Owns the loop thread. ``call`` runs a coroutine to completion; ``iterate`` drives an async iterator."""

    def __init__(self, name: str = "codex-python-sdk-loop") -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()
        self._stopped = False

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        try:
            self.loop.run_forever()
        finally:
            try:
                pending = [t for t in asyncio.all_tasks(self.loop) if not t.done()]
                for task in pending:
                    task.cancel()
                if pending:
                    self.loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
                self.loop.run_until_complete(self.loop.shutdown_asyncgens())
            finally:
                self.loop.close()

    def _check_thread(self) -> None:
        if self._stopped:
            raise CodexAgenticError("the client is closed")
        if threading.current_thread() is self._thread:
            raise CodexAgenticError(
                "the sync client was called from its own event-loop thread (from an async hook?); "
                "use the async client there"
            )

    def submit(self, coro: Coroutine[Any, Any, T]) -> concurrent.futures.Future[T]:
        """Schedule ``coro`` on the loop; returns a thread-safe future."""
        self._check_thread()
        return asyncio.run_coroutine_threadsafe(coro, self.loop)

    def call(self, coro: Coroutine[Any, Any, T]) -> T:
        """Run ``coro`` on the loop and block until it finishes. Ctrl-C cancels it on the loop."""
        try:
            future = self.submit(coro)
        except BaseException:
            coro.close()
            raise
        try:
            return future.result()
        except BaseException:
            if not future.done():
                future.cancel()  # KeyboardInterrupt and friends: stop the work, then re-raise
            raise

    def iterate(self, agen: AsyncIterator[T]) -> Iterator[T]:
        """Drive an async iterator on the loop and yield its items here. Leaving the loop early (break,
        exception, garbage collection) closes the async iterator, which interrupts a turn."""
        bridge: _Bridge[T] = _Bridge(self.loop)

        async def pump() -> None:
            try:
                async for item in agen:
                    bridge.push(item)
            except BaseException as exc:
                bridge.push(_Failure(exc), last=True)
                if isinstance(exc, (asyncio.CancelledError, KeyboardInterrupt, SystemExit)):
                    raise
            else:
                bridge.push(_END, last=True)
            finally:
                aclose = getattr(agen, "aclose", None)
                if aclose is not None:
                    await aclose()

        future = self.submit(pump())
        return self._consume(bridge, future)

    @staticmethod
    def _consume(bridge: _Bridge[T], future: concurrent.futures.Future[None]) -> Iterator[T]:
        finished = False
        try:
            while True:
                for item in bridge.take_all():
                    if item is _END:
                        finished = True
                        return
                    if isinstance(item, _Failure):
                        finished = True
                        if isinstance(item.error, asyncio.CancelledError):
                            # Only closing the client cancels a stream the caller is still reading.
                            raise ClientClosedError("the client was closed while this stream was read")
                        raise item.error
                    yield item
        finally:
            if not finished and not future.done():
                future.cancel()
                # Wait briefly so the async side has closed (and interrupted the turn) before we return.
                with contextlib.suppress(BaseException):
                    future.result(timeout=5)

    def stop(self, timeout: float = 5.0) -> None:
        """Stop the loop and join its thread (idempotent)."""
        if self._stopped:
            return
        self._stopped = True
        if threading.current_thread() is self._thread:
            self.loop.stop()
            return
        try:
            self.loop.call_soon_threadsafe(self.loop.stop)
        except RuntimeError:  # loop already closed
            return
        self._thread.join(timeout)
