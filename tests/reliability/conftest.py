"""Helpers of the end-to-end reliability tests (real ``codex app-server``, scripted fake model).

One fake model and one sync client per test module where tests can share them (each test works on its
own threads), and the checks every test here needs: that something happened *promptly* (seconds, not
the 120 s request timeout), that no process or SDK thread is left behind, and how a turn ended on the
server. Processes and threads are read from ``/proc`` and ``threading``: psutil is not a dependency.
"""

from __future__ import annotations

import asyncio
import os
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from codex_python_sdk import AsyncCodexAgenticClient, CodexAgenticClient
from codex_python_sdk._client._options import HOOK_NAMES
from codex_python_sdk.testing import FakeModel, FakeModelClient

PROMPTLY = 5.0
"""Seconds: what "promptly" means on a loaded 2-core machine, far below the 120 s request timeout."""

SDK_THREAD_PREFIXES = ("codex-python-sdk-loop", "codex-sdk-hook", "codex-sdk-tool", "codex-app-server-waiter")
"""Names of the threads the SDK starts (its loop thread, hook and tool workers, the exit waiter)."""


def wait_until(predicate: Callable[[], object], timeout: float = PROMPTLY, what: str = "condition") -> None:
    """Poll ``predicate`` until it holds; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")
        time.sleep(0.02)


async def async_wait_until(
    predicate: Callable[[], object], timeout: float = PROMPTLY, what: str = "condition"
) -> None:
    """:func:`wait_until` for a coroutine (lets the loop run between polls)."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")
        await asyncio.sleep(0.02)


def app_server_pid(client: AsyncCodexAgenticClient | CodexAgenticClient) -> int:
    """The pid of the client's app-server process."""
    inner = client._async if isinstance(client, CodexAgenticClient) else client
    pid = getattr(inner._transport, "pid", None)
    assert isinstance(pid, int), "the client has no app-server process yet"
    return pid


def gone(pid: int) -> bool:
    """True when ``pid`` has exited *and* been reaped (a zombie still counts as left behind)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


def running(pid: int) -> bool:
    """True while ``pid`` runs: a zombie (dead, waiting for its parent to reap it) does not run."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as stat:
            return stat.read().rsplit(b")", 1)[1].split()[0] != b"Z"
    except OSError:
        return False


def descendants(pid: int) -> set[int]:
    """Every live process below ``pid`` (children, grandchildren ...), read from /proc."""
    parents: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as stat:
                # The command name may hold spaces and parentheses: the fields start after the last ")".
                fields = stat.read().rsplit(b")", 1)[1].split()
        except OSError:  # exited while we looked
            continue
        parents.setdefault(int(fields[1]), []).append(int(entry))
    found: set[int] = set()
    todo = [pid]
    while todo:
        for child in parents.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def sdk_threads() -> list[str]:
    """Names of the SDK's threads alive now."""
    return sorted(t.name for t in threading.enumerate() if t.name.startswith(SDK_THREAD_PREFIXES))


def turn_statuses(client: CodexAgenticClient, thread_id: str) -> list[str]:
    """The status of every turn of a thread, as the server reports it (``thread/read``)."""
    thread = client.thread_read(thread_id, include_turns=True)
    return [str(turn["status"]) for turn in thread["turns"]]


async def async_turn_statuses(client: AsyncCodexAgenticClient, thread_id: str) -> list[str]:
    """:func:`turn_statuses` for the async client."""
    thread = await client.thread_read(thread_id, include_turns=True)
    return [str(turn["status"]) for turn in thread["turns"]]


def run_async(coro: Any, timeout: float = 90.0) -> Any:
    """Run a test's coroutine in a fresh loop; a hang fails the test instead of stalling the run."""

    async def bounded() -> Any:
        return await asyncio.wait_for(coro, timeout)

    return asyncio.run(bounded())


@pytest.fixture(scope="module")
def module_model() -> Iterator[FakeModel]:
    """One fake model per module (retries off)."""
    with FakeModel() as model:
        yield model


@pytest.fixture(scope="module")
def module_client(module_model: FakeModel) -> Iterator[FakeModelClient]:
    """One app-server per module, for the tests that can share it."""
    with module_model.client() as client:
        yield client


@pytest.fixture
def model(module_model: FakeModel) -> Iterator[FakeModel]:
    """The module's fake model, cleared before and after the test; hanging replies are released after."""
    module_model.clear()
    yield module_model
    module_model.release_all()
    module_model.clear()


@pytest.fixture
def client(module_client: FakeModelClient, model: FakeModel) -> Iterator[FakeModelClient]:
    """The module's sync client, with no hooks before and after the test."""
    for name in HOOK_NAMES:
        setattr(module_client, name, None)
    yield module_client
    for name in HOOK_NAMES:
        setattr(module_client, name, None)
