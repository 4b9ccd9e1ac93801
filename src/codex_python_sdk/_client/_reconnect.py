"""What ``reconnect()`` reports, and the resuming of the threads the old connection had loaded.

Reconnecting is explicit (``client.reconnect()``), never done behind the caller's back: a turn that was
running when the connection died is not replayed, and what could not be resumed is said, not skipped.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable, Mapping
from types import MappingProxyType

from ..errors import CodexAgenticError

__all__ = ["ReconnectReport", "resume_threads"]

# Resumes in flight at once: each loads a thread's history from disk on the server.
_CONCURRENT_RESUMES = 8


class ReconnectReport:
    """What :meth:`~codex_python_sdk.AsyncCodexAgenticClient.reconnect` did.

    ``resumed``: the ids of the threads loaded again on the new connection, in the order they were
    tried. ``failed``: thread id -> the error ``thread/resume`` gave (e.g. an ephemeral thread, which the
    new app-server cannot know). ``ok`` is True when nothing failed.
    """

    __slots__ = ("failed", "resumed")

    def __init__(self, resumed: Iterable[str], failed: Mapping[str, CodexAgenticError]) -> None:
        self.resumed: tuple[str, ...] = tuple(resumed)
        self.failed: Mapping[str, CodexAgenticError] = MappingProxyType(dict(failed))

    @property
    def ok(self) -> bool:
        """True when every thread that was loaded could be resumed."""
        return not self.failed

    def __repr__(self) -> str:
        failed = {thread_id: error.message for thread_id, error in self.failed.items()}
        return f"ReconnectReport(resumed={list(self.resumed)!r}, failed={failed!r})"


async def resume_threads(
    thread_ids: Iterable[str], resume: Callable[[str], Awaitable[object]]
) -> ReconnectReport:
    """``resume(thread_id)`` for each thread (a few at a time), collecting who succeeded and who failed.

    Only the SDK's errors count as a thread's failure; anything else (a cancel, a bug) propagates.
    """
    ids = list(dict.fromkeys(thread_ids))
    outcome: dict[str, CodexAgenticError | None] = {}
    gate = asyncio.Semaphore(_CONCURRENT_RESUMES)

    async def one(thread_id: str) -> None:
        async with gate:
            try:
                await resume(thread_id)
            except CodexAgenticError as exc:
                outcome[thread_id] = exc
            else:
                outcome[thread_id] = None

    await asyncio.gather(*(one(thread_id) for thread_id in ids))
    resumed = [thread_id for thread_id in ids if outcome.get(thread_id) is None]
    failed = {thread_id: error for thread_id in ids if (error := outcome.get(thread_id)) is not None}
    return ReconnectReport(resumed, failed)
