"""The batch engine shared by the local pool and the Ray backend.

A :class:`Backend` knows how to run one task on one of its ``size`` slots (an app-server here, a Ray worker
there); :class:`PoolBatch` decides which task runs where and when: tasks start in order, at most
``max_concurrency`` at once, each on the least busy slot; a task whose slot died under it is run again
(``death_retries`` times) on another; results come out as they finish. Cancelling a batch stops starting
tasks and cancels the running ones (the backend interrupts their turns); every task still comes back, as a
cancelled result.
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import time
import weakref
from collections.abc import AsyncIterator, Callable, Iterable
from pathlib import Path
from typing import Protocol

from ..errors import CodexAgenticError
from ..events import AgentResponse
from ..inputs import Prompt
from ._progress import NullProgress, make_progress
from ._types import PoolResult, PoolResults, PoolSummary, PoolTask, as_task

__all__ = ["Attempt", "Backend", "BatchPool", "PoolBatch", "PoolCancelledError"]


class PoolCancelledError(CodexAgenticError):
    """The batch was cancelled before this task finished (its turn, if running, was interrupted)."""


@dataclasses.dataclass
class Attempt:
    """What one run of a task on one slot gave: a response or an error, and whether the slot died."""

    response: AgentResponse | None = None
    error: BaseException | None = None
    thread_id: str | None = None
    worktree: Path | None = None
    slot_died: bool = False


class Backend(Protocol):
    """Where tasks run: ``size`` slots, each able to run several tasks at once."""

    @property
    def size(self) -> int:
        """Number of slots."""
        ...

    @property
    def replaced(self) -> int:
        """Slots that died and were replaced so far."""
        ...

    async def start(self) -> None:
        """Start every slot (idempotent); raise if one cannot start."""
        ...

    async def run(self, slot: int, index: int, task: PoolTask, attempt: Attempt) -> None:
        """Run ``task`` (number ``index`` of its batch) on ``slot``, filling in ``attempt`` as it goes (so a
        cancelled task still tells its thread). Errors go into ``attempt``, not raised; cancellation
        interrupts the task's turn before it propagates."""
        ...

    async def close(self) -> None:
        """Stop every slot (idempotent)."""
        ...


