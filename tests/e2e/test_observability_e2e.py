"""Traces, usage and budgets end to end: the real app-server, the FakeModel, the SDK's in-memory exporter.

What users rely on: one ``invoke_agent`` span per turn with the thread, the model and the turn's tokens;
``execute_tool`` spans for commands and tools under it; an ``approval`` span saying what was decided and
by whom; content only when asked for; and budgets that stop a runaway turn within a second of the limit,
with the partial response, leaving the thread usable.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import StatusCode

from codex_python_sdk import Budget, BudgetExceededError, TurnFailedError, Usage, tool
from codex_python_sdk.testing import FakeModel, FakeModelClient, ModelRequest, Reply

pytestmark = pytest.mark.e2e

EXPORTER = InMemorySpanExporter()
PROVIDER = TracerProvider()
PROVIDER.add_span_processor(SimpleSpanProcessor(EXPORTER))
RUBRIC = {
    "command_rules": [{"name": "allow-touch", "when": {"command_prefix": ["touch"]}, "decision": "accept"}]
}
READ_ONLY = {"approvalPolicy": "on-request", "sandbox": "read-only"}
CONTENT_KEYS = ("gen_ai.input.messages", "gen_ai.output.messages", "gen_ai.tool.call.arguments")


@tool
def get_weather(city: str) -> str:
    """Weather of a city."""
    return f"sunny in {city}"


@tool
def search_slowly(query: str) -> str:
    """A slow search: a runaway loop of these takes time, not tokens."""
    time.sleep(0.2)
    return f"nothing about {query}"


@tool
def flaky_lookup(key: str) -> str:
    """A tool that fails."""
    raise LookupError(f"no {key}")


@pytest.fixture(scope="module")
def model() -> Iterator[FakeModel]:
    with FakeModel() as fake:
        yield fake


@pytest.fixture(scope="module")
def _traced(model: FakeModel) -> Iterator[FakeModelClient]:
    tools = [get_weather, search_slowly, flaky_lookup]
    with model.client(tracer_provider=PROVIDER, tools=tools, policy_rubric=RUBRIC) as client:
        yield client


@pytest.fixture
def traced(_traced: FakeModelClient, model: FakeModel) -> Iterator[FakeModelClient]:
    """The module's traced client; the model and the exporter cleared, no hook."""
    model.clear()
    EXPORTER.clear()
    _traced.on_command_approval = None
    yield _traced
    _traced.on_command_approval = None
    model.release_all()
    model.clear()


def spans_named(prefix: str) -> list[ReadableSpan]:
    return [s for s in EXPORTER.get_finished_spans() if s.name.startswith(prefix)]


def the_turn_span() -> ReadableSpan:
    (turn,) = spans_named("invoke_agent")
    return turn


def attrs(span: ReadableSpan) -> dict[str, Any]:
    return dict(span.attributes or {})


def parent_of(span: ReadableSpan) -> int | None:
    return span.parent.span_id if span.parent is not None else None


def test_a_turn_with_a_command_approved_by_a_rule_and_a_python_tool(
    traced: FakeModelClient, model: FakeModel
) -> None:
    shell = Reply.shell("touch notes.txt", escalated=True).with_usage(
        100, 10, cached_input_tokens=40, reasoning_output_tokens=3
    )
    weather = Reply.tool_call("get_weather", {"city": "Paris"}).with_usage(
        150, 12, cached_input_tokens=60, reasoning_output_tokens=4
    )
    model.add(shell, weather, Reply.text("done").with_usage(200, 20))
    before = traced.usage

    result = traced.responses_create(prompt="go", thread_params=READ_ONLY)

    assert result.text == "done"
    turn = the_turn_span()
    assert turn.name == "invoke_agent codex"
    assert attrs(turn) == {
        "gen_ai.operation.name": "invoke_agent",
        "gen_ai.provider.name": "mock",  # the thread's model provider (the fake's)
        "gen_ai.system": "mock",
        "gen_ai.agent.name": "codex",
        "gen_ai.conversation.id": result.thread_id,
        "gen_ai.request.model": "gpt-5.5",
        "codex.turn.method": "turn/start",
        "codex.turn.id": result.turn_id,
        "codex.turn.status": "completed",
        "gen_ai.usage.input_tokens": 450,
        "gen_ai.usage.output_tokens": 42,
        "gen_ai.usage.cache_read.input_tokens": 100,
        "gen_ai.usage.cache_creation.input_tokens": 0,
        "gen_ai.usage.reasoning.output_tokens": 7,
    }
    assert turn.status.status_code is StatusCode.UNSET
    command, python_tool = sorted(spans_named("execute_tool"), key=lambda s: s.start_time or 0)
    assert (command.name, python_tool.name) == ("execute_tool shell", "execute_tool get_weather")
    assert parent_of(command) == parent_of(python_tool) == turn.context.span_id
    assert attrs(command)["gen_ai.tool.call.id"] == shell.call_id
    assert attrs(command)["gen_ai.tool.type"] == "extension"
    assert attrs(python_tool)["gen_ai.tool.call.id"] == weather.call_id
    assert attrs(python_tool)["gen_ai.tool.type"] == "function"
    assert attrs(python_tool)["codex.item.status"] == "completed"
    (approval,) = spans_named("approval")
    assert approval.name == "approval command"
    assert parent_of(approval) == command.context.span_id
    assert attrs(approval) == {
        "codex.approval.kind": "command",
        "codex.approval.decision": "accept",
        "codex.approval.decided_by": "policy_engine",
        "codex.approval.rule": "allow-touch",
        "gen_ai.tool.call.id": shell.call_id,
    }
    for span in EXPORTER.get_finished_spans():  # content is opt-in
        assert not set(CONTENT_KEYS) & set(attrs(span)), span.name
    # Usage: the turn's own, the client's, the thread's.
    expected = Usage(450, 100, 0, 42, 7, 492)
    assert result.turn_usage == expected
    assert traced.usage == before + expected
    assert traced.thread_usage(result.thread_id) == expected


