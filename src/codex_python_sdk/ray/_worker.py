"""The Ray worker: one actor, one app-server (an async client), tasks run as on a local pool slot.

This module never imports ``ray``: the actor is a plain class that :func:`worker_class` turns into a Ray
actor class on first use, so ``import codex_python_sdk.ray`` works (and costs nothing) without Ray.
"""

from __future__ import annotations

import os
import pickle
from collections.abc import Mapping
from typing import Any

from .._client._async import AsyncCodexAgenticClient
from .._client._options import ClientOptions
from ..errors import CodexAgenticError
from ..pool._batch import Attempt
from ..pool._local import LocalServers
from ..pool._types import PoolTask

__all__ = ["Worker", "portable_error", "worker_class"]


class Worker:
    """Holds one app-server on a Ray node and runs tasks on it (many at once: an async actor)."""

    def __init__(self, client_options: Mapping[str, Any], isolate: bool, keep_worktrees: bool) -> None:
        options = dict(client_options)

        def factory() -> AsyncCodexAgenticClient:
            return AsyncCodexAgenticClient.from_options(ClientOptions(**options))

        # The default cwd is the worker's own: a path of the driver's machine may not exist here.
        cwd = str(options.get("process_cwd") or os.getcwd())
        self._servers = LocalServers(
            1, factory, isolate=isolate, keep_worktrees=keep_worktrees, default_cwd=cwd
        )

    async def start(self) -> int | None:
        """Start the app-server; returns its process id on this node."""
        await self._servers.start()
        return self._servers.pids[0]

    async def run(self, index: int, task: PoolTask) -> Attempt:
        """Run one task. An app-server that died is replaced here; ``slot_died`` tells the driver to
        run the task again elsewhere. Cancelled (``ray.cancel``): the turn is interrupted first."""
        attempt = Attempt()
        await self._servers.run(0, index, task, attempt)
        attempt.error = portable_error(attempt.error)
        return attempt

    def pid(self) -> int | None:
        """The app-server's process id (None while it is being replaced)."""
        return self._servers.pids[0]

    async def close(self) -> None:
        """Stop the app-server."""
        await self._servers.close()


def portable_error(error: BaseException | None) -> BaseException | None:
    """``error`` if it survives pickling (the way back to the driver), else a :class:`CodexAgenticError`
    naming it: an exception whose constructor needs keyword arguments cannot be rebuilt by pickle."""
    if error is None:
        return None
    try:
        pickle.loads(pickle.dumps(error))
    except Exception:
        return CodexAgenticError(f"{type(error).__name__}: {error}")
    return error


_REMOTE: Any = None


def worker_class() -> Any:
    """The Ray actor class of :class:`Worker` (made once, when Ray is first used)."""
    global _REMOTE
    if _REMOTE is None:
        import ray

        _REMOTE = ray.remote(Worker)
    return _REMOTE
