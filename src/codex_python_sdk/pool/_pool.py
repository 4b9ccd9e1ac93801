"""``AgentPool`` (async) and ``SyncAgentPool``: many turns over several local app-servers."""

from __future__ import annotations

import concurrent.futures
import contextlib
import threading
from collections.abc import AsyncIterator, Coroutine, Iterable, Iterator
from typing import Any, TypeVar

from .._client._async import AsyncCodexAgenticClient
from .._client._options import ClientOptions
from .._client._portal import Portal
from ..errors import CodexAgenticError
from ..inputs import Prompt
from ._batch import BatchPool, PoolBatch
from ._local import ClientFactory, LocalServers
from ._types import PoolResult, PoolResults, PoolSummary, PoolTask

__all__ = ["AgentPool", "SyncAgentPool", "SyncPoolBatch"]

T = TypeVar("T")
S = TypeVar("S", bound="SyncAgentPool")

_CANCEL_WAIT = 15.0  # seconds the sync pool waits, after Ctrl-C, for the running turns to be interrupted


class AgentPool(BatchPool):
    """Run many turns over ``size`` app-servers, at most ``max_concurrency`` at once (default: ``size``).

    ::

        async with AgentPool(size=4, max_concurrency=8) as pool:
            results = await pool.run(["fix the tests in a/", PoolTask("update docs", cwd="b/")])
            print(results.summary)

    Each task runs on a new thread of the least busy app-server. :meth:`run` returns the results in task
    order; :meth:`as_completed` yields them as they finish. A failed task comes back with ``ok=False`` and
    its error; the batch goes on. Keywords other than the pool's own are client options
    (:class:`~codex_python_sdk.ClientOptions`: hooks, ``default_thread_params``, timeouts ...), used for
    every app-server; or pass ``client_factory`` (a function returning a new, unconnected
    :class:`~codex_python_sdk.AsyncCodexAgenticClient`) to build them yourself.

    - ``isolate=True``: every task (or a :class:`PoolTask` with ``isolate=True``) runs in a private working
      copy of its ``cwd`` (default: the app-server's directory): a detached ``git worktree`` of ``HEAD`` when
      that is inside a git repository, a copy of the directory otherwise; the thread's ``cwd`` is the copy,
      removed after the task unless ``keep_worktrees=True``. The result's ``worktree`` names it.
    - ``progress``: a ``rich`` progress bar (extra ``[progress]``): None shows one when stdout is a
      terminal and rich is installed, True always, False never.
    - ``death_retries`` (default 1): an app-server that dies is replaced at once; a task that was running
      on it is run again from scratch on another one, at most this many times (0: it comes back failed with
      the :class:`~codex_python_sdk.AppServerConnectionError`).

    Cancelling :meth:`run` (or leaving :meth:`as_completed` early) interrupts every running turn on its
    server before the cancellation goes on; :meth:`cancel` ends the batches early and returns them with
    the unfinished tasks marked ``cancelled``. Use the pool as ``async with``, or call :meth:`close`.
    """

    def __init__(
        self,
        size: int = 4,
        *,
        max_concurrency: int | None = None,
        isolate: bool = False,
        keep_worktrees: bool = False,
        progress: bool | None = None,
        death_retries: int = 1,
        client_factory: ClientFactory | None = None,
        **client_options: Any,
    ) -> None:
        """See the class docstring; ``client_options`` are :class:`ClientOptions` keywords."""
        if client_factory is not None and client_options:
            raise CodexAgenticError("give client options or client_factory, not both")
        if "transport" in client_options:
            raise CodexAgenticError("a pool starts its own app-servers: transport= is one connection")
        options = ClientOptions(**client_options)  # bad keywords fail here, not in the first batch
        if client_factory is None:

            def client_factory() -> AsyncCodexAgenticClient:
                return AsyncCodexAgenticClient.from_options(ClientOptions(**client_options))

        self._servers = LocalServers(
            size,
            client_factory,
            isolate=isolate,
            keep_worktrees=keep_worktrees,
            default_cwd=options.process_cwd,
        )
        super().__init__(
            self._servers, max_concurrency=max_concurrency, death_retries=death_retries, progress=progress
        )

    async def __aenter__(self) -> AgentPool:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    @property
    def pids(self) -> list[int | None]:
        """The process id of each app-server now running (None for one not started or being replaced)."""
        return self._servers.pids

    @property
    def clients(self) -> list[AsyncCodexAgenticClient | None]:
        """Each app-server's current client, e.g. to read a thread a task ran on (None: not running)."""
        return self._servers.clients


