"""Whatever a hook, engine or tool does, the request is answered once, fail-closed, and the failure is
recorded with the hook's name."""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from typing import Any

import pytest

from codex_python_sdk import HookError, RequestContext, tool
from codex_python_sdk.protocol import CommandExecutionRequestApprovalResponse

from .test_server_requests import APPROVAL, PARAMS, _answer, _ask

_forever = threading.Event()  # never set: a sync hook waiting on it never returns


def _raise_timeout(params: Any) -> Any:
    raise TimeoutError("the web call timed out")


async def _async_raise_timeout(params: Any) -> Any:
    raise TimeoutError("the web call timed out")


def _sync_interrupt(params: Any) -> Any:
    raise KeyboardInterrupt


async def _async_interrupt(params: Any) -> Any:
    raise KeyboardInterrupt


def _system_exit(params: Any) -> Any:
    raise SystemExit(3)


def _garbage(params: Any) -> Any:
    return object()


def _nothing(params: Any) -> Any:
    return None


def _hangs_sync(params: Any) -> Any:
    _forever.wait()


async def _hangs_async_ignoring_cancel(params: Any) -> Any:
    # A badly written hook swallows the first cancel (asyncio.wait_for would wait for it)...
    with contextlib.suppress(asyncio.CancelledError):
        await asyncio.sleep(3600)
    await asyncio.sleep(3600)  # ...and only the second one (closing the client) stops it


async def _cancels_itself(params: Any) -> Any:
    raise asyncio.CancelledError


@pytest.mark.parametrize(
    ("hook", "error_type"),
    [
        (_raise_timeout, TimeoutError),
        (_async_raise_timeout, TimeoutError),
        (_sync_interrupt, KeyboardInterrupt),
        (_async_interrupt, KeyboardInterrupt),
        (_system_exit, SystemExit),
        (_garbage, ValueError),
        (_nothing, ValueError),
        (_hangs_sync, TimeoutError),
        (_hangs_async_ignoring_cancel, TimeoutError),
        (_cancels_itself, asyncio.CancelledError),
    ],
    ids=lambda v: getattr(v, "__name__", ""),
)
@pytest.mark.parametrize("approval_timeout", [None, 0.3])
def test_any_misbehaving_hook_gets_exactly_one_fail_closed_answer(
    server: Any, make_client: Any, run: Any, hook: Any, error_type: type[BaseException], approval_timeout: Any
) -> None:
    if hook in (_hangs_sync, _hangs_async_ignoring_cancel) and approval_timeout is None:
        pytest.skip("without a timeout a hook that never returns is waited for (by choice)")
    reported: list[HookError] = []

    async def main() -> None:
        async with make_client(
            on_command_approval=hook, on_hook_error=reported.append, approval_timeout=approval_timeout
        ) as client:
            started = time.monotonic()
            _ask(server, 3, APPROVAL)
            answer = await _answer(server, 3)
            assert time.monotonic() - started < 5
            assert answer == {"id": 3, "result": {"decision": "decline"}}
            await asyncio.sleep(0.1)
            assert [m for m in server.responses() if m.get("id") == 3] == [answer]  # exactly once
            (record,) = client.hook_errors
            assert reported == [record]
            assert isinstance(record.error, error_type) and record.hook == "on_command_approval"
            assert record.context.request_id == 3 and record.answered_with == {"decision": "decline"}
            # The client is fine afterwards.
            assert (await client.responses_create(prompt="hi")).text == "ok"

    run(main())


def test_a_failing_policy_engine_is_named_in_the_record(server: Any, make_client: Any, run: Any) -> None:
    class Engine:
        def on_command_approval(self, params: Any, context: RequestContext) -> Any:
            raise RuntimeError("rules file missing")

    async def main() -> None:
        async with make_client(policy_engine=Engine()) as client:
            _ask(server, 0, APPROVAL)
            assert (await _answer(server, 0))["result"] == {"decision": "decline"}
            (record,) = client.hook_errors
            assert record.hook == "policy_engine.on_command_approval"

    run(main())


def test_the_context_is_passed_only_when_the_hook_asks_for_it(
    server: Any, make_client: Any, run: Any
) -> None:
    seen: dict[str, Any] = {}

    def defaulted(params: Any, extra: str = "default") -> Any:
        seen["defaulted"] = extra
        return "accept"

    def named(params: Any, context: RequestContext) -> Any:
        seen["named"] = context
        return "accept"

    def keyword(params: Any, *, context: RequestContext | None = None) -> Any:
        seen["keyword"] = context
        return "accept"

    def positional(params: Any, ctx: RequestContext, /) -> Any:
        seen["positional"] = ctx
        return "accept"

    async def main() -> None:
        for rid, hook in enumerate((defaulted, named, keyword, positional)):
            async with make_client(on_command_approval=hook):
                _ask(server, rid, APPROVAL)
                assert (await _answer(server, rid))["result"] == {"decision": "accept"}

    run(main())
    assert seen["defaulted"] == "default"  # not silently replaced by the context
    for name in ("named", "keyword", "positional"):
        assert isinstance(seen[name], RequestContext) and seen[name].thread_id == "thread-1"
        assert seen[name].kind == seen[name].request_type == "command"


@pytest.mark.parametrize(
    "answer",
    ["acceptForSession", CommandExecutionRequestApprovalResponse(decision="acceptForSession")],
    ids=["bare decision", "response model"],
)
def test_typed_answers_are_sent_in_wire_form(server: Any, make_client: Any, run: Any, answer: Any) -> None:
    async def main() -> None:
        async with make_client(on_command_approval=lambda params: answer):
            _ask(server, 0, APPROVAL)
            assert (await _answer(server, 0))["result"] == {"decision": "acceptForSession"}

    run(main())


def test_slow_approval_hooks_do_not_starve_python_tools(server: Any, make_client: Any, run: Any) -> None:
    release = threading.Event()

    def slow_human(params: Any) -> Any:
        release.wait(10)
        return "accept"

    @tool
    def get_weather(city: str) -> str:
        """Weather of a city."""
        return f"sunny in {city}"

    async def main() -> None:
        async with make_client(on_command_approval=slow_human, hook_workers=2, tools=[get_weather]) as client:
            for rid in range(3):  # more blocked approvals than hook threads
                _ask(server, rid, APPROVAL, {**PARAMS[APPROVAL], "itemId": f"c{rid}"})
            await asyncio.sleep(0.1)
            _ask(server, 10, "item/tool/call")
            tool_answer = await _answer(server, 10, timeout=3)
            assert tool_answer["result"]["success"] is True
            assert "sunny in Paris" in str(tool_answer["result"]["contentItems"])
            assert not [m for m in server.responses() if m.get("id") in (0, 1, 2)]  # still deciding
            assert client._hook_runner.threads <= 2  # bounded
            release.set()
            for rid in range(3):
                assert (await _answer(server, rid))["result"] == {"decision": "accept"}

    run(main())


def test_closing_the_client_releases_the_hook_threads(server: Any, make_client: Any, run: Any) -> None:
    def hook(params: Any) -> Any:
        return "accept"

    async def main() -> Any:
        async with make_client(on_command_approval=hook) as client:
            _ask(server, 0, APPROVAL)
            await _answer(server, 0)
            assert client._hook_runner.threads == 1
        return client

    client = run(main())
    deadline = time.monotonic() + 5
    while client._hook_runner.threads and time.monotonic() < deadline:
        time.sleep(0.01)
    assert client._hook_runner.threads == 0