class PoolBatch(AsyncIterator[PoolResult]):
    """One batch, as its results finish (what ``as_completed`` returns).

    ``async for result in batch`` yields every task's :class:`PoolResult` exactly once, in the order they
    finish. :meth:`cancel` stops the batch (the rest come back cancelled); :meth:`summary` counts what is
    done so far. Leaving the loop early (``break``, an exception, a cancelled consumer) cancels the batch
    when the iterator is closed (``aclose()``, or ``async with``).
    """

    def __init__(
        self,
        backend: Backend,
        tasks: Iterable[PoolTask | Prompt],
        *,
        max_concurrency: int,
        death_retries: int,
        progress: NullProgress,
        on_end: Callable[[PoolBatch], object] | None = None,
    ) -> None:
        self._backend = backend
        self._on_end = on_end
        self._tasks = [as_task(task) for task in tasks]
        self._limit = max_concurrency
        self._retries = death_retries
        self._progress = progress
        self._results: dict[int, PoolResult] = {}
        self._queue: asyncio.Queue[PoolResult] | None = None
        self._yielded = 0
        self._load = [0] * backend.size
        self._running: set[asyncio.Task[None]] = set()
        self._driver: asyncio.Task[None] | None = None
        self._cancelled = False
        self._started_at = 0.0
        self._ended_at: float | None = None
        self._replaced_at_start = 0
        self._next_index = 0  # tasks before it have been started

    @property
    def total(self) -> int:
        """Tasks in the batch."""
        return len(self._tasks)

    def summary(self) -> PoolSummary:
        """Counts, usage totals and wall time of the tasks finished so far."""
        end = self._ended_at if self._ended_at is not None else time.monotonic()
        return PoolSummary.of(
            list(self._results.values()),  # a snapshot in one C call: the sync pool reads it from its thread
            total=len(self._tasks),
            wall_time=end - self._started_at if self._started_at else 0.0,
            replaced=self._backend.replaced - self._replaced_at_start,
        )

    # -- iteration -------------------------------------------------------------------------------------
    def __aiter__(self) -> PoolBatch:
        return self

    async def __anext__(self) -> PoolResult:
        if self._queue is None:
            await self._begin()
        assert self._queue is not None
        if self._yielded >= len(self._tasks):
            raise StopAsyncIteration
        result = await self._queue.get()
        self._yielded += 1
        return result

    async def __aenter__(self) -> PoolBatch:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def _begin(self) -> None:
        self._started_at = time.monotonic()
        self._replaced_at_start = self._backend.replaced
        if self._tasks:
            await self._backend.start()  # if it raises, nothing began: the next __anext__ tries again
        self._queue = asyncio.Queue()
        self._progress.start(len(self._tasks))
        if not self._tasks:
            self._end()
            return
        self._driver = asyncio.get_running_loop().create_task(self._drive())
        self._driver.add_done_callback(self._driver_done)

    # -- scheduling ------------------------------------------------------------------------------------
    async def _drive(self) -> None:
        slots = asyncio.Semaphore(self._limit)
        loop = asyncio.get_running_loop()
        for index, task in enumerate(self._tasks):
            await slots.acquire()
            self._next_index = index + 1
            runner = loop.create_task(self._run_task(index, task))
            self._running.add(runner)
            runner.add_done_callback(functools.partial(self._runner_done, index, slots))

    def _runner_done(self, index: int, slots: asyncio.Semaphore, runner: asyncio.Task[None]) -> None:
        self._running.discard(runner)
        slots.release()
        if index not in self._results:  # cancelled before it ran a line, or a bug: it still gets a result
            error = None if runner.cancelled() else runner.exception()
            self._finish(self._cancelled_result(index, None) if error is None else self._failed(index, error))

    def _driver_done(self, driver: asyncio.Task[None]) -> None:
        # Tasks never started (the batch was cancelled) come back cancelled: every task has its result.
        for index in range(self._next_index, len(self._tasks)):
            self._finish(self._cancelled_result(index, None))

    def _pick(self, avoid: int | None = None) -> int:
        """The least busy slot (the lowest among equals), another than ``avoid`` when there is one."""
        order = sorted(range(len(self._load)), key=lambda slot: (slot == avoid, self._load[slot], slot))
        return order[0]

    async def _run_task(self, index: int, task: PoolTask) -> None:
        slot = self._pick()
        attempts = 0
        started = self._now()
        attempt = Attempt()
        try:
            while True:
                attempts += 1
                started = self._now()
                attempt = Attempt()
                self._load[slot] += 1
                try:
                    await self._backend.run(slot, index, task, attempt)
                finally:
                    self._load[slot] -= 1
                if attempt.slot_died and attempts <= self._retries and not self._cancelled:
                    slot = self._pick(avoid=slot)
                    continue
                break
        except asyncio.CancelledError:
            # Only the batch cancels these tasks: the cancellation ends here, as a result.
            result = self._cancelled_result(index, started, attempts=attempts, slot=slot)
            result.thread_id, result.worktree = attempt.thread_id, attempt.worktree
            self._finish(result)
            return
        except Exception as exc:  # a backend that raised instead of returning the error
            self._finish(self._failed(index, exc, started=started, attempts=attempts, slot=slot))
            return
        self._finish(
            PoolResult(
                index=index,
                task=task,
                ok=attempt.error is None and _completed(attempt.response),
                response=attempt.response,
                error=attempt.error,
                thread_id=attempt.thread_id,
                started=started,
                finished=self._now(),
                attempts=attempts,
                server=slot,
                worktree=attempt.worktree,
            )
        )

    def _cancelled_result(
        self, index: int, started: float | None, *, attempts: int = 0, slot: int | None = None
    ) -> PoolResult:
        return PoolResult(
            index=index,
            task=self._tasks[index],
            ok=False,
            error=PoolCancelledError(f"the batch was cancelled before task {index} finished"),
            cancelled=True,
            started=started,
            finished=self._now(),
            attempts=attempts,
            server=slot,
        )

    def _failed(
        self,
        index: int,
        error: BaseException,
        *,
        started: float | None = None,
        attempts: int = 0,
        slot: int | None = None,
    ) -> PoolResult:
        return PoolResult(
            index=index,
            task=self._tasks[index],
            ok=False,
            error=error,
            started=started,
            finished=self._now(),
            attempts=attempts,
            server=slot,
        )

    def _now(self) -> float:
        return time.monotonic() - self._started_at

    def _finish(self, result: PoolResult) -> None:
        if result.index in self._results:
            return
        self._results[result.index] = result
        self._progress.advance(result)
        assert self._queue is not None
        self._queue.put_nowait(result)
        if len(self._results) == len(self._tasks):
            self._end()

    def _end(self) -> None:
        if self._ended_at is None:
            self._ended_at = time.monotonic()
            if self._queue is not None:  # the bar was shown
                self._progress.stop()
            if self._on_end is not None:
                self._on_end(self)

    # -- stopping --------------------------------------------------------------------------------------
    def cancel(self) -> None:
        """Stop the batch: no further task starts, running turns are interrupted on the server; every
        task not finished yet comes back with ``cancelled=True``."""
        self._cancelled = True
        if self._driver is not None:
            self._driver.cancel()
        for runner in list(self._running):
            runner.cancel()

    async def wait(self) -> None:
        """Wait until every task has its result (after :meth:`cancel`: until the turns are stopped)."""
        pending = [t for t in (self._driver, *self._running) if t is not None and not t.done()]
        while pending:
            await asyncio.gather(*pending, return_exceptions=True)
            pending = [t for t in self._running if not t.done()]

    async def aclose(self) -> None:
        """Cancel what is still running and wait for it (idempotent; nothing to do for a finished batch)."""
        if self._queue is None:
            self._end()
            return
        if len(self._results) < len(self._tasks):
            self.cancel()
        await self.wait()
        self._end()


