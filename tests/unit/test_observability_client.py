"""Budgets, usage and spans through the async client, against the in-memory app-server (no process).

The end-to-end tests (tests/e2e/test_observability_e2e.py) prove the same against codex and the
FakeModel; these are fast and pin down what the client itself does: the watch is only made for a turn
with a budget or a trace (and deltas never reach the ledger), a fail-closed answer is an approval span
saying so, a turn stopped by a budget is interrupted on the server and the thread takes the next turn.
"""

from __future__ import annotations

import asyncio
import pickle
from typing import Any

import pytest
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import StatusCode

from codex_python_sdk import Budget, BudgetExceededError, Usage
from codex_python_sdk._client import _ledger, _usage, _watch
from codex_python_sdk._client._async import _WATCHED

from .conftest import FakeAppServer

APPROVAL = "item/commandExecution/requestApproval"


def in_memory() -> tuple[TracerProvider, InMemorySpanExporter]:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    return provider, exporter


def by_name(exporter: InMemorySpanExporter) -> dict[str, ReadableSpan]:
    return {span.name: span for span in exporter.get_finished_spans()}


def token_usage(server: FakeAppServer, thread_id: str, turn_id: str, total: int, last: int) -> None:
    """A ``thread/tokenUsage/updated`` report: all tokens are input tokens, for simplicity."""

    def breakdown(n: int) -> dict[str, int]:
        return {
            "totalTokens": n,
            "inputTokens": n,
            "cachedInputTokens": 0,
            "cacheWriteInputTokens": 0,
            "outputTokens": 0,
            "reasoningOutputTokens": 0,
        }

    server.notify(
        "thread/tokenUsage/updated",
        {
            "threadId": thread_id,
            "turnId": turn_id,
            "tokenUsage": {"total": breakdown(total), "last": breakdown(last), "modelContextWindow": None},
        },
    )


def command_turn(server: FakeAppServer, thread_id: str, turn_id: str) -> None:
    """A turn whose command asks for approval; the command ends when the answer arrives."""
    base = {"threadId": thread_id, "turnId": turn_id}
    server.notify("turn/started", {"threadId": thread_id, "turn": {"id": turn_id, "status": "inProgress"}})
    item = {"type": "commandExecution", "id": "c1", "command": "rm -rf /", "cwd": "/", "status": "inProgress"}
    server.notify("item/started", {**base, "item": item})
    server.server_request(90, APPROVAL, {**base, "itemId": "c1", "command": "rm -rf /", "cwd": "/"})

    async def rest() -> None:
        await server.settle(lambda: any(m.get("id") == 90 for m in server.responses()))
        server.notify("item/completed", {**base, "item": {**item, "status": "declined"}})
        token_usage(server, thread_id, turn_id, 30, 30)
        server.agent_message(thread_id, turn_id, "not allowed")
        server.complete(thread_id, turn_id)

    asyncio.get_running_loop().create_task(rest())


# -- nothing to pay without budget or trace ------------------------------------------------------------
def test_deltas_never_reach_the_ledger() -> None:
    assert not {m for m in _WATCHED if m.endswith("/delta")}
    assert _usage.OBSERVED <= _WATCHED


