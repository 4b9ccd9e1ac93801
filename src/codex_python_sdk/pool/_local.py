"""The local backend: ``size`` app-servers, one :class:`AsyncCodexAgenticClient` each, in this process.

A slot starts its app-server on first use (or at :meth:`LocalServers.start`). A task runs on a new thread
of the slot's client: ``thread_start`` (so the pool knows the thread even if the turn is cancelled), then
``responses_create``. When an app-server dies, its client is closed for good (no implicit reconnect), so
the slot retires it and starts a replacement at once, in the background.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import Callable
from typing import Any

from .._client._async import AsyncCodexAgenticClient
from .._transport import Transport
from ..errors import AppServerConnectionError, CodexAgenticError
from ._batch import Attempt
from ._isolate import WorkingCopy, make_working_copy, remove_working_copy
from ._types import PoolTask

__all__ = ["ClientFactory", "LocalServers", "settle_turn"]

logger = logging.getLogger("codex_python_sdk.pool")

ClientFactory = Callable[[], AsyncCodexAgenticClient]
"""Makes one unconnected client (one app-server) for a slot."""

SETTLE_TIMEOUT = 10.0
"""Seconds a cancelled task waits for the server to confirm its turn ended."""


class _Slot:
    """One app-server: its current client, started once however many tasks wait for it."""

    def __init__(self, index: int, factory: ClientFactory) -> None:
        self.index = index
        self._factory = factory
        self.client: AsyncCodexAgenticClient | None = None
        self.pid: int | None = None
        self._starting: asyncio.Task[AsyncCodexAgenticClient] | None = None

    async def get(self) -> AsyncCodexAgenticClient:
        client = self.client
        if client is not None and not client.closed:
            return client
        if self._starting is None:
            self._starting = asyncio.get_running_loop().create_task(self._start())
        # Shielded: one waiter cancelled must not cancel the start the others wait for.
        return await asyncio.shield(self._starting)

    async def _start(self) -> AsyncCodexAgenticClient:
        try:
            client = self._factory()
            transports: list[Transport] = []

            def keep(transport: Transport) -> Transport:
                transports.append(transport)
                return transport

            with contextlib.suppress(CodexAgenticError):  # a factory's client may be connected already
                client.wrap_transport(keep)
            try:
                await client.connect()
            except BaseException:
                await client.close()
                raise
            pid = getattr(transports[0], "pid", None) if transports else None
            self.pid = pid if isinstance(pid, int) else None
            self.client = client
            return client
        finally:
            self._starting = None

    def retire(self, client: AsyncCodexAgenticClient) -> bool:
        """Forget ``client`` (its app-server died); True when it was the slot's current one."""
        if self.client is not client:
            return False
        self.client = None
        self.pid = None
        return True