def test_a_hook_decision_and_content_when_asked_for(
    traced: FakeModelClient, model: FakeModel, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT", "true")
    traced.on_command_approval = lambda params: "decline"
    shell = Reply.shell("touch secret.txt", escalated=True)
    model.add(shell, Reply.text("it was declined"))

    result = traced.responses_create(prompt="make a secret", thread_params=READ_ONLY)

    turn = the_turn_span()
    assert "make a secret" in attrs(turn)["gen_ai.input.messages"]
    assert "it was declined" in attrs(turn)["gen_ai.output.messages"]
    (command,) = spans_named("execute_tool")
    assert "touch secret.txt" in attrs(command)["gen_ai.tool.call.arguments"]
    assert attrs(command)["error.type"] == "declined"
    assert command.status.status_code is StatusCode.ERROR
    (approval,) = spans_named("approval")
    assert attrs(approval)["codex.approval.decided_by"] == "hook"
    assert attrs(approval)["codex.approval.hook"] == "on_command_approval"
    assert attrs(approval)["codex.approval.decision"] == "decline"
    assert "codex.approval.rule" not in attrs(approval)
    assert result.status == "completed" and turn.status.status_code is StatusCode.UNSET


def test_a_failed_turn_has_error_type_under_the_callers_span(
    traced: FakeModelClient, model: FakeModel
) -> None:
    model.add(Reply.server_error())

    with (
        PROVIDER.get_tracer("app").start_as_current_span("handle request") as caller,
        pytest.raises(TurnFailedError),
    ):
        traced.responses_create(prompt="fail")

    turn = the_turn_span()
    assert parent_of(turn) == caller.get_span_context().span_id  # the sync client keeps the caller's context
    assert attrs(turn)["error.type"] == "internalServerError"  # codex's codexErrorInfo
    assert attrs(turn)["codex.turn.status"] == "failed"
    assert turn.status.status_code is StatusCode.ERROR


def test_a_failing_python_tool_is_an_execute_tool_span_in_error(
    traced: FakeModelClient, model: FakeModel
) -> None:
    lookup = Reply.tool_call("flaky_lookup", {"key": "x"})
    model.add(lookup, Reply.text("could not look it up"))

    result = traced.responses_create(prompt="look up x")

    (span,) = spans_named("execute_tool")
    assert span.name == "execute_tool flaky_lookup"
    assert attrs(span)["gen_ai.tool.call.id"] == lookup.call_id
    assert attrs(span)["error.type"] == attrs(span)["codex.item.status"] == "failed"
    assert span.status.status_code is StatusCode.ERROR
    # The tool's failure went to the model; the turn itself completed.
    assert result.status == "completed" and the_turn_span().status.status_code is StatusCode.UNSET


def test_max_seconds_per_turn_stops_a_hanging_turn_within_a_second(
    traced: FakeModelClient, model: FakeModel
) -> None:
    hanging = Reply.text("partial answer", deltas=3).hang()
    model.add(hanging, Reply.text("next turn"))

    with pytest.raises(BudgetExceededError) as caught:
        traced.responses_create(prompt="hang", budget=Budget(max_seconds_per_turn=1))
    stopped = time.monotonic()

    error = caught.value
    assert (error.budget, error.limit) == ("max_seconds_per_turn", 1)
    assert 1.0 <= error.used < 2.0  # the timer's own measure of the turn
    # From the model's request (after turn/start) to the raise: the limit plus at most a second.
    assert stopped - model.requests[0].received_at < 2.0
    assert error.response is not None and error.response.status == "interrupted"
    assert error.response.text == "partial answer"
    assert error.turn_id is not None and error.thread_id == error.response.thread_id
    turn = the_turn_span()
    assert attrs(turn)["error.type"] == "BudgetExceededError"
    assert attrs(turn)["codex.turn.status"] == "interrupted"
    # The turn was interrupted on the server: the thread takes the next turn.
    hanging.release()
    again = traced.responses_create(prompt="again", thread_id=error.thread_id)
    assert again.text == "next turn"


def test_max_seconds_per_turn_stops_a_runaway_tool_loop_with_the_usage_so_far(
    traced: FakeModelClient, model: FakeModel
) -> None:
    def forever(request: ModelRequest) -> Reply:  # a model that never stops calling a slow tool
        return Reply.tool_call("search_slowly", {"query": "budgets"}).with_usage(50, 10)

    model.respond_with(forever)
    try:
        with pytest.raises(BudgetExceededError) as caught:
            traced.responses_create(prompt="research", budget=Budget(max_seconds_per_turn=1.5))
    finally:
        model.respond_with(None)
    error = caught.value
    assert error.budget == "max_seconds_per_turn" and 1.5 <= error.used < 2.5
    calls = [i for i in error.response.items if i["type"] == "dynamicToolCall"] if error.response else []
    assert calls, "the partial response keeps the tool calls made before the stop"
    assert error.usage.total_tokens >= 60 and error.usage.total_tokens % 60 == 0  # whole responses
    assert error.response is not None and error.response.turn_usage == error.usage
    model.add(Reply.text("stopped researching"))
    assert traced.responses_create(prompt="stop", thread_id=error.thread_id).text == "stopped researching"


def test_max_tokens_stops_a_runaway_tool_loop_right_after_the_crossing(
    traced: FakeModelClient, model: FakeModel
) -> None:
    served: list[float] = []

    def forever(request: ModelRequest) -> Reply:  # a model that never stops calling the tool
        served.append(time.monotonic())
        return Reply.tool_call("get_weather", {"city": "Oslo"}).with_usage(900, 100)

    model.respond_with(forever)
    before = traced.usage
    try:
        with pytest.raises(BudgetExceededError) as caught:
            traced.responses_create(prompt="loop", budget=Budget(max_tokens=2500))
        stopped = time.monotonic()
    finally:
        model.respond_with(None)
    error = caught.value
    assert (error.budget, error.limit, error.used) == ("max_tokens", 2500, 3000)
    assert error.usage == Usage(input_tokens=2700, output_tokens=300, total_tokens=3000)
    assert stopped - served[2] < 1.0  # the third response crossed the limit
    assert len(served) <= 4  # nothing ran on after the stop (one request may have been in flight)
    assert error.response is not None and error.response.turn_usage == error.usage
    assert [i["type"] for i in error.response.items].count("dynamicToolCall") >= 2
    # The client and the thread go on; the totals count the stopped turn and the next one.
    model.add(Reply.text("ok then").with_usage(1000, 20))
    again = traced.responses_create(prompt="stop looping", thread_id=error.thread_id)
    assert again.text == "ok then" and again.turn_usage == Usage(1000, 0, 0, 20, 0, 1020)
    spent = traced.usage.total_tokens - before.total_tokens
    assert spent >= 4020  # the stopped turn's 3000 (and a response in flight, if any) + 1020
    thread_total = traced.thread_usage(again.thread_id)
    assert thread_total is not None and thread_total.total_tokens == spent  # one new thread: all of it


def test_a_client_budget_counts_across_turns_and_refuses_before_turn_start(model: FakeModel) -> None:
    model.clear()
    with model.client(budget=Budget(max_turns=2, max_tokens=20)) as client:
        model.add(Reply.text("one"))  # 15 tokens (the fake's default usage)
        first = client.responses_create(prompt="one")
        assert first.text == "one"
        model.add(Reply.text("two"))
        with pytest.raises(BudgetExceededError) as crossed:
            client.responses_create(prompt="two")  # 30 > 20: reported after its last response
        assert (crossed.value.budget, crossed.value.used) == ("max_tokens", 30)
        # Two threads of 15 tokens each; the client's total is theirs.
        second = crossed.value.thread_id
        assert second is not None and second != first.thread_id
        fifteen = Usage(10, 0, 0, 5, 0, 15)
        assert client.thread_usage(first.thread_id) == client.thread_usage(second) == fifteen
        requests = len(model.requests)
        with pytest.raises(BudgetExceededError) as refused:
            client.responses_create(prompt="three")
        assert (refused.value.budget, refused.value.turn_id) == ("max_turns", None)
        assert len(model.requests) == requests  # refused before turn/start: the model saw nothing
        assert client.usage.total_tokens == 30
    model.clear()


def test_rate_limits_are_kept_and_are_events(traced: FakeModelClient, model: FakeModel) -> None:
    stream = traced.notifications(["account/rateLimits/updated"])
    model.add(Reply.text("hi"))
    traced.responses_create(prompt="hi")
    got: list[Any] = []
    reader = threading.Thread(target=lambda: got.append(next(iter(stream))), daemon=True)
    reader.start()
    reader.join(10)
    stream.close()
    assert got and got[0].type == "account/rateLimits/updated"
    assert got[0].payload.rate_limits.limit_id == "codex"
    assert traced.rate_limits is not None and traced.rate_limits.limit_id == "codex"