class SyncAgentPool:
    """:class:`AgentPool` for synchronous code: same keywords, blocking calls, a private event loop.

    ::

        with SyncAgentPool(size=4, max_concurrency=8) as pool:
            for result in pool.as_completed(prompts):
                print(result.index, result.ok, result.text)

    Ctrl-C during :meth:`run` interrupts every running turn, then raises ``KeyboardInterrupt``.
    """

    def __init__(self, size: int = 4, **keywords: Any) -> None:
        """The keywords of :class:`AgentPool`."""
        self._pool = self._make_pool(size, keywords)
        self._portal = Portal("codex-python-sdk-pool")
        self._closed = False

    def _make_pool(self, size: int, keywords: dict[str, Any]) -> BatchPool:
        return AgentPool(size, **keywords)

    @property
    def pool(self) -> BatchPool:
        """The async pool underneath (its methods run on this object's loop thread only)."""
        return self._pool

    @property
    def size(self) -> int:
        """Number of app-servers."""
        return self._pool.size

    @property
    def replaced(self) -> int:
        """App-servers that died and were replaced since the pool started."""
        return self._pool.replaced

    @property
    def pids(self) -> list[int | None]:
        """The process id of each local app-server now running (empty for a Ray pool)."""
        return list(getattr(self._pool, "pids", []))

    def __enter__(self: S) -> S:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def start(self) -> None:
        """Start every app-server now; raises if one cannot start."""
        self._call(self._pool.start())

    def run(self, tasks: Iterable[PoolTask | Prompt], *, progress: bool | None = None) -> PoolResults:
        """Run ``tasks``; every result in task order, with the batch's ``summary``."""
        return self._call(self._pool.run(tasks, progress=progress))

    def as_completed(
        self, tasks: Iterable[PoolTask | Prompt], *, progress: bool | None = None
    ) -> SyncPoolBatch:
        """Start ``tasks`` now and yield their results as they finish (the batch runs in the background
        meanwhile). Closing it early (``close()``, or leaving ``with pool.as_completed(...) as batch:``)
        cancels the rest and interrupts their turns."""
        return SyncPoolBatch(self._portal, self._pool.as_completed(tasks, progress=progress))

    def cancel(self) -> None:
        """Cancel the batches in flight (from another thread): unfinished tasks come back cancelled."""
        with contextlib.suppress(RuntimeError):  # the loop is gone: nothing runs
            self._portal.loop.call_soon_threadsafe(self._pool.cancel)

    def close(self) -> None:
        """Cancel running batches, stop every app-server and the loop thread (idempotent)."""
        if self._closed:
            return
        self._closed = True
        try:
            if self._portal.alive:
                self._call(self._pool.close())
        finally:
            self._portal.stop()

    def _call(self, coro: Coroutine[Any, Any, T]) -> T:
        """Run ``coro`` on the loop; on Ctrl-C (or any exception here) cancel it and wait, bounded, until
        its cancellation has run (the turns are interrupted), then re-raise."""
        finished = threading.Event()

        async def guarded() -> T:
            try:
                return await coro
            finally:
                finished.set()

        try:
            future: concurrent.futures.Future[T] = self._portal.submit(guarded())
        except BaseException:
            coro.close()  # never scheduled: no "never awaited" warning
            raise
        try:
            return future.result()
        except BaseException:
            if not future.done():
                future.cancel()
                finished.wait(_CANCEL_WAIT)
            raise


class SyncPoolBatch(Iterator[PoolResult]):
    """What :meth:`SyncAgentPool.as_completed` returns: results as they finish, and the batch's state."""

    def __init__(self, portal: Portal, batch: PoolBatch) -> None:
        self._portal = portal
        self._batch = batch
        self._closed = threading.Event()  # set once the batch has ended on the loop
        # Eager: the batch starts at once, as an executor's submit would, not at the first next().
        self._stream = portal.iterate(_drain(batch, self._closed), eager=True)

    def __iter__(self) -> SyncPoolBatch:
        return self

    def __next__(self) -> PoolResult:
        return next(self._stream)

    def __enter__(self) -> SyncPoolBatch:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def total(self) -> int:
        """Tasks in the batch."""
        return self._batch.total

    def summary(self) -> PoolSummary:
        """Counts, usage totals and wall time of the tasks finished so far."""
        return self._batch.summary()

    def cancel(self) -> None:
        """Stop the batch: the unfinished tasks come back cancelled (keep iterating to get them)."""
        with contextlib.suppress(RuntimeError):
            self._portal.loop.call_soon_threadsafe(self._batch.cancel)

    def close(self) -> None:
        """Stop iterating: the unfinished tasks are cancelled and their turns interrupted (this waits,
        up to 15 s, until they are)."""
        self._stream.close()
        # The stream's close cancels the loop side without waiting for its cleanup: wait here.
        self._closed.wait(_CANCEL_WAIT)


async def _drain(batch: PoolBatch, closed: threading.Event) -> AsyncIterator[PoolResult]:
    try:
        async with batch:
            async for result in batch:
                yield result
    finally:
        closed.set()
