"""The batch API of :class:`~codex_python_sdk.AgentPool` on a Ray cluster: one app-server per worker.

::

    from codex_python_sdk.ray import RayAgentPool

    async with RayAgentPool(size=8, max_concurrency=32) as pool:   # ray.init() unless already done
        results = await pool.run(prompts)

Needs the ``[ray]`` extra (``pip install 'codex-python-sdk[ray]'``) on the driver and every node, with
the pinned codex binary (a dependency of this package) and the model credentials in each worker's
environment; see docs/scale.md. Importing this module does not import Ray; starting a pool does.
"""

from __future__ import annotations

from ._pool import RayAgentPool, SyncRayAgentPool

__all__ = ["RayAgentPool", "SyncRayAgentPool"]
