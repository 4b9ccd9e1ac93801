"""The app-server killed at each phase: every waiting caller hears of it at once, nothing is left behind.

``SIGKILL`` (the OOM killer, a crash) before ``initialize`` is answered, while ``initialize`` is in flight,
while requests and turns wait, and while a hook is deciding an approval. Each time every caller waiting on
the client gets :class:`AppServerConnectionError` within a few seconds (not the 120 s request timeout),
later calls get :class:`ClientClosedError`, the process is reaped, nothing it started still runs, and after
``close()`` no SDK thread is left. Processes are read from /proc (psutil is not a dependency).
"""

from __future__ import annotations

import asyncio
import os
import signal
import threading
import time
from collections.abc import Callable
from typing import Any

import pytest

from codex_python_sdk import AppServerConnectionError, ClientClosedError, create_async_client
from codex_python_sdk.testing import FakeModel, ModelRequest, Reply

from .conftest import (
    PROMPTLY,
    app_server_pid,
    async_wait_until,
    descendants,
    gone,
    run_async,
    running,
    sdk_threads,
    wait_until,
)

pytestmark = pytest.mark.e2e


def _hang_every_request(request: ModelRequest) -> Reply:
    return Reply.text("a partial answer", deltas=3).hang(after=3)


def _command_running(pid: int, argv0: str) -> bool:
    for child in descendants(pid):
        try:
            with open(f"/proc/{child}/cmdline", "rb") as cmdline:
                if cmdline.read().split(b"\0", 1)[0] == argv0.encode():
                    return True
        except OSError:
            continue
    return False


def _left_running(pid: int, children: set[int]) -> list[int]:
    """What still runs of the app-server and what it started (it must have been reaped, too)."""
    return [p for p in children if running(p)] + ([] if gone(pid) else [pid])


# -- before and during initialize ----------------------------------------------------------------------
@pytest.mark.parametrize("phase", ["spawned", "initialize-sent"])
def test_killed_before_initialize_every_waiting_caller_gets_a_connection_error(
    model: FakeModel, monkeypatch: pytest.MonkeyPatch, phase: str
) -> None:
    async def main() -> None:
        with model.home() as home:
            client = create_async_client(**home.client_kwargs())  # spawns codex at once
            pid = app_server_pid(client)
            if phase == "spawned":
                os.kill(pid, signal.SIGKILL)
            else:
                transport = client._transport
                assert transport is not None
                send = transport.send

                def send_then_kill(data: bytes) -> None:
                    send(data)
                    if b'"initialize"' in data:
                        os.kill(pid, signal.SIGKILL)

                monkeypatch.setattr(transport, "send", send_then_kill)
            started = time.monotonic()
            # Three callers arrive before the client has connected: they all wait for the same connect.
            results = await asyncio.gather(
                client.model_list(),
                client.responses_create(prompt="hi"),
                client.thread_list(),
                return_exceptions=True,
            )
            assert time.monotonic() - started < PROMPTLY
            assert all(isinstance(r, AppServerConnectionError) for r in results), results
            assert any("failed to start" in str(r) for r in results)
            with pytest.raises(ClientClosedError, match="create a new client"):
                await client.model_list()
            await client.close()
            await async_wait_until(lambda: gone(pid), what="the app-server to be reaped")

    run_async(main())


