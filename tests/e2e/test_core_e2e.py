"""The core client against the real codex app-server and the scripted fake model."""

from __future__ import annotations

import asyncio
import os
import signal
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from codex_python_sdk import (
    AppServerConnectionError,
    AsyncCodexAgenticClient,
    ClientClosedError,
    StdioTransport,
    create_async_client,
    create_client,
)
from codex_python_sdk.testing import FakeModel, ModelRequest, Reply

pytestmark = pytest.mark.e2e


@pytest.fixture
def home() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="codex-home-") as tmp:
        yield Path(tmp)


def app_server_pid(client: AsyncCodexAgenticClient) -> int:
    transport = client._conn.transport if client._conn is not None else None
    assert isinstance(transport, StdioTransport) and transport.pid is not None
    return transport.pid


def client_kwargs(model: FakeModel, home: Path, **extra: Any) -> dict[str, Any]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CODEX_", "OPENAI_"))}
    workspace = home / "work"
    workspace.mkdir(exist_ok=True)
    return {
        "env": {**env, "CODEX_HOME": str(home), **model.env()},
        "server_config_overrides": model.config_overrides(),
        "process_cwd": str(workspace),
        **extra,
    }


def test_sync_quick_start_gets_the_scripted_answer(fake_model: FakeModel, home: Path) -> None:
    fake_model.add(Reply.text("READY", deltas=3))
    with create_client(**client_kwargs(fake_model, home)) as client:
        result = client.responses_create(prompt="Reply with exactly: READY")
        assert client.user_agent and "0.163.0" in client.user_agent
    assert result.text == "READY"
    assert result.status == "completed"
    assert result.session_id == result.thread_id
    assert result.usage is not None and result.usage["total"]["totalTokens"] == 15
    assert fake_model.last_request.prompts[-1] == "Reply with exactly: READY"


def test_async_quick_start_and_streamed_deltas(fake_model: FakeModel, home: Path) -> None:
    fake_model.add(Reply.text("ASYNC_READY"))
    text = "".join(f"chunk{i} " for i in range(50))
    fake_model.add(Reply.text(text, deltas=50))

    async def main() -> tuple[str, list[str]]:
        async with create_async_client(**client_kwargs(fake_model, home)) as client:
            first = await client.responses_create(prompt="Reply with exactly: ASYNC_READY")
            chunks = [
                c async for c in client.responses_stream_text(prompt="stream", thread_id=first.thread_id)
            ]
            return first.text, chunks

    first, chunks = asyncio.run(main())
    assert first == "ASYNC_READY"
    assert len(chunks) == 50 and "".join(chunks) == text


def test_twelve_turns_on_one_async_client_run_concurrently(fake_model: FakeModel, home: Path) -> None:
    # The model answers nobody until all twelve turns are waiting on it: turns run one after another
    # would break the barrier (timeout) instead of passing.
    barrier = threading.Barrier(12, timeout=60)

    def answer(request: ModelRequest) -> Reply:
        barrier.wait()
        return Reply.text(f"answer to {request.prompts[-1]}")

    fake_model.respond_with(answer)

    async def main() -> list[Any]:
        async with create_async_client(**client_kwargs(fake_model, home)) as client:
            return await asyncio.gather(*(client.responses_create(prompt=f"q{i}") for i in range(12)))

    results = asyncio.run(main())
    assert [r.text for r in results] == [f"answer to q{i}" for i in range(12)]
    assert len({r.thread_id for r in results}) == 12


def test_interrupt_from_a_second_thread_stops_a_running_responses_create(
    fake_model: FakeModel, home: Path
) -> None:
    hanging = Reply.text("never finishes").hang(after=3)
    fake_model.add(hanging)
    with create_client(**client_kwargs(fake_model, home)) as client:
        thread = client.thread_start()
        thread_id = thread["thread"]["id"]
        turn_ids: list[str] = []

        def interrupter() -> None:
            assert hanging.wait_until_hanging(20)
            turns = client.thread_read(thread_id, include_turns=True)["turns"]
            turn_ids.append(turns[-1]["id"])
            client.turn_interrupt(thread_id, turns[-1]["id"])

        worker = threading.Thread(target=interrupter)
        worker.start()
        result = client.responses_create(prompt="long task", thread_id=thread_id)
        worker.join(10)
    fake_model.release_all()
    assert result.status == "interrupted"
    assert result.turn_id == turn_ids[0]


def _kill_when_hanging(client_pid: int, reply: Reply, killed_at: list[float]) -> threading.Thread:
    def kill() -> None:
        assert reply.wait_until_hanging(20)
        killed_at.append(time.monotonic())
        os.kill(client_pid, signal.SIGKILL)

    thread = threading.Thread(target=kill)
    thread.start()
    return thread


def test_killing_the_app_server_mid_turn_raises_within_a_second_sync(
    fake_model: FakeModel, home: Path
) -> None:
    hanging = Reply.text("partial").hang(after=3)
    fake_model.add(hanging)
    with create_client(**client_kwargs(fake_model, home)) as client:
        killed_at: list[float] = []
        killer = _kill_when_hanging(app_server_pid(client._async), hanging, killed_at)
        with pytest.raises(AppServerConnectionError) as info:
            client.responses_create(prompt="work")
        raised_at = time.monotonic()
        killer.join()
        assert raised_at - killed_at[0] < 1.0
        assert "exited" in str(info.value)
        with pytest.raises(ClientClosedError):
            client.model_list()
    fake_model.release_all()


def test_killing_the_app_server_mid_turn_raises_within_a_second_async(
    fake_model: FakeModel, home: Path
) -> None:
    hanging = Reply.text("partial").hang(after=3)
    fake_model.add(hanging)

    async def main() -> float:
        async with AsyncCodexAgenticClient(**client_kwargs(fake_model, home)) as client:
            task = asyncio.ensure_future(client.responses_create(prompt="work"))
            while not hanging.wait_until_hanging(0):
                await asyncio.sleep(0.02)
            pid = app_server_pid(client)
            os.kill(pid, signal.SIGKILL)
            killed = time.monotonic()
            with pytest.raises(AppServerConnectionError):
                await task
            return time.monotonic() - killed

    assert asyncio.run(main()) < 1.0
    fake_model.release_all()


def test_a_one_megabyte_reply_arrives_whole(fake_model: FakeModel, home: Path) -> None:
    big = "".join(f"{i:07d}," for i in range(131_072))  # 1 MiB
    fake_model.add(Reply.text(big, deltas=16))
    with create_client(**client_kwargs(fake_model, home)) as client:
        result = client.responses_create(prompt="big")
    assert len(result.text) == len(big) and result.text == big


def test_closing_the_client_reaps_the_app_server(fake_model: FakeModel, home: Path) -> None:
    fake_model.add(Reply.text("ok"))
    client = create_client(**client_kwargs(fake_model, home))
    client.responses_create(prompt="x")
    pid = app_server_pid(client._async)
    client.close()
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)  # gone and reaped: no zombie left behind


def test_closing_an_unused_client_stops_its_app_server(fake_model: FakeModel, home: Path) -> None:
    client = create_client(**client_kwargs(fake_model, home))
    transport = client._async._transport
    assert isinstance(transport, StdioTransport) and transport.pid is not None
    client.close()
    with pytest.raises(ProcessLookupError):
        os.kill(transport.pid, 0)
