"""Running user code (hooks, policy engines, Python tools) so that nothing it does can hang or kill us.

:class:`CallableRunner` runs a sync-or-async callable and reports its outcome as a value or a
:class:`CallableFailed`, whatever happened:

- a sync callable runs on the runner's own bounded pool of daemon threads, never on the event loop (a hook
  that prompts a human must not stall the other turns) and never on the loop's default executor (slow
  approval hooks must not starve tool calls: the client keeps one runner for hooks and one for tools);
- an async callable runs as a task of its own, so one that ignores cancellation cannot hold us either;
- anything raised — including ``KeyboardInterrupt``, ``SystemExit`` and a ``TimeoutError`` of the
  callable's own — comes back as :class:`CallableFailed`; ``BaseException`` never escapes into the loop;
- past ``timeout`` seconds the caller gets :class:`CallableTimedOut` at once; the callable is cancelled
  (async) or left to finish on its daemon thread (sync: threads cannot be killed), its result dropped;
- a sync callable that returns an awaitable has it awaited (the seed's hooks may do that).

Why a home-made pool: ``concurrent.futures.ThreadPoolExecutor`` joins its (non-daemon) threads at
interpreter exit, so one hook that never returns would keep the whole program from exiting.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import threading
from collections.abc import Callable

TYPE_CHECKING = False
if TYPE_CHECKING:
    import queue
    from typing import Any

__all__ = ["CallableFailed", "CallableRunner", "CallableTimedOut"]


class CallableFailed(Exception):
    """The callable raised ``error`` (any ``BaseException``; kept, not re-raised)."""

    def __init__(self, error: BaseException) -> None:
        super().__init__(f"{type(error).__name__}: {error}")
        self.error = error


class CallableTimedOut(CallableFailed):
    """The callable did not finish within the runner's ``timeout``."""

    def __init__(self, timeout: float) -> None:
        error = TimeoutError(f"no answer within {timeout:g} s")
        super().__init__(error)
        self.timeout = timeout


_STOP = object()


class _DaemonPool:
    """At most ``max_workers`` daemon threads, started on demand, fed from one queue."""

    def __init__(self, name: str, max_workers: int) -> None:
        import queue  # lazy: the pool starts with the first sync hook or tool, not with the clients' import

        self._name = name
        self._max = max_workers
        self._jobs: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._threads: list[threading.Thread] = []
        self._idle = 0  # workers blocked on the queue
        self._waiting = 0  # jobs not yet taken by a worker
        self._closed = False

    def submit(self, job: Callable[[], None]) -> None:
        with self._lock:
            if self._closed:
                raise RuntimeError("the runner is closed")
            self._jobs.put(job)
            self._waiting += 1
            # A new thread only when every idle worker already has a job to take: a hung job must not
            # hold up the next one while the pool still has room.
            if self._waiting > self._idle and len(self._threads) < self._max:
                thread = threading.Thread(
                    target=self._work, name=f"{self._name}-{len(self._threads)}", daemon=True
                )
                self._threads.append(thread)
                thread.start()

    def _work(self) -> None:
        while True:
            with self._lock:
                self._idle += 1
            job = self._jobs.get()
            with self._lock:
                self._idle -= 1
                if job is _STOP:
                    return
                self._waiting -= 1
            job()

    def close(self) -> None:
        """Let idle workers exit; a worker still running a job exits after it."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            for _ in self._threads:
                self._jobs.put(_STOP)

    @property
    def threads(self) -> int:
        """How many worker threads are alive."""
        return sum(t.is_alive() for t in self._threads)


class CallableRunner:
    """Runs user callables for one client (see the module doc). ``max_workers`` bounds its threads."""

    def __init__(self, name: str, max_workers: int) -> None:
        if max_workers < 1:
            raise ValueError(f"max_workers must be at least 1, got {max_workers!r}")
        self.name = name
        self.max_workers = max_workers
        self._pool: _DaemonPool | None = None
        self._detached: set[asyncio.Task[Any]] = set()

    async def run(
        self, fn: Callable[..., Any], *args: Any, timeout: float | None = None, **kwargs: Any
    ) -> Any:
        """``fn(*args, **kwargs)``'s result; raises :class:`CallableFailed` / :class:`CallableTimedOut`.

        Cancelling the caller cancels an async callable; a sync one finishes on its thread, unheard.
        """
        if _is_async(fn):
            try:
                coro = fn(*args, **kwargs)
            except BaseException as exc:  # user code: contained and reported, never re-raised
                raise CallableFailed(exc) from None
            return await self._wait(asyncio.ensure_future(_settle(coro)), timeout)
        loop = asyncio.get_running_loop()
        outcome: asyncio.Future[tuple[bool, Any]] = loop.create_future()
        self._start_thread(loop, outcome, fn, args, kwargs)
        value = await self._wait(outcome, timeout)
        if inspect.isawaitable(value):  # a sync callable handed back an awaitable (seed hooks may)
            value = await self._wait(asyncio.ensure_future(_settle(value)), timeout)
        return value

    async def _wait(self, outcome: asyncio.Future[tuple[bool, Any]], timeout: float | None) -> Any:
        try:
            done, _ = await asyncio.wait({outcome}, timeout=timeout)
        except asyncio.CancelledError:
            outcome.cancel()
            raise
        if not done:
            outcome.cancel()
            if isinstance(outcome, asyncio.Task):  # it may ignore the cancel: keep a reference, move on
                self._detached.add(outcome)
                outcome.add_done_callback(self._detached.discard)
            assert timeout is not None
            raise CallableTimedOut(timeout)
        if outcome.cancelled():  # the callable cancelled itself: a failure like any other
            raise CallableFailed(asyncio.CancelledError("the callable cancelled itself"))
        ok, value = outcome.result()
        if not ok:
            raise CallableFailed(value)
        return value

    def _start_thread(
        self,
        loop: asyncio.AbstractEventLoop,
        outcome: asyncio.Future[tuple[bool, Any]],
        fn: Callable[..., Any],
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
    ) -> None:
        def job() -> None:
            try:
                result: tuple[bool, Any] = (True, fn(*args, **kwargs))
            except BaseException as exc:  # a KeyboardInterrupt raised by a hook is the hook's failure
                result = (False, exc)
            with contextlib.suppress(RuntimeError):  # the loop is closed: nobody waits any more
                loop.call_soon_threadsafe(_resolve, outcome, result)

        if self._pool is None:
            self._pool = _DaemonPool(self.name, self.max_workers)
        self._pool.submit(job)

    def close(self) -> None:
        """Release idle threads and cancel async callables left behind by timeouts (idempotent)."""
        if self._pool is not None:
            self._pool.close()
        for task in list(self._detached):
            task.cancel()

    @property
    def threads(self) -> int:
        """Worker threads alive now (for leak checks)."""
        return self._pool.threads if self._pool is not None else 0


def _is_async(fn: Callable[..., Any]) -> bool:
    if inspect.iscoroutinefunction(fn):
        return True
    call = inspect.getattr_static(type(fn), "__call__", None)  # an object with ``async def __call__``
    return inspect.iscoroutinefunction(call)


def _resolve(outcome: asyncio.Future[tuple[bool, Any]], result: tuple[bool, Any]) -> None:
    if not outcome.done():
        outcome.set_result(result)


async def _settle(coro: Any) -> tuple[bool, Any]:
    # Catching BaseException here, inside the task, keeps a KeyboardInterrupt raised by user code from
    # propagating out of the event loop (asyncio re-raises those from Task steps).
    try:
        return True, await coro
    except asyncio.CancelledError:
        raise
    except BaseException as exc:
        return False, exc
