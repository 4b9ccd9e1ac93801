"""A private event loop on a daemon thread, and the bridge that lets sync code use the async core.

Calls from any number of caller threads run *concurrently* on the loop (``run_coroutine_threadsafe``):
an interrupt sent from a second thread lands while ``responses_create`` is running in the first. Nothing
polls: callers block on a future or a condition variable. Because the loop is our own, the sync client also
works where the caller already runs an event loop (Jupyter). Iterators cross threads in batches, so a
20,000-delta turn costs a few hundred wake-ups, not 20,000.

A :class:`SyncStream` is lazy (nothing is sent until the first ``next()``) and every way of leaving it
early — ``break``, ``close()``, an exception, garbage collection, Ctrl-C — closes the async iterator on the
loop, which interrupts its turn. The loop thread survives anything user code raises on it.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import logging
import threading
from collections.abc import AsyncIterator, Coroutine, Iterator
from typing import Any, Generic, TypeVar

from ..errors import ClientClosedError, CodexAgenticError

__all__ = ["Portal", "SyncStream"]

logger = logging.getLogger("codex_python_sdk")

T = TypeVar("T")
_END = object()
_LINGER = 0.01  # seconds items may wait for company before the consumer thread is woken (100 wake-ups/s)
_BACKLOG = 10_000  # items handed over but not yet taken, before the pump waits for the consumer


class _Bridge(Generic[T]):
    """Hands items from the loop thread to one consumer thread, in batches.

    The loop thread collects items in a list only it touches; a flush moves the whole list across, under
    the lock, and wakes the consumer. Flushes are coalesced: at most one every ``_LINGER`` seconds while
    items stream in, at once for the last item. The consumer sees nothing between flushes, on purpose: if
    it could take items as they appear, it would stay runnable and wrestle the loop thread for the GIL at
    every loop iteration (measured: a context switch per iteration and ~1.7x the CPU). A couple of
    milliseconds of latency on intermediate events is invisible, and the end of a stream is never delayed.

    Bounded: past ``_BACKLOG`` items not yet taken, the pump waits (:meth:`room`), so a slow consumer holds
    the events in the turn's own bounded queue, whose limit is the client's ``max_buffered_events``.
    """

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._pending: list[Any] = []  # loop thread only
        self._batches: list[list[Any]] = []  # guarded by _cond
        self._cond = threading.Condition(threading.Lock())
        self._loop = loop
        self._flush_scheduled = False
        self._handed = 0  # items in _batches (guarded by _cond)
        self._room: asyncio.Future[None] | None = None  # loop thread: the pump waits on it

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
                self._handed += len(batch)
                self._cond.notify()

    async def room(self) -> None:
        """Wait until the consumer has taken most of what was handed over (loop thread)."""
        while True:
            with self._cond:
                if self._handed + len(self._pending) < _BACKLOG:
                    return
                self._room = self._loop.create_future()
            await self._room

    def _wake_pump(self) -> None:
        room, self._room = self._room, None
        if room is not None and not room.done():
            room.set_result(None)

    def take_all(self) -> list[Any]:
        """Block until at least one batch was handed over; return everything handed over so far."""
        with self._cond:
            while not self._batches:
                self._cond.wait()
            batches, self._batches = self._batches, []
            self._handed = 0
            waiting = self._room is not None
        if waiting:
            with contextlib.suppress(RuntimeError):  # the loop is closed: nobody waits
                self._loop.call_soon_threadsafe(self._wake_pump)
        return batches[0] if len(batches) == 1 else [item for batch in batches for item in batch]


class _Failure:
    __slots__ = ("error",)

    def __init__(self, error: BaseException) -> None:
        self.error = error


class SyncStream(Iterator[T]):
    """A blocking iterator over an async iterator that runs on the client's loop.

    Lazy: the async iterator starts (and so the turn) at the first ``next()``. Leaving early — ``break``,
    :meth:`close`, an exception, garbage collection, ``with`` — closes it on the loop, which interrupts
    its turn. ``close()`` waits (up to a few seconds) until that has happened.
    """

    def __init__(self, portal: Portal, agen: AsyncIterator[T]) -> None:
        self._portal = portal
        self._agen: AsyncIterator[T] | None = agen
        self._bridge: _Bridge[T] | None = None
        self._future: concurrent.futures.Future[None] | None = None
        self._buffer: list[Any] = []
        self._finished = False
        # Set by the pump once the async iterator is closed (its turn interrupted): close() waits on it,
        # because a cancelled run_coroutine_threadsafe future reports "done" before the task has ended.
        self._closed_async = threading.Event()

    def __iter__(self) -> SyncStream[T]:
        return self

    def __enter__(self) -> SyncStream[T]:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _start(self) -> None:
        agen = self._agen
        assert agen is not None
        bridge: _Bridge[T] = _Bridge(self._portal.loop)

        async def pump() -> None:
            try:
                async for item in agen:
                    bridge.push(item)
                    if bridge._handed >= _BACKLOG:
                        await bridge.room()
            except BaseException as exc:
                bridge.push(_Failure(exc), last=True)
                if isinstance(exc, (asyncio.CancelledError, KeyboardInterrupt, SystemExit)):
                    raise
            else:
                bridge.push(_END, last=True)
            finally:
                try:
                    aclose = getattr(agen, "aclose", None)
                    if aclose is not None:
                        await aclose()
                finally:
                    closed.set()

        closed = self._closed_async
        coro = pump()
        try:
            self._future = self._portal.submit(coro)
        except BaseException:
            coro.close()  # never scheduled: do not leave a never-awaited coroutine behind
            self._finished = True
            raise
        self._bridge = bridge

    def __next__(self) -> T:
        if self._finished:
            raise StopIteration
        if self._bridge is None:
            self._start()
        assert self._bridge is not None
        while not self._buffer:
            self._buffer = self._bridge.take_all()
            self._buffer.reverse()  # pop() from the end, in order
        item = self._buffer.pop()
        if item is _END:
            self._finish()
            raise StopIteration
        if isinstance(item, _Failure):
            self._finish()
            if isinstance(item.error, asyncio.CancelledError):
                # Only closing the client cancels a stream the caller is still reading.
                raise ClientClosedError("the client was closed while this stream was read")
            raise item.error
        return item  # type: ignore[no-any-return]

    def _finish(self) -> None:
        self._finished = True
        self._buffer = []
        self._agen = None

    def close(self, timeout: float = 5.0) -> None:
        """Stop the stream: its turn is interrupted on the server. Waits up to ``timeout`` seconds for
        the async side to have closed (idempotent; nothing happens for a stream never started)."""
        if self._finished:
            return
        self._finished = True
        future = self._future
        if future is not None and not future.done():
            future.cancel()
            self._closed_async.wait(timeout)
        self._agen = None

    def __del__(self) -> None:
        # Garbage collection of an unfinished stream: stop it without blocking the collector.
        future = getattr(self, "_future", None)
        if future is not None and not getattr(self, "_finished", True) and not future.done():
            future.cancel()


class Portal:
    """Owns the loop thread. ``call`` runs a coroutine to completion; ``iterate`` drives an async iterator."""

    def __init__(self, name: str = "codex-python-sdk-loop") -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._stopped = False
        self._thread.start()

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        try:
            while True:
                try:
                    self.loop.run_forever()
                    break  # stop() was called
                except BaseException:  # e.g. a KeyboardInterrupt that escaped user code: keep serving
                    logger.exception("an exception escaped into the sync client's event loop")
                    if self._stopped:
                        break
            try:
                pending = [t for t in asyncio.all_tasks(self.loop) if not t.done()]
                for task in pending:
                    task.cancel()
                if pending:
                    self.loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
                self.loop.run_until_complete(self.loop.shutdown_asyncgens())
            except BaseException:
                logger.exception("cleaning up the sync client's event loop failed")
        finally:
            self.loop.close()

    @property
    def alive(self) -> bool:
        """True while the loop thread runs."""
        return self._thread.is_alive() and not self._stopped

    def _check_thread(self) -> None:
        if self._stopped or not self._thread.is_alive():
            raise ClientClosedError("the client is closed; create a new one")
        if threading.current_thread() is self._thread:
            raise CodexAgenticError(
                "the sync client was called from its own event-loop thread (from an async hook?); "
                "use the async client there"
            )

    def submit(self, coro: Coroutine[Any, Any, T]) -> concurrent.futures.Future[T]:
        """Schedule ``coro`` on the loop; returns a thread-safe future."""
        self._check_thread()
        try:
            return asyncio.run_coroutine_threadsafe(coro, self.loop)
        except RuntimeError as exc:  # the loop closed between the check and the call
            raise ClientClosedError("the client is closed; create a new one") from exc

    def call(self, coro: Coroutine[Any, Any, T], timeout: float | None = None) -> T:
        """Run ``coro`` on the loop and block until it finishes. Ctrl-C cancels it on the loop (a turn
        is then interrupted on the server) and is re-raised here."""
        try:
            future = self.submit(coro)
        except BaseException:
            coro.close()
            raise
        try:
            return future.result(timeout)
        except BaseException:
            if not future.done():
                future.cancel()  # KeyboardInterrupt and friends: stop the work, then re-raise
            raise

    def iterate(self, agen: AsyncIterator[T], *, eager: bool = False) -> SyncStream[T]:
        """A :class:`SyncStream` over ``agen``: lazy, or started at once when ``eager``."""
        stream = SyncStream(self, agen)
        if eager:
            stream._start()
        return stream

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
