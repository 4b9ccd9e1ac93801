"""``reconnect()``: what it does (loaded when it is first called), what it reports, and the resuming of
the threads the old connection had loaded.

Reconnecting is explicit (``client.reconnect()``), never done behind the caller's back: a turn that was
running when the connection died is not replayed, and what could not be resumed is said, not skipped.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable, Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING

from ..errors import AppServerConnectionError, ClientClosedError, CodexAgenticError
from ._routing import Router
from ._turns import TurnTracker

if TYPE_CHECKING:
    from ._async import AsyncCodexAgenticClient

__all__ = ["ReconnectReport", "reconnect", "resume_threads"]

logger = logging.getLogger("codex_python_sdk")

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


async def reconnect(client: AsyncCodexAgenticClient) -> ReconnectReport:
    """What :meth:`~codex_python_sdk.AsyncCodexAgenticClient.reconnect` does (see its documentation)."""
    if client._closed:
        raise ClientClosedError("the client is closed; create a new one")
    if client._options.transport is not None and not client._options._prelaunched:
        raise CodexAgenticError(
            "reconnect() needs a client that opens its own connections (url=, or the app-server it "
            "starts); this one was given transport="
        )
    if client._wrapped:
        raise CodexAgenticError("reconnect() is not available after wrap_transport()")
    if client._connect_lock is None:
        client._connect_lock = asyncio.Lock()
    async with client._connect_lock:
        threads = sorted(client._loaded_threads)
        await _drop_connection(client)
        client._transport = None  # a fresh one: a new process, or a new dial
        try:
            await client._connect()
        except AppServerConnectionError as exc:
            client._dead = exc  # still no connection: only another reconnect() makes one
            raise
        client._dead = None
        client._loaded_threads.clear()

        async def resume_one(thread_id: str) -> None:
            await client._request("thread/resume", {"threadId": thread_id})

        report = await resume_threads(threads, resume_one)
    if report.failed:
        logger.warning("reconnect(): threads that could not be resumed: %s", report)
    return report


async def _drop_connection(client: AsyncCodexAgenticClient) -> None:
    """End everything that used the old connection, then close it."""
    conn, client._conn = client._conn, None
    error = AppServerConnectionError("reconnect() replaced the connection this call was using")
    client._router.fail_all(client._dead or error)
    client._dead = client._dead or error  # until the new connection is up (even if reconnect is cancelled)
    if client._dispatcher is not None:
        client._dispatcher.cancel_all()
    for task in list(client._tasks):
        task.cancel()
    old_errors = client._dispatcher.errors if client._dispatcher is not None else ()
    client._router, client._turns = Router(), TurnTracker()
    client._dispatcher = None
    client._carried_hook_errors = list(old_errors)
    if conn is not None:
        await conn.aclose(error)
    elif client._transport is not None:
        await client._transport.aclose()