class LocalServers:
    """``size`` app-servers in this process (the :class:`~codex_python_sdk.pool.AgentPool` backend)."""

    def __init__(
        self,
        size: int,
        factory: ClientFactory,
        *,
        isolate: bool,
        keep_worktrees: bool,
        default_cwd: str,
    ) -> None:
        if isinstance(size, bool) or not isinstance(size, int) or size < 1:
            raise ValueError(f"size must be a positive integer, got {size!r}")
        self._slots = [_Slot(i, factory) for i in range(size)]
        self._isolate = isolate
        self._keep = keep_worktrees
        self._default_cwd = default_cwd
        self._replaced = 0
        self._closing = False
        self._background: set[asyncio.Task[Any]] = set()

    @property
    def size(self) -> int:
        """Number of app-servers."""
        return len(self._slots)

    @property
    def replaced(self) -> int:
        """App-servers that died and were replaced."""
        return self._replaced

    @property
    def pids(self) -> list[int | None]:
        """Process id of each slot's current app-server (None: not running, or not a local process)."""
        return [
            slot.pid if slot.client is not None and not slot.client.closed else None for slot in self._slots
        ]

    @property
    def clients(self) -> list[AsyncCodexAgenticClient | None]:
        """Each slot's current client (None: not started, or being replaced)."""
        return [slot.client for slot in self._slots]

    async def start(self) -> None:
        """Start every app-server; if one fails, stop the others and raise its error."""
        if self._closing:
            raise CodexAgenticError("the pool is closed")
        # The first one alone: on a new CODEX_HOME it creates codex's state database, and app-servers
        # started alongside it fail ("failed to initialize sqlite state runtime").
        try:
            await self._slots[0].get()
        except BaseException:
            await self.close()
            raise
        outcomes = await asyncio.gather(*(slot.get() for slot in self._slots[1:]), return_exceptions=True)
        errors = [o for o in outcomes if isinstance(o, BaseException)]
        if errors:
            await self.close()
            raise errors[0]

    async def run(self, slot_index: int, index: int, task: PoolTask, attempt: Attempt) -> None:
        """Run ``task`` on a new thread of slot ``slot_index``'s app-server, filling in ``attempt``."""
        slot = self._slots[slot_index]
        client: AsyncCodexAgenticClient | None = None
        copy: WorkingCopy | None = None
        try:
            client = await slot.get()
            params = dict(task.thread_params or {})
            cwd = task.cwd
            if task.isolate if task.isolate is not None else self._isolate:
                source = os.fspath(cwd) if cwd is not None else self._default_cwd
                copy = await asyncio.to_thread(make_working_copy, source, index)
                attempt.worktree = copy.root
                cwd = copy.cwd
            if cwd is not None:
                params["cwd"] = os.fspath(cwd)
            started = await client.thread_start(params=params)
            attempt.thread_id = started.thread.id
            attempt.response = await client.responses_create(
                prompt=task.prompt, thread_id=attempt.thread_id, turn_params=task.turn_params
            )
        except asyncio.CancelledError:
            if client is not None and attempt.thread_id is not None:
                await settle_turn(client, attempt.thread_id)
            raise
        except Exception as exc:
            attempt.error = exc
            partial = getattr(exc, "response", None)  # a failed or stopped turn carries what it gathered
            if partial is not None and hasattr(partial, "status"):
                attempt.response = partial
            if isinstance(exc, AppServerConnectionError) and not self._closing and client is not None:
                attempt.slot_died = client.closed
                if attempt.slot_died:
                    self._replace(slot, client)
        finally:
            if copy is not None and not self._keep:
                await asyncio.to_thread(remove_working_copy, copy)

    def _replace(self, slot: _Slot, client: AsyncCodexAgenticClient) -> None:
        if not slot.retire(client):
            return  # another task of the same slot saw the death first
        self._replaced += 1
        logger.warning("app-server %d died; starting a replacement", slot.index)
        self._spawn(client.close())  # releases its hook and tool threads
        self._spawn(slot.get())

    def _spawn(self, coro: Any) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._background.add(task)
        task.add_done_callback(self._background.discard)
        # A replacement that cannot start is retried by the next task's get(); say why meanwhile.
        task.add_done_callback(_log_failure)

    async def close(self) -> None:
        """Stop every app-server (idempotent)."""
        self._closing = True
        for task in list(self._background):
            task.cancel()
        await asyncio.gather(*self._background, return_exceptions=True)
        clients = [slot.client for slot in self._slots if slot.client is not None]
        for slot in self._slots:
            slot.client = None
            slot.pid = None
        await asyncio.gather(*(client.close() for client in clients), return_exceptions=True)


def _log_failure(task: asyncio.Task[Any]) -> None:
    if not task.cancelled() and task.exception() is not None:
        logger.warning("replacing an app-server failed: %s", task.exception())


async def settle_turn(
    client: AsyncCodexAgenticClient, thread_id: str, timeout: float = SETTLE_TIMEOUT
) -> None:
    """After a cancelled turn: wait (bounded) until the server says the thread's turn is over.

    The client interrupts a cancelled turn in the background; waiting for it here means a cancelled batch
    returns only once its turns are really stopped. Best effort: never raises.
    """
    try:
        # Subscribed before reading the thread, so a turn/completed between the two is not missed.
        stream = client.notifications(["turn/completed"], thread_id=thread_id)
    except CodexAgenticError:  # the client is closed: its app-server is gone, and the turn with it
        return
    try:
        thread = await asyncio.wait_for(client.thread_read(thread_id, include_turns=True), timeout)
        turns = thread.turns or []
        if turns and turns[-1].status == "inProgress":
            await asyncio.wait_for(stream.__anext__(), timeout)
    except Exception as exc:  # the server is gone, or slow: nothing more to wait for
        logger.debug("waiting for the cancelled turn of thread %s to end: %s", thread_id, exc)
    finally:
        await stream.aclose()
