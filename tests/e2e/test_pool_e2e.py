"""AgentPool on real app-servers and the fake model: a batch, a failure, a cancel, a killed app-server."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import threading
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from codex_python_sdk import AgentPool, AppServerConnectionError, PoolTask, SyncAgentPool, TurnFailedError
from codex_python_sdk.testing import FakeHome, FakeModel, ModelRequest, Reply

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


@pytest.fixture
def home(codex_fake_model: FakeModel) -> Iterator[FakeHome]:
    """One CODEX_HOME for all of a pool's app-servers, as they would share ~/.codex."""
    with codex_fake_model.home() as shared:
        yield shared


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def _max_overlap(spans: list[tuple[float, float]]) -> int:
    edges = sorted([(start, 1) for start, _ in spans] + [(end, -1) for _, end in spans])
    running = most = 0
    for _, step in edges:
        running += step
        most = max(most, running)
    return most


def test_four_app_servers_run_forty_turns_at_most_eight_at_once(
    codex_fake_model: FakeModel, home: FakeHome
) -> None:
    def answer(request: ModelRequest) -> Reply:
        prompt = request.last_user_text or ""
        return Reply.server_error() if prompt == "task 13" else Reply.text(f"done {prompt}").slow(0.01)

    codex_fake_model.respond_with(answer)
    tasks = [f"task {i}" for i in range(40)]

    async def main() -> Any:
        async with AgentPool(size=4, max_concurrency=8, **home.client_kwargs()) as pool:
            assert len({pid for pid in pool.pids if pid}) == 4
            return await pool.run(tasks)

    results = asyncio.run(main())
    assert [r.index for r in results] == list(range(40))  # every task reported, in task order
    assert [r.text for r in results if r.ok] == [f"done task {i}" for i in range(40) if i != 13]
    failed = results[13]
    assert not failed.ok and isinstance(failed.error, TurnFailedError) and failed.thread_id
    summary = results.summary
    assert (summary.succeeded, summary.failed, summary.cancelled) == (39, 1, 0)
    assert summary.usage["totalTokens"] == 39 * 15  # the fake model's 10 in / 5 out per turn
    assert set(Counter(r.server for r in results)) == {0, 1, 2, 3}  # the least busy one takes the next
    spans = [(r.started, r.finished) for r in results if r.started is not None]
    assert 1 < _max_overlap(spans) <= 8
    assert len({r.thread_id for r in results}) == 40
    assert len(codex_fake_model.turn_requests) == 40


def test_cancelling_a_batch_interrupts_its_turns_and_leaves_no_process(
    codex_fake_model: FakeModel, home: FakeHome
) -> None:
    hanging: list[Reply] = []
    lock = threading.Lock()

    def answer(request: ModelRequest) -> Reply:
        with lock:
            hanging.append(Reply.text("never finished").hang())
            return hanging[-1]

    codex_fake_model.respond_with(answer)
    pids: list[int] = []

    async def main() -> Any:
        async with AgentPool(size=2, max_concurrency=4, **home.client_kwargs()) as pool:
            pids.extend(pid for pid in pool.pids if pid)
            running = asyncio.get_running_loop().create_task(pool.run([f"t{i}" for i in range(8)]))
            await asyncio.to_thread(codex_fake_model.wait_for_requests, 4)
            pool.cancel()
            results = await running
            statuses = []
            for result in results[:4]:
                client = pool.clients[result.server or 0]
                assert client is not None and result.thread_id
                thread = await client.thread_read(result.thread_id, include_turns=True)
                statuses.append(thread.turns[-1].status)
            return results, statuses

    results, statuses = asyncio.run(main())
    assert all(r.cancelled for r in results)
    assert [r.started is not None for r in results] == [True] * 4 + [False] * 4
    assert statuses == ["interrupted"] * 4  # stopped on the server, not just abandoned
    assert all(request.disconnected for request in codex_fake_model.turn_requests)
    assert len(pids) == 2 and not any(_alive(pid) for pid in pids)


