"""The Ray backend on a local Ray instance (``ray.init()`` in this process): a batch, a dead worker.

Skipped when ``ray`` is not installed (the ``[ray]`` extra; CI installs it on its main Python).
"""

from __future__ import annotations

import os
import threading
import time
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest

from codex_python_sdk.testing import FakeModel, ModelRequest, Reply

ray: Any = pytest.importorskip("ray", reason="the Ray backend needs the [ray] extra (pip install ray)")

from codex_python_sdk.ray import SyncRayAgentPool  # noqa: E402

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


@pytest.fixture(scope="module")
def model() -> Iterator[FakeModel]:
    with FakeModel() as fake:
        yield fake


@pytest.fixture(scope="module")
def pool(model: FakeModel) -> Iterator[SyncRayAgentPool]:
    """Four workers on a local Ray instance, shared by this module's tests (starting Ray takes a while)."""
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    try:
        with (
            model.home() as home,
            SyncRayAgentPool(size=4, max_concurrency=8, **home.client_kwargs()) as shared,
        ):
            yield shared
    finally:
        ray.shutdown()


@pytest.fixture
def fresh_model(model: FakeModel) -> Iterator[FakeModel]:
    model.clear()
    yield model
    model.respond_with(None)
    model.clear()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_ray_workers_run_forty_turns_at_most_eight_at_once(
    fresh_model: FakeModel, pool: SyncRayAgentPool
) -> None:
    def answer(request: ModelRequest) -> Reply:
        prompt = request.last_user_text or ""
        return Reply.server_error() if prompt == "task 13" else Reply.text(f"done {prompt}").slow(0.01)

    fresh_model.respond_with(answer)
    batch = pool.as_completed([f"task {i}" for i in range(40)])
    results = sorted(batch, key=lambda r: r.index)  # streamed back as they finished
    assert [r.index for r in results] == list(range(40))
    assert [r.text for r in results if r.ok] == [f"done task {i}" for i in range(40) if i != 13]
    assert not results[13].ok and "failed" in str(results[13].error)
    summary = batch.summary()
    assert (summary.succeeded, summary.failed) == (39, 1) and summary.usage["totalTokens"] == 39 * 15
    assert set(Counter(r.server for r in results)) == {0, 1, 2, 3}
    edges = sorted([(r.started or 0.0, 1) for r in results] + [(r.finished, -1) for r in results])
    running = most = 0
    for _, step in edges:
        running += step
        most = max(most, running)
    assert 1 < most <= 8


def test_a_dead_worker_is_replaced_and_its_task_retried_once(
    fresh_model: FakeModel, pool: SyncRayAgentPool
) -> None:
    hang = Reply.text("lost").hang()
    seen: Counter[str] = Counter()
    lock = threading.Lock()

    def answer(request: ModelRequest) -> Reply:
        prompt = request.last_user_text or ""
        with lock:
            seen[prompt] += 1
            if prompt == "victim" and seen[prompt] == 1:
                return hang
        return Reply.text(f"done {prompt}")

    fresh_model.respond_with(answer)
    ray_pool: Any = pool.pool
    replaced_before = pool.replaced
    batch = pool.as_completed(["victim", "other"])
    assert hang.wait_until_hanging(30)
    victim = ray_pool.actors[0]  # the first task goes to the first (least busy) worker
    app_server = ray.get(victim.pid.remote())
    ray.kill(victim, no_restart=True)
    results = sorted(batch, key=lambda r: r.index)
    assert [r.text for r in results] == ["done victim", "done other"]
    assert results[0].attempts == 2 and results[0].server != 0
    assert pool.replaced == replaced_before + 1 and batch.summary().retried == 1
    # The dead worker's app-server saw its stdin close and exited: nothing left behind.
    deadline = time.monotonic() + 10
    while _alive(app_server) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _alive(app_server)
    # The slot has a new worker, which takes tasks again.
    assert all(r.ok for r in pool.run(["after 1", "after 2", "after 3", "after 4"]))
