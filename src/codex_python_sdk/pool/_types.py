"""What a batch is made of and what it gives back: tasks, results, the summary."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from ..events import AgentResponse
from ..inputs import Prompt

__all__ = ["USAGE_FIELDS", "PoolResult", "PoolResults", "PoolSummary", "PoolTask", "as_task"]

USAGE_FIELDS = ("inputTokens", "cachedInputTokens", "outputTokens", "reasoningOutputTokens", "totalTokens")
"""The token counters a summary adds up (the wire names of ``TokenUsageBreakdown``)."""


@dataclasses.dataclass(frozen=True)
class PoolTask:
    """One turn of a batch: a prompt on a new thread.

    ``cwd`` is the thread's working directory (default: the app-server's). ``thread_params`` /
    ``turn_params`` are merged over the pool's client defaults as for ``responses_create``. ``isolate``
    overrides the pool's setting for this task: True runs it in a private working copy of ``cwd``. ``name``
    is free text for your own bookkeeping (shown nowhere else).
    """

    prompt: Prompt
    cwd: str | Path | None = None
    thread_params: Mapping[str, object] | None = None
    turn_params: Mapping[str, object] | None = None
    isolate: bool | None = None
    name: str | None = None


def as_task(task: PoolTask | Prompt) -> PoolTask:
    """A :class:`PoolTask` for a task or a bare prompt."""
    return task if isinstance(task, PoolTask) else PoolTask(prompt=task)


@dataclasses.dataclass
class PoolResult:
    """The outcome of one task.

    ``ok`` is True when the turn completed; then ``response`` is its :class:`AgentResponse`. Otherwise
    ``error`` says why (a failed turn's :class:`TurnFailedError`, a dead app-server's
    :class:`AppServerConnectionError`, anything your hooks raised ...) and ``response`` holds what the turn
    gathered when the error carried it; ``cancelled`` is True for a task stopped by a batch cancel (never
    started, or interrupted on the server). ``index`` is the task's position in the batch; ``started`` and
    ``finished`` are seconds since the batch began (``started`` is None for a task never started);
    ``attempts`` counts runs (2 when a dead app-server made the pool run it again); ``server`` is the slot
    of the app-server (or Ray worker) that ran it last; ``worktree`` the task's private working copy when
    it was isolated (removed after the task unless the pool keeps them).
    """

    index: int
    task: PoolTask
    ok: bool
    response: AgentResponse | None = None
    error: BaseException | None = None
    cancelled: bool = False
    thread_id: str | None = None
    started: float | None = None
    finished: float = 0.0
    attempts: int = 0
    server: int | None = None
    worktree: Path | None = None

    @property
    def duration(self) -> float:
        """Seconds the task ran (its last attempt included; 0 for a task never started)."""
        return 0.0 if self.started is None else max(0.0, self.finished - self.started)

    @property
    def text(self) -> str:
        """The agent's final message, or "" without a response."""
        return self.response.text if self.response is not None else ""


@dataclasses.dataclass(frozen=True)
class PoolSummary:
    """Counts, token usage and wall time of a batch (or of the part of it done so far).

    ``usage`` adds up each task's thread token usage (``usage.total``), failed turns' partial usage
    included: the tokens were spent. ``replaced`` counts app-servers (or workers) that died and were
    replaced during the batch, ``retried`` the tasks run again because of it.
    """

    total: int
    succeeded: int
    failed: int
    cancelled: int
    wall_time: float
    usage: Mapping[str, int]
    replaced: int = 0
    retried: int = 0

    @classmethod
    def of(
        cls, results: Iterable[PoolResult], *, total: int, wall_time: float, replaced: int = 0
    ) -> PoolSummary:
        """The summary of ``results`` (``total``: the batch's size, finished or not)."""
        usage = dict.fromkeys(USAGE_FIELDS, 0)
        succeeded = failed = cancelled = retried = 0
        for result in results:
            if result.ok:
                succeeded += 1
            elif result.cancelled:
                cancelled += 1
            else:
                failed += 1
            retried += result.attempts > 1
            for key, value in _usage_of(result).items():
                usage[key] += value
        return cls(total, succeeded, failed, cancelled, wall_time, usage, replaced, retried)

    @property
    def done(self) -> int:
        """Tasks finished so far, whatever their outcome."""
        return self.succeeded + self.failed + self.cancelled

    def __str__(self) -> str:
        parts = [f"{self.succeeded}/{self.total} succeeded", f"{self.failed} failed"]
        if self.cancelled:
            parts.append(f"{self.cancelled} cancelled")
        parts.append(f"{self.usage.get('totalTokens', 0)} tokens")
        if self.replaced:
            parts.append(f"{self.replaced} app-server(s) replaced, {self.retried} task(s) retried")
        parts.append(f"{self.wall_time:.1f} s")
        return ", ".join(parts)


def _usage_of(result: PoolResult) -> dict[str, int]:
    response = result.response
    usage: Any = response.usage if response is not None else None
    total = usage.get("total") if usage is not None else None
    if not isinstance(total, Mapping):
        return {}
    return {key: value for key in USAGE_FIELDS if isinstance(value := total.get(key), int)}


class PoolResults(list[PoolResult]):
    """What :meth:`AgentPool.run` returns: the results in task order, and the batch's :attr:`summary`."""

    def __init__(self, results: Iterable[PoolResult], summary: PoolSummary) -> None:
        """Results in task order, with their summary."""
        super().__init__(results)
        self.summary = summary
        """Counts, usage totals and wall time of the batch."""

    @property
    def failed(self) -> list[PoolResult]:
        """The results that did not succeed (failed or cancelled), in task order."""
        return [result for result in self if not result.ok]
