"""The typed protocol surface (``client.rpc``) and the seed's typed results, on the real binary."""

from __future__ import annotations

import asyncio
import base64
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from codex_python_sdk import (
    InvalidParamsError,
    MethodNotFoundError,
    ThreadNotFoundError,
    create_async_client,
    create_client,
)
from codex_python_sdk.protocol import AgentMessageThreadItem, CommandExecutionThreadItem
from codex_python_sdk.testing import FakeModel, Reply

pytestmark = pytest.mark.e2e


@pytest.fixture
def kwargs(fake_model: FakeModel) -> Iterator[dict[str, Any]]:
    with tempfile.TemporaryDirectory(prefix="codex-home-") as home:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("CODEX_", "OPENAI_"))}
        yield {
            "env": {**env, "CODEX_HOME": home, **fake_model.env()},
            "server_config_overrides": fake_model.config_overrides(),
            "process_cwd": home,
        }


def test_typed_rpc_calls_sync(fake_model: FakeModel, kwargs: dict[str, Any]) -> None:
    fake_model.add(Reply.text("hello"))
    target = Path(kwargs["process_cwd"], "note.txt")
    target.write_text("file-content\n")
    with create_client(**kwargs) as client:
        models = client.rpc.model_list()
        assert "gpt-5.5" in [m.id for m in models.data]
        assert models["data"][0]["id"] == models.data[0].id  # seed-style dict access works too
        read = client.rpc.fs_read_file(path=str(target))
        assert base64.b64decode(read.data_base64) == b"file-content\n"
        started = client.rpc.thread_start(cwd=kwargs["process_cwd"], approval_policy="never")
        assert started.approval_policy == "never"
        thread_id = started.thread.id
        result = client.responses_create(prompt="hi", thread_id=thread_id)
        assert result.text == "hello"
        thread = client.rpc.thread_read(thread_id=thread_id, include_turns=True).thread
        assert [t.status for t in thread.turns] == ["completed"]
        config = client.rpc.config_read()
        assert config.config["model"] == "gpt-5.5"
        listing = client.rpc.thread_list(limit=10)
        assert thread_id in [t.id for t in listing.data]
        raw = client.request("model/list", {"limit": 1})
        assert isinstance(raw, dict) and len(raw["data"]) == 1


def test_typed_rpc_calls_async_and_typed_errors(fake_model: FakeModel, kwargs: dict[str, Any]) -> None:
    async def main() -> None:
        async with create_async_client(**kwargs) as client:
            features = await client.rpc.experimental_feature_list()
            assert any(f.name == "guardian_approval" for f in features.data)
            result = await client.rpc.command_exec(command=["sh", "-c", "echo out; echo err >&2; exit 3"])
            assert (result.exit_code, result.stdout, result.stderr) == (3, "out\n", "err\n")
            with pytest.raises(ThreadNotFoundError):
                await client.rpc.thread_read(thread_id="00000000-0000-0000-0000-000000000000")
            with pytest.raises(MethodNotFoundError):
                await client.request("thread/doesNotExist", {})
            with pytest.raises(InvalidParamsError):
                await client.request("thread/read", {})
            # The seed's removed method is rebuilt on thread/revert; the dropped remote-skills API says why.
            with pytest.raises(MethodNotFoundError, match="removed"):
                await client.skills_remote_list()

    asyncio.run(main())


def test_seed_methods_return_typed_results(fake_model: FakeModel, kwargs: dict[str, Any]) -> None:
    fake_model.add(Reply.text("one"), Reply.text("two"))
    with create_client(**kwargs) as client:
        first = client.responses_create(prompt="first")
        client.responses_create(prompt="second", thread_id=first.thread_id)
        thread = client.thread_read(first.thread_id, include_turns=True)
        assert thread["id"] == thread.id == first.thread_id
        assert len(thread.turns) == 2
        client.thread_rollback(first.thread_id, 1)
        assert len(client.thread_read(first.thread_id, include_turns=True).turns) == 1
        page = client.thread_list(limit=1)
        assert len(page) == 1 and page[0].id == first.thread_id
        assert client.model_list()["data"]


def test_agent_response_items_are_available_typed(fake_model: FakeModel, kwargs: dict[str, Any]) -> None:
    shell = Reply.shell("echo typed")
    fake_model.add(shell, Reply.text("done"))
    with create_client(**kwargs, default_thread_params={"approvalPolicy": "never"}) as client:
        result = client.responses_create(prompt="run it")
    kinds = [type(item).__name__ for item in result.typed_items]
    assert "CommandExecutionThreadItem" in kinds and kinds[-1] == "AgentMessageThreadItem"
    command = next(i for i in result.typed_items if isinstance(i, CommandExecutionThreadItem))
    assert command.exit_code == 0 and "typed" in (command.aggregated_output or "")
    last = result.typed_items[-1]
    assert isinstance(last, AgentMessageThreadItem) and last.text == "done"
