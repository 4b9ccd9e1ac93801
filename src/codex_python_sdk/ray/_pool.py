"""``RayAgentPool``: the batch API of :class:`~codex_python_sdk.AgentPool` on a Ray cluster.

One actor per slot, each holding one app-server (see ``_worker``). The driver schedules as the local pool
does (order, ``max_concurrency``, least busy slot) and awaits each task's object ref, so results stream
back as they finish. A worker that dies (its process, its node) raises ``RayActorError`` for its tasks: the
slot gets a new actor and the task runs again elsewhere (``death_retries``, default once).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Mapping
from typing import Any

from ..errors import CodexAgenticError
from ..pool._batch import Attempt, BatchPool
from ..pool._pool import SyncAgentPool
from ..pool._types import PoolTask
from ._worker import worker_class

__all__ = ["RayAgentPool", "SyncRayAgentPool"]

logger = logging.getLogger("codex_python_sdk.pool")

_CANCEL_TIMEOUT = 15.0  # seconds to wait for a cancelled worker task (its turn being interrupted)
_DEFAULT_ACTOR_OPTIONS: Mapping[str, Any] = {"scheduling_strategy": "SPREAD"}  # one app-server per node first


def _ray() -> Any:
    try:
        import ray
    except ImportError as exc:
        raise CodexAgenticError("the Ray backend needs ray: pip install 'codex-python-sdk[ray]'") from exc
    return ray


class RayBackend:
    """``size`` Ray actors, one app-server each."""

    def __init__(
        self,
        size: int,
        client_options: Mapping[str, Any],
        *,
        isolate: bool,
        keep_worktrees: bool,
        actor_options: Mapping[str, Any] | None,
        ray_init: Mapping[str, Any] | None,
    ) -> None:
        if isinstance(size, bool) or not isinstance(size, int) or size < 1:
            raise ValueError(f"size must be a positive integer, got {size!r}")
        self._size = size
        self._client_options = dict(client_options)
        self._isolate = isolate
        self._keep = keep_worktrees
        self._actor_options = dict(_DEFAULT_ACTOR_OPTIONS if actor_options is None else actor_options)
        self._ray_init = dict(ray_init or {})
        self._actors: list[Any] = [None] * size
        self._starting: list[asyncio.Task[Any] | None] = [None] * size
        self._replaced = 0
        self._inited_ray = False
        self._closing = False
        self._background: set[asyncio.Task[Any]] = set()

    @property
    def size(self) -> int:
        """Number of workers."""
        return self._size

    @property
    def replaced(self) -> int:
        """Workers that died and were replaced."""
        return self._replaced

    @property
    def actors(self) -> list[Any]:
        """Each slot's actor handle (None: not started, or being replaced)."""
        return list(self._actors)

    async def start(self) -> None:
        """Connect to Ray (``ray.init(**ray_init)`` unless it is initialized) and start every worker."""
        if self._closing:
            raise CodexAgenticError("the pool is closed")
        ray = _ray()
        if not ray.is_initialized():
            ray.init(**self._ray_init)
            self._inited_ray = True
        # The first alone: app-servers starting together on a new CODEX_HOME (shared storage, or one
        # machine) race to create codex's state database, as in the local pool.
        first = await asyncio.gather(self._actor(0), return_exceptions=True)
        rest = await asyncio.gather(*(self._actor(i) for i in range(1, self._size)), return_exceptions=True)
        errors = [o for o in (*first, *rest) if isinstance(o, BaseException)]
        if errors:
            await self.close()
            raise errors[0]

    async def _actor(self, slot: int) -> Any:
        actor = self._actors[slot]
        if actor is not None:
            return actor
        starting = self._starting[slot]
        if starting is None:
            starting = self._starting[slot] = asyncio.get_running_loop().create_task(self._new_actor(slot))
        return await asyncio.shield(starting)

    async def _new_actor(self, slot: int) -> Any:
        try:
            remote = worker_class()
            actor = remote.options(**self._actor_options).remote(
                self._client_options, self._isolate, self._keep
            )
            try:
                await actor.start.remote()
            except BaseException:
                _ray().kill(actor)
                raise
            self._actors[slot] = actor
            return actor
        finally:
            self._starting[slot] = None

    async def run(self, slot: int, index: int, task: PoolTask, attempt: Attempt) -> None:
        """Run ``task`` on worker ``slot``, filling in ``attempt``."""
        ray = _ray()
        try:
            actor = await self._actor(slot)
        except Exception as exc:  # a replacement worker that cannot start: this task fails
            attempt.error = exc
            return
        ref = actor.run.remote(index, task)
        try:
            done: Attempt = await ref
        except asyncio.CancelledError:
            ray.cancel(ref)  # the worker interrupts the turn; wait for it, bounded
            with contextlib.suppress(Exception, asyncio.CancelledError):
                await asyncio.wait_for(asyncio.wrap_future(ref.future()), _CANCEL_TIMEOUT)
            raise
        except ray.exceptions.RayActorError as exc:
            attempt.error = exc
            attempt.slot_died = not self._closing
            if attempt.slot_died:
                self._replace(slot, actor)
            return
        except Exception as exc:  # the task itself raised on the worker (a bug): report, do not retry
            attempt.error = exc
            return
        attempt.response, attempt.error = done.response, done.error
        attempt.thread_id, attempt.worktree, attempt.slot_died = done.thread_id, done.worktree, done.slot_died

    def _replace(self, slot: int, actor: Any) -> None:
        if self._actors[slot] is not actor:
            return  # another task of this worker saw it die first
        self._actors[slot] = None
        self._replaced += 1
        logger.warning("Ray worker %d died; starting a replacement", slot)
        with contextlib.suppress(Exception):
            _ray().kill(actor)
        # At once, so the next task of this slot does not wait for it; a failure is retried by that task.
        starting = asyncio.get_running_loop().create_task(self._actor(slot))
        self._background.add(starting)
        starting.add_done_callback(self._background.discard)
        starting.add_done_callback(lambda t: t.cancelled() or t.exception())  # retrieved: no warning

    async def close(self) -> None:
        """Stop every worker's app-server and the workers; shut Ray down if this pool started it."""
        self._closing = True
        for starting in [*self._starting, *self._background]:
            if starting is not None:
                starting.cancel()
        actors = [a for a in self._actors if a is not None]
        self._actors = [None] * self._size
        if actors:
            ray = _ray()
            closing = [asyncio.wrap_future(a.close.remote().future()) for a in actors]
            with contextlib.suppress(Exception):
                await asyncio.wait_for(asyncio.gather(*closing, return_exceptions=True), _CANCEL_TIMEOUT)
            for actor in actors:
                with contextlib.suppress(Exception):
                    ray.kill(actor)
        if self._inited_ray:
            self._inited_ray = False
            _ray().shutdown()


