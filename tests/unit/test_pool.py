"""AgentPool without processes: in-memory app-servers (FakeAppServer), one per slot."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from codex_python_sdk import (
    AgentPool,
    AppServerConnectionError,
    AsyncCodexAgenticClient,
    CodexAgenticError,
    MemoryTransport,
    PoolCancelledError,
    PoolResult,
    PoolSummary,
    PoolTask,
    SyncAgentPool,
    TurnFailedError,
)
from codex_python_sdk.pool._progress import NullProgress, ProgressBar, make_progress

from .conftest import FakeAppServer


class Servers:
    """A client factory for a pool: a new FakeAppServer per client; turns wait for ``release()``."""

    def __init__(self, *, hold: bool = False) -> None:
        self.made: list[FakeAppServer] = []
        self.hold = hold
        self.running = 0
        self.most_running = 0
        self.waiting = 0
        self.gate: asyncio.Event | None = None
        self.fail_prompts: set[str] = set()
        self.hold_prompts: set[str] = set()

    def __call__(self) -> AsyncCodexAgenticClient:
        server = FakeAppServer()
        server.turn_script = self._turn
        self.made.append(server)
        return AsyncCodexAgenticClient(transport=server.transport)

    def _turn(self, server: FakeAppServer, thread_id: str, turn_id: str) -> Any:
        prompt = server.sent("turn/start")[-1]["input"][0]["text"]
        return self._play(server, thread_id, turn_id, prompt)

    async def _play(self, server: FakeAppServer, thread_id: str, turn_id: str, prompt: str) -> None:
        self.running += 1
        self.most_running = max(self.most_running, self.running)
        try:
            server.notify(
                "turn/started", {"threadId": thread_id, "turn": {"id": turn_id, "status": "inProgress"}}
            )
            await asyncio.sleep(0.01)
            if self.hold or prompt in self.hold_prompts:
                if self.gate is None:
                    self.gate = asyncio.Event()
                self.waiting += 1
                try:
                    await self.gate.wait()
                finally:
                    self.waiting -= 1
            if server.active_turns.get(thread_id) != turn_id:
                return  # interrupted meanwhile
            if prompt in self.fail_prompts:
                server.complete(thread_id, turn_id, "failed", {"message": "the model failed"})
                return
            server.notify(
                "thread/tokenUsage/updated",
                {"threadId": thread_id, "turnId": turn_id, "tokenUsage": _usage(10, 5)},
            )
            server.agent_message(thread_id, turn_id, f"done: {prompt}")
            server.complete(thread_id, turn_id)
        finally:
            self.running -= 1

    def interrupts(self) -> int:
        return sum(len(server.sent("turn/interrupt")) for server in self.made)


def _usage(inp: int, out: int) -> dict[str, Any]:
    breakdown = {
        "inputTokens": inp,
        "cachedInputTokens": 0,
        "outputTokens": out,
        "reasoningOutputTokens": 0,
        "totalTokens": inp + out,
    }
    return {"total": breakdown, "last": breakdown}


def _arun(coro: Any) -> Any:
    return asyncio.run(asyncio.wait_for(coro, 20))


def test_run_returns_every_result_in_task_order_within_the_concurrency_limit() -> None:
    servers = Servers()
    servers.fail_prompts = {"task 3"}

    async def main() -> Any:
        async with AgentPool(size=2, max_concurrency=3, client_factory=servers) as pool:
            return await pool.run([f"task {i}" for i in range(10)])

    results = _arun(main())
    assert [r.index for r in results] == list(range(10))
    assert [r.ok for r in results] == [i != 3 for i in range(10)]
    assert results[0].text == "done: task 0" and results[0].response is not None
    assert isinstance(results[3].error, TurnFailedError) and results[3].response is not None
    assert 1 < servers.most_running <= 3
    assert {r.server for r in results} == {0, 1}  # both app-servers took turns
    assert len(servers.made) == 2
    summary = results.summary
    assert (summary.total, summary.succeeded, summary.failed, summary.cancelled) == (10, 9, 1, 0)
    assert summary.usage["totalTokens"] == 9 * 15 and summary.usage["inputTokens"] == 90
    assert summary.wall_time > 0 and "9/10 succeeded, 1 failed" in str(summary)
    assert results.failed == [results[3]]
    assert all(r.attempts == 1 and r.started is not None and r.duration >= 0 for r in results)


def test_tasks_carry_cwd_and_params_to_a_new_thread_each() -> None:
    servers = Servers()
    task = PoolTask(prompt="x", cwd="/somewhere", thread_params={"model": "m"}, turn_params={"effort": "low"})

    async def main() -> Any:
        async with AgentPool(size=1, client_factory=servers, progress=False) as pool:
            return await pool.run([task, "y"])

    results = _arun(main())
    starts = servers.made[0].sent("thread/start")
    assert starts[0]["cwd"] == "/somewhere" and starts[0]["model"] == "m"
    assert "cwd" not in starts[1]  # no cwd: the app-server's directory
    turns = servers.made[0].sent("turn/start")
    assert turns[0]["effort"] == "low" and "effort" not in turns[1]
    assert results[0].thread_id != results[1].thread_id and results[0].task is task


def test_as_completed_yields_results_as_they_finish() -> None:
    servers = Servers()
    servers.hold_prompts = {"slow"}
    order: list[int] = []

    async def main() -> PoolSummary:
        async with AgentPool(size=2, max_concurrency=4, client_factory=servers) as pool:
            batch = pool.as_completed(["slow", "b", "c"])
            async for result in batch:
                order.append(result.index)
                if len(order) == 2:
                    assert batch.summary().done == 2
                    assert servers.gate is not None
                    servers.gate.set()
            return batch.summary()

    summary = _arun(main())
    assert order == [1, 2, 0] and summary.succeeded == 3


def test_cancel_interrupts_running_turns_and_returns_the_rest_cancelled() -> None:
    servers = Servers(hold=True)

    async def main() -> list[PoolResult]:
        async with AgentPool(size=2, max_concurrency=3, client_factory=servers) as pool:
            running = asyncio.get_running_loop().create_task(pool.run([f"t{i}" for i in range(6)]))
            while servers.running < 3:
                await asyncio.sleep(0.01)
            pool.cancel()
            return await running

    results = _arun(main())
    assert all(r.cancelled and not r.ok for r in results)
    assert all(isinstance(r.error, PoolCancelledError) for r in results)
    assert [r.started is not None for r in results] == [True] * 3 + [False] * 3
    assert servers.interrupts() == 3  # every running turn was interrupted on its server
    assert servers.running == 0


def test_cancelling_run_interrupts_every_running_turn_before_propagating() -> None:
    servers = Servers(hold=True)

    async def main() -> None:
        async with AgentPool(size=2, max_concurrency=4, client_factory=servers) as pool:
            running = asyncio.get_running_loop().create_task(pool.run([f"t{i}" for i in range(8)]))
            while servers.running < 4:
                await asyncio.sleep(0.01)
            running.cancel()
            with pytest.raises(asyncio.CancelledError):
                await running
            assert servers.interrupts() == 4
            # The pool stays usable.
            servers.hold = False
            again = await pool.run(["after"])
            assert again[0].ok

    _arun(main())


def test_a_dead_app_server_is_replaced_and_its_task_run_again() -> None:
    servers = Servers(hold=True)

    async def main() -> Any:
        async with AgentPool(size=2, max_concurrency=2, client_factory=servers) as pool:
            running = asyncio.get_running_loop().create_task(pool.run(["a", "b"]))
            while servers.waiting < 2:
                await asyncio.sleep(0.01)
            servers.hold = False
            servers.made[0].transport.die(returncode=9, stderr=["boom"])
            await asyncio.sleep(0.05)
            assert servers.gate is not None
            servers.gate.set()
            results = await running
            return results, pool.replaced

    results, replaced = _arun(main())
    assert replaced == 1 and len(servers.made) == 3
    assert [r.ok for r in results] == [True, True]
    assert results[0].attempts == 2 and results[0].server == 1  # run again on the other app-server
    assert results.summary.replaced == 1 and results.summary.retried == 1


def test_without_retries_a_dead_app_servers_task_comes_back_failed() -> None:
    servers = Servers(hold=True)

    async def main() -> Any:
        async with AgentPool(size=1, death_retries=0, client_factory=servers) as pool:
            running = asyncio.get_running_loop().create_task(pool.run(["a"]))
            while servers.running < 1:
                await asyncio.sleep(0.01)
            servers.made[0].transport.die()
            results = await running
            servers.hold = False
            after = await pool.run(["b"])  # on the replacement
            return results, after

    results, after = _arun(main())
    assert not results[0].ok and isinstance(results[0].error, AppServerConnectionError)
    assert results[0].attempts == 1 and after[0].ok and len(servers.made) == 2


def test_isolated_tasks_run_in_a_private_copy_that_is_removed(tmp_path: Path) -> None:
    source = tmp_path / "project"
    source.mkdir()
    (source / "a.txt").write_text("hello")
    servers = Servers()

    async def main() -> Any:
        async with AgentPool(size=1, client_factory=servers, isolate=True) as pool:
            return await pool.run([PoolTask("x", cwd=source), PoolTask("y", cwd=source, isolate=False)])

    results = _arun(main())
    starts = servers.made[0].sent("thread/start")
    copy = Path(starts[0]["cwd"])
    assert copy != source and copy.name == "project" and results[0].worktree == copy
    assert not copy.exists()  # cleaned up
    assert starts[1]["cwd"] == str(source) and results[1].worktree is None


def test_isolated_tasks_in_a_git_repository_get_a_worktree(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    (repo / "sub").mkdir(parents=True)
    (repo / "sub" / "f.txt").write_text("committed")
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@t", "-C", str(repo)]
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    subprocess.run([*git, "add", "."], check=True)
    subprocess.run([*git, "commit", "-qm", "init"], check=True)
    seen: list[str] = []
    servers = Servers()

    def factory() -> AsyncCodexAgenticClient:
        client = servers()
        server = servers.made[-1]
        handler = server._on_message

        def on_message(transport: MemoryTransport, msg: dict[str, Any]) -> None:
            if msg.get("method") == "thread/start":  # what the agent would see in its cwd
                cwd = Path(msg["params"]["cwd"])
                seen.append((cwd / "f.txt").read_text())
                assert (cwd.parent / ".git").is_file()  # a worktree's .git is a file
            handler(transport, msg)

        server.transport.handler = on_message
        return client

    async def main() -> Any:
        async with AgentPool(size=1, client_factory=factory, isolate=True, keep_worktrees=True) as pool:
            return await pool.run([PoolTask("x", cwd=repo / "sub")] * 2)

    results = _arun(main())
    assert seen == ["committed", "committed"]
    trees = [r.worktree for r in results]
    assert trees[0] != trees[1] and all(t is not None and t.exists() for t in trees)
    listed = subprocess.run([*git, "worktree", "list"], capture_output=True, text=True, check=True).stdout
    assert all(str(t) in listed for t in trees)
    for tree in trees:  # kept: the caller removes them
        subprocess.run([*git, "worktree", "remove", "--force", str(tree)], check=True)


def test_isolating_a_missing_directory_fails_that_task_only(tmp_path: Path) -> None:
    async def main() -> Any:
        async with AgentPool(size=1, client_factory=Servers(), isolate=True) as pool:
            return await pool.run([PoolTask("x", cwd=tmp_path / "nope"), PoolTask("y", cwd=tmp_path)])

    results = _arun(main())
    assert not results[0].ok and "not a directory" in str(results[0].error) and results[1].ok


def test_the_sync_pool_runs_batches_and_streams_results() -> None:
    servers = Servers()
    with SyncAgentPool(size=2, max_concurrency=2, client_factory=servers, progress=False) as pool:
        results = pool.run(["a", "b", "c"])
        assert [r.text for r in results] == ["done: a", "done: b", "done: c"]
        batch = pool.as_completed(["d", "e"])
        assert sorted(r.text for r in batch) == ["done: d", "done: e"]
        assert batch.summary().succeeded == 2
        assert pool.size == 2


def test_leaving_the_sync_stream_early_cancels_the_rest() -> None:
    servers = Servers()
    servers.hold = False
    with SyncAgentPool(size=1, max_concurrency=1, client_factory=servers) as pool:
        batch = pool.as_completed([f"t{i}" for i in range(5)])
        first = next(batch)
        batch.close()
        assert first.ok and batch.summary().cancelled >= 1


def test_bad_pool_arguments_fail_at_construction() -> None:
    with pytest.raises(ValueError, match="size"):
        AgentPool(size=0)
    with pytest.raises(ValueError, match="max_concurrency"):
        AgentPool(size=1, max_concurrency=0)
    with pytest.raises(TypeError):
        AgentPool(size=1, no_such_option=1)
    with pytest.raises(CodexAgenticError, match="transport"):
        AgentPool(size=1, transport=MemoryTransport())
    with pytest.raises(CodexAgenticError, match="not both"):
        AgentPool(size=1, client_factory=Servers(), env={})
    assert AgentPool(size=3).max_concurrency == 3


def test_an_app_server_that_cannot_start_fails_start_and_run() -> None:
    async def main() -> None:
        pool = AgentPool(size=2, codex_command="/nonexistent/codex")
        with pytest.raises(CodexAgenticError):
            await pool.start()
        await pool.close()
        lazy = AgentPool(size=1, codex_command="/nonexistent/codex")
        with pytest.raises(CodexAgenticError):  # run() starts the app-servers itself
            await lazy.run(["a"])
        await lazy.close()

    _arun(main())


def test_progress_is_a_bar_only_when_asked_or_on_a_terminal(capsys: pytest.CaptureFixture[str]) -> None:
    assert type(make_progress(None, "x")) is NullProgress  # pytest's stdout is not a terminal
    assert type(make_progress(False, "x")) is NullProgress
    pytest.importorskip("rich")
    assert isinstance(make_progress(True, "x"), ProgressBar)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(sys.stdout, "isatty", lambda: True, raising=False)
        assert isinstance(make_progress(None, "x"), ProgressBar)  # a terminal: a bar

    async def main() -> None:
        async with AgentPool(size=1, client_factory=Servers(), progress=True) as pool:
            await pool.run(["a", "b"])

    _arun(main())
    out = capsys.readouterr().out
    assert "codex pool" in out and "2/2" in out and "0 failed" in out


def test_pool_names_load_lazily_and_never_load_rich_or_ray() -> None:
    code = (
        "import sys, codex_python_sdk as c\n"
        "c.AgentPool, c.SyncAgentPool, c.PoolTask\n"
        "import codex_python_sdk.ray\n"
        "print([m for m in sys.modules if m.split('.')[0] in ('rich', 'ray')])"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert proc.stdout.strip() == "[]"