def test_a_client_without_budget_or_tracer_makes_no_watch(
    server: FakeAppServer, make_client: Any, run: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_watch(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("a turn without budget or trace must not be watched")

    monkeypatch.setattr(_watch, "TurnWatch", no_watch)
    seen: list[str] = []
    observe = _ledger.UsageLedger.notification

    def spy(self: _ledger.UsageLedger, method: str, *args: Any) -> None:
        seen.append(method)
        observe(self, method, *args)

    monkeypatch.setattr(_ledger.UsageLedger, "notification", spy)

    def turn(server: FakeAppServer, thread_id: str, turn_id: str) -> None:
        server.agent_message(thread_id, turn_id, "a b c d e f", deltas=6)
        token_usage(server, thread_id, turn_id, 15, 15)
        server.complete(thread_id, turn_id)

    server.turn_script = turn

    async def main() -> tuple[Any, Usage]:
        async with make_client() as client:
            result = await client.responses_create(prompt="hi")
            return result, client.usage

    result, total = run(main())
    assert result.text == "a b c d e f"
    assert seen == ["item/started", "item/completed", "thread/tokenUsage/updated"]  # no delta
    assert result.turn_usage == total == Usage(input_tokens=15, total_tokens=15)


# -- spans through the client ----------------------------------------------------------------------------
def test_a_fail_closed_answer_is_an_approval_span_that_says_so(
    server: FakeAppServer, make_client: Any, run: Any
) -> None:
    provider, exporter = in_memory()
    server.turn_script = command_turn

    async def main() -> Any:
        async with make_client(tracer_provider=provider) as client:
            return await client.responses_create(prompt="clean up")

    result = run(main())
    spans = by_name(exporter)
    turn, command = spans["invoke_agent codex"], spans["execute_tool shell"]
    approval = spans["approval command"]
    assert dict(turn.attributes or {})["gen_ai.conversation.id"] == result.thread_id
    assert dict(turn.attributes or {})["gen_ai.usage.input_tokens"] == 30
    assert approval.parent is not None and approval.parent.span_id == command.context.span_id
    assert dict(approval.attributes or {}) == {
        "codex.approval.kind": "command",
        "codex.approval.decision": "decline",
        "codex.approval.decided_by": "fail_closed",  # no hook, no engine
        "gen_ai.tool.call.id": "c1",
    }
    assert dict(command.attributes or {})["error.type"] == "declined"
    assert command.status.status_code is StatusCode.ERROR


def test_a_failing_hook_is_named_on_its_fail_closed_approval_span(
    server: FakeAppServer, make_client: Any, run: Any
) -> None:
    provider, exporter = in_memory()
    server.turn_script = command_turn

    def broken(params: Any) -> str:
        raise RuntimeError("hook bug")

    async def main() -> None:
        async with make_client(tracer_provider=provider, on_command_approval=broken) as client:
            await client.responses_create(prompt="clean up")

    run(main())
    attributes = dict(by_name(exporter)["approval command"].attributes or {})
    assert attributes["codex.approval.decided_by"] == "fail_closed"
    assert attributes["codex.approval.hook"] == "on_command_approval"


def test_the_async_clients_turn_span_is_a_child_of_the_callers_span(
    server: FakeAppServer, make_client: Any, run: Any
) -> None:
    provider, exporter = in_memory()

    async def main() -> int:
        async with make_client(tracer_provider=provider) as client:
            with provider.get_tracer("app").start_as_current_span("handle request") as caller:
                events = [event.type async for event in client.responses_events(prompt="hi")]
                assert events[-1] == "turn/completed"
            return caller.get_span_context().span_id

    caller_id = run(main())
    turn = by_name(exporter)["invoke_agent codex"]
    assert turn.parent is not None and turn.parent.span_id == caller_id
    assert dict(turn.attributes or {})["codex.turn.status"] == "completed"


# -- budgets through the client --------------------------------------------------------------------------
def test_max_seconds_interrupts_the_turn_and_the_thread_takes_the_next(
    server: FakeAppServer, make_client: Any, run: Any
) -> None:
    def partial_then_hang(server: FakeAppServer, thread_id: str, turn_id: str) -> None:
        server.agent_message(thread_id, turn_id, "so far")
        token_usage(server, thread_id, turn_id, 12, 12)

    server.turn_script = partial_then_hang

    async def main() -> tuple[BudgetExceededError, Any, Usage, Usage | None]:
        async with make_client() as client:
            with pytest.raises(BudgetExceededError) as caught:
                await client.responses_create(prompt="go", budget=Budget(max_seconds_per_turn=0.2))
            server.turn_script = FakeAppServer.simple_turn
            again = await client.responses_create(prompt="again", thread_id=caught.value.thread_id)
            return caught.value, again, client.usage, client.thread_usage(again.thread_id)

    error, again, total, thread_total = run(main())
    assert (error.budget, error.limit) == ("max_seconds_per_turn", 0.2)
    assert 0.2 <= error.used < 2
    assert error.usage == Usage(input_tokens=12, total_tokens=12)
    assert error.response is not None and error.response.text == "so far"
    assert error.response.status == "interrupted"
    assert server.sent("turn/interrupt") == [{"threadId": error.thread_id, "turnId": error.turn_id}]
    assert again.text == "ok" and again.thread_id == error.thread_id
    assert total == thread_total == Usage(input_tokens=12, total_tokens=12)


def test_max_tokens_per_call_stops_at_the_report_that_crosses_it(
    server: FakeAppServer, make_client: Any, run: Any
) -> None:
    def runaway(server: FakeAppServer, thread_id: str, turn_id: str) -> None:
        for total in (100, 200, 300, 400):  # only the third crosses 250; the fourth is never read
            token_usage(server, thread_id, turn_id, total, 100)

    server.turn_script = runaway

    async def main() -> BudgetExceededError:
        async with make_client() as client:
            with pytest.raises(BudgetExceededError) as caught:
                await client.responses_create(prompt="go", budget=Budget(max_tokens=250))
            return caught.value

    error = run(main())
    assert (error.budget, error.limit, error.used) == ("max_tokens", 250, 300)
    assert error.usage.total_tokens == 300 and error.turn_id is not None


def test_a_call_budget_of_zero_turns_sends_nothing(server: FakeAppServer, make_client: Any, run: Any) -> None:
    async def main() -> BudgetExceededError:
        async with make_client() as client:
            with pytest.raises(BudgetExceededError) as caught:
                await client.responses_create(prompt="go", budget=Budget(max_turns=0))
            assert (await client.responses_create(prompt="then")).text == "ok"  # no budget: runs
            return caught.value

    error = run(main())
    assert (error.budget, error.turn_id) == ("max_turns", None)
    assert len(server.sent("turn/start")) == 1


# -- the values ------------------------------------------------------------------------------------------
def test_usage_and_budget_are_immutable_values_that_pickle() -> None:
    usage, budget = Usage(1, 2, 3, 4, 5, 6), Budget(max_tokens=5)
    assert pickle.loads(pickle.dumps(usage)) == usage and hash(usage) == hash(Usage(1, 2, 3, 4, 5, 6))
    assert pickle.loads(pickle.dumps(budget)) == budget
    assert repr(budget) == "Budget(max_turns=None, max_tokens=5, max_seconds_per_turn=None)"
    with pytest.raises(AttributeError):
        usage.total_tokens = 0
    with pytest.raises(AttributeError):
        budget.max_tokens = 0
