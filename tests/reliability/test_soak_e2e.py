"""Soak and concurrency on the real app-server (slow: ``pytest -m slow``; CI runs them too).

- 1,000 sequential turns on one sync client: this process's memory (RSS), open file descriptors,
  threads and live Python objects stay flat between the end of a 50-turn warm-up and the end, and the
  client holds no per-turn state afterwards. The figures are printed (``pytest -s`` shows them).
- 32 turns at once on one async client, each on its own thread, all complete with their own text.
- 8 Python threads share one sync client, each running several turns: every answer reaches its caller.
"""

from __future__ import annotations

import asyncio
import gc
import os
import threading
from pathlib import Path
from typing import Any

import pytest

from codex_python_sdk.testing import FakeModel, FakeModelClient, ModelRequest, Reply

from .conftest import run_async

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

TURNS = 1_000
WARM_UP = 50


def _usage() -> dict[str, int]:
    """This process's resident memory (KiB), open file descriptors, OS threads and gc-tracked objects."""
    gc.collect()
    with open("/proc/self/statm") as statm:
        resident_pages = int(statm.read().split()[1])
    return {
        "rss_kib": resident_pages * os.sysconf("SC_PAGE_SIZE") // 1024,
        "fds": len(os.listdir("/proc/self/fd")),
        "threads": len(os.listdir("/proc/self/task")),
        "objects": len(gc.get_objects()),
    }


def _quick_codex_env(tmp_path: Path) -> dict[str, str]:
    """Environment that halves codex 0.163's own time per turn: it builds a new HTTP client for every
    turn and loads the system's CA certificates each time; the fake model speaks plain HTTP."""
    no_ca = tmp_path / "no-ca.pem"
    no_ca.touch()
    return {"SSL_CERT_FILE": str(no_ca), "SSL_CERT_DIR": str(tmp_path)}


@pytest.mark.timeout(600)
def test_a_thousand_sequential_turns_leak_no_memory_descriptors_or_threads(
    model: FakeModel, tmp_path: Path
) -> None:
    # Ephemeral threads keep codex's rollout files out of the run time; a new thread every 100 turns keeps
    # the history codex re-sends short (and covers per-thread state too).
    with model.client(default_thread_params={"ephemeral": True}, env=_quick_codex_env(tmp_path)) as client:
        thread_id = None
        warm: dict[str, int] = {}
        for turn in range(TURNS):
            model.add(Reply.text(f"answer {turn}"))
            result = client.responses_create(
                prompt=f"turn {turn}", thread_id=thread_id if turn % 100 else None
            )
            assert (result.text, result.status) == (f"answer {turn}", "completed")
            thread_id = result.thread_id
            model.clear()  # the fake model records every request: forget them, they are in this process
            if turn + 1 == WARM_UP:
                warm = _usage()
        end = _usage()
        inner = client._async
        assert not inner._tasks and not inner._turns._ours  # no per-turn state left on the client
        assert not inner._router._threads
    print(f"\nsoak: {TURNS} turns; after {WARM_UP}: {warm}; at the end: {end}")
    # Small noise only: a leak of even 1 KiB per turn would show as ~1 MiB.
    assert end["rss_kib"] - warm["rss_kib"] < 4 * 1024
    assert end["fds"] <= warm["fds"] + 2  # the fake model's connections to codex may come and go
    assert end["threads"] <= warm["threads"] + 2  # and so may its connection threads
    assert end["objects"] < warm["objects"] * 1.02


def test_32_turns_at_once_on_one_async_client_each_get_their_own_answer(
    model: FakeModel, tmp_path: Path
) -> None:
    model.respond_with(lambda request: Reply.text(f"answer to {request.prompts[-1]}", deltas=4))

    async def main() -> list[Any]:
        async with model.async_client(env=_quick_codex_env(tmp_path)) as client:
            return await asyncio.gather(*(client.responses_create(prompt=f"q{i}") for i in range(32)))

    results = run_async(main(), timeout=150)
    assert [r.text for r in results] == [f"answer to q{i}" for i in range(32)]
    assert all(r.status == "completed" for r in results)
    assert len({r.thread_id for r in results}) == 32


def test_eight_python_threads_share_one_sync_client(model: FakeModel, tmp_path: Path) -> None:
    def answer(request: ModelRequest) -> Reply:
        return Reply.text(f"answer to {request.prompts[-1]}", deltas=3)

    model.respond_with(answer)
    per_thread = 4
    results: dict[int, list[str]] = {}
    failures: list[BaseException] = []

    def worker(client: FakeModelClient, index: int) -> None:
        try:
            thread_id = None
            texts = []
            for turn in range(per_thread):
                result = client.responses_create(prompt=f"w{index}-t{turn}", thread_id=thread_id)
                thread_id = result.thread_id
                texts.append(result.text)
            results[index] = texts
        except BaseException as exc:
            failures.append(exc)

    with model.client(env=_quick_codex_env(tmp_path)) as client:
        workers = [threading.Thread(target=worker, args=(client, i)) for i in range(8)]
        for thread in workers:
            thread.start()
        for thread in workers:
            thread.join(150)
    assert not failures, failures
    assert results == {i: [f"answer to w{i}-t{t}" for t in range(per_thread)] for i in range(8)}