def test_a_killed_app_server_is_replaced_and_its_task_retried(
    codex_fake_model: FakeModel, home: FakeHome
) -> None:
    seen: Counter[str] = Counter()
    first_hang = Reply.text("lost").hang()
    lock = threading.Lock()

    def answer(request: ModelRequest) -> Reply:
        prompt = request.last_user_text or ""
        with lock:
            seen[prompt] += 1
            if prompt == "victim" and seen[prompt] == 1:
                return first_hang
        return Reply.text(f"done {prompt}")

    codex_fake_model.respond_with(answer)

    async def main() -> Any:
        async with AgentPool(size=2, max_concurrency=2, **home.client_kwargs()) as pool:
            running = asyncio.get_running_loop().create_task(pool.run(["victim", "other", "third"]))
            assert await asyncio.to_thread(first_hang.wait_until_hanging)  # the victim's turn is running
            victim_pid = pool.pids[0]
            assert victim_pid is not None
            os.kill(victim_pid, signal.SIGKILL)
            results = await running
            return results, victim_pid, pool.pids, pool.replaced

    results, victim_pid, pids_after, replaced = asyncio.run(main())
    assert [r.text for r in results] == ["done victim", "done other", "done third"]
    assert results[0].attempts == 2 and results[0].server == 1
    assert replaced == 1 and results.summary.replaced == 1 and results.summary.retried == 1
    assert victim_pid not in pids_after and all(pids_after)
    assert seen["victim"] == 2


def test_without_retries_the_killed_servers_task_fails(codex_fake_model: FakeModel, home: FakeHome) -> None:
    hang = Reply.text("lost").hang()
    codex_fake_model.add(hang)
    with SyncAgentPool(size=1, death_retries=0, **home.client_kwargs()) as pool:
        batch = pool.as_completed(["victim"])

        def kill_when_hanging() -> None:
            if hang.wait_until_hanging():
                os.kill(pool.pids[0] or 0, signal.SIGKILL)

        killer = threading.Thread(target=kill_when_hanging)
        killer.start()
        (result,) = list(batch)
        killer.join()
        assert not result.ok and isinstance(result.error, AppServerConnectionError)
        codex_fake_model.add(Reply.text("back"))
        assert pool.run(["again"])[0].text == "back"  # on the replacement


def test_isolated_tasks_edit_their_own_worktree_not_the_repository(
    codex_fake_model: FakeModel, home: FakeHome, tmp_path: Path
) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "README").write_text("original\n")
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@t", "-C", str(repo)]
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    subprocess.run([*git, "add", "."], check=True)
    subprocess.run([*git, "commit", "-qm", "init"], check=True)

    def answer(request: ModelRequest) -> Reply:
        if request.tool_outputs:  # the patch was applied: end the turn
            return Reply.text("edited")
        name = (request.last_user_text or "").split()[-1]
        return Reply.add_file(f"{name}.txt", f"made by {name}\n")

    codex_fake_model.respond_with(answer)
    tasks = [PoolTask(f"write {name}", cwd=repo) for name in ("one", "two")]

    async def main() -> Any:
        async with AgentPool(size=1, max_concurrency=2, isolate=True, **home.client_kwargs()) as pool:
            return await pool.run(tasks)

    results = asyncio.run(main())
    assert [r.text for r in results] == ["edited", "edited"]
    for result, name in zip(results, ("one", "two"), strict=True):
        assert result.response is not None and f"made by {name}" in (result.response.diff or "")
        assert result.worktree is not None and not result.worktree.exists()  # removed afterwards
    assert sorted(p.name for p in repo.iterdir()) == [".git", "README"]  # the repository is untouched
    listed = subprocess.run([*git, "worktree", "list"], capture_output=True, text=True, check=True)
    assert len(listed.stdout.strip().splitlines()) == 1