def _completed(response: AgentResponse | None) -> bool:
    return response is not None and response.status == "completed"


class BatchPool:
    """What the local pool and the Ray pool share: batches over a :class:`Backend`."""

    _progress_label = "codex pool"

    def __init__(
        self,
        backend: Backend,
        *,
        max_concurrency: int | None,
        death_retries: int,
        progress: bool | None,
    ) -> None:
        if max_concurrency is None:
            max_concurrency = backend.size
        for name, value, least in (
            ("max_concurrency", max_concurrency, 1),
            ("death_retries", death_retries, 0),
        ):
            if isinstance(value, bool) or not isinstance(value, int) or value < least:
                raise ValueError(f"{name} must be an integer >= {least}, got {value!r}")
        self._backend = backend
        self._max_concurrency = max_concurrency
        self._death_retries = death_retries
        self._progress = progress
        self._batches: weakref.WeakSet[PoolBatch] = weakref.WeakSet()  # a batch dropped unstarted goes

    @property
    def size(self) -> int:
        """Number of app-servers (or workers)."""
        return self._backend.size

    @property
    def max_concurrency(self) -> int:
        """Most turns running at once, over all app-servers."""
        return self._max_concurrency

    @property
    def replaced(self) -> int:
        """App-servers (or workers) that died and were replaced since the pool started."""
        return self._backend.replaced

    async def start(self) -> None:
        """Start every app-server now (otherwise the first batch does); raises if one cannot start."""
        await self._backend.start()

    async def close(self) -> None:
        """Cancel running batches, then stop every app-server (idempotent)."""
        batches = list(self._batches)
        for batch in batches:
            batch.cancel()
        for batch in batches:
            await batch.wait()
        await self._backend.close()

    def as_completed(self, tasks: Iterable[PoolTask | Prompt], *, progress: bool | None = None) -> PoolBatch:
        """Run ``tasks`` and yield their results as they finish (``async for result in ...``).

        A task is a prompt or a :class:`PoolTask`. Nothing starts until the iteration does. ``progress``
        overrides the pool's setting for this batch (True: a bar, False: none, None: a bar on a terminal).
        """
        show = self._progress if progress is None else progress
        batch = PoolBatch(
            self._backend,
            tasks,
            max_concurrency=self._max_concurrency,
            death_retries=self._death_retries,
            progress=make_progress(show, self._progress_label),
            on_end=self._batches.discard,
        )
        self._batches.add(batch)
        return batch

    async def run(self, tasks: Iterable[PoolTask | Prompt], *, progress: bool | None = None) -> PoolResults:
        """Run ``tasks`` and return every result in task order, with the batch's ``summary``.

        One task's failure never sinks the batch: it comes back with ``ok=False``. Cancelling the call
        (``task.cancel()``, a timeout) interrupts every running turn before the cancellation propagates;
        :meth:`cancel` instead ends the batch early and returns it with the unfinished tasks cancelled.
        """
        batch = self.as_completed(tasks, progress=progress)
        results: dict[int, PoolResult] = {}
        try:
            async for result in batch:
                results[result.index] = result
        finally:
            await batch.aclose()
        return PoolResults((results[i] for i in range(batch.total)), batch.summary())

    def cancel(self) -> None:
        """Cancel every batch of this pool in flight (see :meth:`PoolBatch.cancel`); the pool stays usable."""
        for batch in list(self._batches):
            batch.cancel()