class RayAgentPool(BatchPool):
    """:class:`~codex_python_sdk.AgentPool`'s batch API with one app-server per Ray worker actor.

    ::

        async with RayAgentPool(size=8, max_concurrency=32, default_thread_params={...}) as pool:
            async for result in pool.as_completed(tasks):
                print(result.index, result.ok, result.text)

    ``run``, ``as_completed``, ``cancel``, ``PoolTask``, ``PoolResult`` and the summary are the local
    pool's; ``result.server`` is the worker's slot. Keywords other than the pool's are client options,
    sent to every worker (hooks included: they are pickled and run on the workers).

    - ``ray_init``: keywords for ``ray.init()`` when Ray is not initialized yet (then the pool shuts Ray
      down when it closes); e.g. ``{"address": "auto"}`` on a cluster node. Initialize Ray yourself to
      share it with other work.
    - ``actor_options``: ``.options()`` of each worker actor (default ``{"scheduling_strategy":
      "SPREAD"}``: workers on as many nodes as possible); e.g. ``{"num_cpus": 1}`` or a custom resource
      naming the nodes that have codex.
    - ``death_retries`` (default 1): a task whose worker (or the worker's app-server) died is run again
      on another worker; a dead worker is replaced by a new actor.
    - ``isolate`` / ``keep_worktrees``: as for the local pool, on the worker's node (``cwd`` must exist
      there).
    """

    _progress_label = "codex ray pool"

    def __init__(
        self,
        size: int = 4,
        *,
        max_concurrency: int | None = None,
        isolate: bool = False,
        keep_worktrees: bool = False,
        progress: bool | None = None,
        death_retries: int = 1,
        ray_init: Mapping[str, Any] | None = None,
        actor_options: Mapping[str, Any] | None = None,
        **client_options: Any,
    ) -> None:
        """See the class docstring; ``client_options`` are :class:`ClientOptions` keywords."""
        if "transport" in client_options:
            raise CodexAgenticError("a pool starts its own app-servers: transport= is one connection")
        from .._client._options import ClientOptions

        ClientOptions(**client_options)  # bad keywords fail here, not on every worker
        self._ray_backend = RayBackend(
            size,
            client_options,
            isolate=isolate,
            keep_worktrees=keep_worktrees,
            actor_options=actor_options,
            ray_init=ray_init,
        )
        super().__init__(
            self._ray_backend, max_concurrency=max_concurrency, death_retries=death_retries, progress=progress
        )

    async def __aenter__(self) -> RayAgentPool:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    @property
    def actors(self) -> list[Any]:
        """Each worker's Ray actor handle (None: not started, or being replaced)."""
        return self._ray_backend.actors


class SyncRayAgentPool(SyncAgentPool):
    """:class:`RayAgentPool` for synchronous code (the keywords of :class:`RayAgentPool`)."""

    def _make_pool(self, size: int, keywords: dict[str, Any]) -> BatchPool:
        return RayAgentPool(size, **keywords)