# -- mid-request and mid-turn --------------------------------------------------------------------------
def test_killed_mid_request_and_mid_turn_every_sync_caller_hears_at_once(model: FakeModel) -> None:
    model.respond_with(_hang_every_request)
    threads_before = sdk_threads()
    client = model.client()
    client.connect()
    pid = app_server_pid(client)
    outcomes: dict[str, object] = {}

    def consume(stream: Any) -> list[Any]:
        return list(stream)

    calls: dict[str, Callable[[], object]] = {
        "command_exec": lambda: client.command_exec(["sleep", "30"]),
        "responses_create": lambda: client.responses_create(prompt="work"),
        "responses_events": lambda: consume(client.responses_events(prompt="stream")),
        "notifications": lambda: consume(client.notifications()),
    }

    def call(name: str) -> None:
        try:
            outcomes[name] = calls[name]()
        except BaseException as exc:
            outcomes[name] = exc

    workers = [threading.Thread(target=call, args=(name,), name=f"caller-{name}") for name in calls]
    for worker in workers:
        worker.start()
    model.wait_for_requests(2)  # both turns are waiting on the model
    wait_until(lambda: _command_running(pid, "sleep"), timeout=30, what="the command to run")
    children = descendants(pid)
    os.kill(pid, signal.SIGKILL)
    killed = time.monotonic()
    for worker in workers:
        worker.join(PROMPTLY)
    assert time.monotonic() - killed < PROMPTLY
    assert not [w.name for w in workers if w.is_alive()]
    for name, outcome in outcomes.items():
        assert isinstance(outcome, AppServerConnectionError), (name, outcome)
        assert "exited" in str(outcome)
    for later in (lambda: client.model_list(), lambda: client.responses_create(prompt="again")):
        with pytest.raises(ClientClosedError):
            later()
    wait_until(lambda: not _left_running(pid, children), what="the app-server and its children to end")
    client.close()
    wait_until(lambda: sdk_threads() == threads_before, what="the SDK's threads to end")


def test_killed_mid_turn_every_async_caller_hears_at_once(model: FakeModel) -> None:
    model.respond_with(_hang_every_request)

    async def main() -> None:
        async with model.async_client() as client:
            pid = app_server_pid(client)

            async def consume(stream: Any) -> list[Any]:
                return [item async for item in stream]

            tasks = [
                asyncio.create_task(client.command_exec(["sleep", "30"])),
                asyncio.create_task(client.responses_create(prompt="work")),
                asyncio.create_task(consume(client.responses_events(prompt="stream"))),
                asyncio.create_task(consume(client.notifications())),
            ]
            await asyncio.to_thread(model.wait_for_requests, 2)
            await async_wait_until(lambda: _command_running(pid, "sleep"), timeout=30)
            children = descendants(pid)
            os.kill(pid, signal.SIGKILL)
            done, pending = await asyncio.wait(tasks, timeout=PROMPTLY)
            assert not pending
            for task in done:
                assert isinstance(task.exception(), AppServerConnectionError), task
            with pytest.raises(ClientClosedError):
                await client.thread_list()
            await async_wait_until(lambda: not _left_running(pid, children))

    run_async(main())


# -- while a hook decides ------------------------------------------------------------------------------
def test_killed_while_a_hook_decides_the_caller_hears_at_once_and_the_hook_thread_ends(
    model: FakeModel,
) -> None:
    model.add(Reply.shell("touch decided.txt", escalated=True), Reply.text("done"))
    deciding = threading.Event()
    decide = threading.Event()
    answered: list[str] = []

    def slow_human(params: Any) -> Any:
        deciding.set()
        decide.wait(30)
        answered.append("accept")
        return {"decision": "accept"}

    threads_before = sdk_threads()
    client = model.client(
        on_command_approval=slow_human,
        default_thread_params={"approvalPolicy": "on-request", "sandbox": "read-only"},
    )
    client.connect()
    pid = app_server_pid(client)
    outcome: list[BaseException] = []

    def work() -> None:
        try:
            client.responses_create(prompt="write it")
        except BaseException as exc:
            outcome.append(exc)

    worker = threading.Thread(target=work)
    worker.start()
    assert deciding.wait(30)
    os.kill(pid, signal.SIGKILL)
    worker.join(PROMPTLY)
    assert not worker.is_alive()
    assert len(outcome) == 1 and isinstance(outcome[0], AppServerConnectionError)
    decide.set()  # the human answers after all: the answer has nowhere to go, and that is fine
    wait_until(lambda: answered == ["accept"])
    with pytest.raises(ClientClosedError):
        client.responses_create(prompt="again")
    client.close()
    wait_until(lambda: sdk_threads() == threads_before, what="the hook's thread to end")
    assert gone(pid)
    assert not (client.workspace / "decided.txt").exists()
