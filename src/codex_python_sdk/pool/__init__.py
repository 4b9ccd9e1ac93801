"""Many turns over several app-servers: :class:`AgentPool` (async) and :class:`SyncAgentPool`.

::

    from codex_python_sdk import AgentPool, PoolTask

    async with AgentPool(size=4, max_concurrency=8) as pool:
        results = await pool.run([f"summarize chapter {n}" for n in range(40)])
    print(results.summary)   # 40/40 succeeded, 0 failed, ... tokens, 12.3 s

See docs/scale.md ("Pools and Ray"). The Ray backend, with the same batch API, is
:mod:`codex_python_sdk.ray`.
"""

from __future__ import annotations

from ._batch import PoolBatch, PoolCancelledError
from ._pool import AgentPool, SyncAgentPool, SyncPoolBatch
from ._types import PoolResult, PoolResults, PoolSummary, PoolTask

__all__ = [
    "AgentPool",
    "PoolBatch",
    "PoolCancelledError",
    "PoolResult",
    "PoolResults",
    "PoolSummary",
    "PoolTask",
    "SyncAgentPool",
    "SyncPoolBatch",
]
