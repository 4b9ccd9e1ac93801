"""Usage arithmetic, budgets' checks, and the OpenTelemetry layer without a process.

The end-to-end behaviour (spans of a real turn, budgets stopping real turns) is in
tests/e2e/test_observability_e2e.py; here: what must hold without codex — the clients never load
OpenTelemetry unless the application uses it, a turn's usage is right for a thread seen for the first
time, a reviewer's decision becomes an approval span, bad options fail at construction.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
from typing import Any

import pytest
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from codex_python_sdk import AsyncCodexAgenticClient, Budget, BudgetExceededError, CodexAgenticError, Usage
from codex_python_sdk import _telemetry as telemetry
from codex_python_sdk._client._ledger import UsageLedger
from codex_python_sdk._client._turns import TurnRun, TurnTracker
from codex_python_sdk.events._usage import TurnUsageCounter


def breakdown(total: int, inp: int = 0, cached: int = 0, out: int = 0, reasoning: int = 0) -> dict[str, int]:
    return {
        "totalTokens": total,
        "inputTokens": inp,
        "cachedInputTokens": cached,
        "cacheWriteInputTokens": 0,
        "outputTokens": out,
        "reasoningOutputTokens": reasoning,
    }


# -- import cost -----------------------------------------------------------------------------------------
LAZY = """
import sys
from codex_python_sdk import AsyncCodexAgenticClient, CodexAgenticClient
from codex_python_sdk._telemetry import tracer_for
client = AsyncCodexAgenticClient()  # constructing (not connecting) builds the ledger
assert tracer_for(None) is None  # the per-turn check: no OpenTelemetry imported, nothing to trace
print(sorted(m for m in sys.modules if m.startswith("opentelemetry")))
"""


def test_the_clients_never_load_opentelemetry_unless_the_application_uses_it() -> None:
    proc = subprocess.run([sys.executable, "-c", LAZY], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[]"


def test_without_a_tracer_provider_set_up_the_global_one_traces_nothing() -> None:
    import opentelemetry.trace  # noqa: F401  (imported, but no SDK provider set: the proxy)

    assert telemetry.tracer_for(None) is None
    assert telemetry.tracer_for(TracerProvider()) is not None


def test_content_capture_is_opt_in(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(telemetry.CAPTURE_ENV, raising=False)
    assert telemetry.capture_content(None) is False
    monkeypatch.setenv(telemetry.CAPTURE_ENV, "True")
    assert telemetry.capture_content(None) is True
    assert telemetry.capture_content(False) is False  # the client's option wins


# -- usage -----------------------------------------------------------------------------------------------
def test_a_turns_usage_is_the_threads_total_since_before_its_first_request() -> None:
    counter = TurnUsageCounter()
    assert counter.usage is None
    # A thread resumed with 1000 tokens already used: its first report names the request's 15.
    counter.add({"total": breakdown(1015, 1010, 400, 5), "last": breakdown(15, 10, 4, 5)})
    assert counter.usage == Usage(10, 4, 0, 5, 0, 15)
    counter.add({"total": breakdown(1045, 1030, 410, 15, 3), "last": breakdown(30, 20, 10, 10, 3)})
    assert counter.usage == Usage(30, 14, 0, 15, 3, 45)
    counter.add("garbage")  # a malformed report changes nothing
    assert counter.usage == Usage(30, 14, 0, 15, 3, 45)


def test_usage_adds_up_and_never_goes_negative() -> None:
    assert Usage(1, 2, 3, 4, 5, 6) + Usage(1, 1, 1, 1, 1, 1) == Usage(2, 3, 4, 5, 6, 7)
    assert Usage(total_tokens=5).since(Usage(total_tokens=9)) == Usage()
    assert Usage.from_wire({"totalTokens": -3, "inputTokens": "x"}) == Usage()


def test_the_ledger_counts_each_report_once_per_client_and_keeps_thread_totals() -> None:
    ledger = UsageLedger(None, None, None)
    tracker = TurnTracker()
    report = {"total": breakdown(1015, 1010, 0, 5), "last": breakdown(15, 10, 0, 5)}
    ledger.notification(
        "thread/tokenUsage/updated", {"threadId": "t", "turnId": "u", "tokenUsage": report}, tracker
    )
    # Seen for the first time: only the last request counts as this client's.
    assert ledger.total.total_tokens == 15 and ledger.thread_usage("t") == Usage(1010, 0, 0, 5, 0, 1015)
    report = {"total": breakdown(1045, 1030, 0, 15), "last": breakdown(30, 20, 0, 10)}
    ledger.notification(
        "thread/tokenUsage/updated", {"threadId": "t", "turnId": "u", "tokenUsage": report}, tracker
    )
    assert ledger.total.total_tokens == 45
    ledger.notification(
        "account/rateLimits/updated", {"rateLimits": {"limitId": "codex", "planType": "pro"}}, tracker
    )
    ledger.notification(
        "account/rateLimits/updated", {"rateLimits": {"limitId": "codex", "planType": None}}, tracker
    )
    snapshot = ledger.rate_limit_snapshot()
    assert snapshot is not None and snapshot.plan_type == "pro"  # sparse updates do not clear


# -- budgets and options ---------------------------------------------------------------------------------
def test_budget_values_are_checked() -> None:
    assert Budget() == Budget(None, None, None)
    with pytest.raises(ValueError, match="max_tokens"):
        Budget(max_tokens=-1)
    with pytest.raises(ValueError, match="max_turns"):
        Budget(max_turns=1.5)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="max_seconds_per_turn"):
        Budget(max_seconds_per_turn=True)


def test_bad_budget_or_tracer_provider_fail_at_construction() -> None:
    with pytest.raises(TypeError, match="Budget"):
        AsyncCodexAgenticClient(budget={"max_tokens": 10})  # type: ignore[arg-type]
    with pytest.raises(CodexAgenticError, match="TracerProvider"):
        AsyncCodexAgenticClient(tracer_provider="otel")


def test_a_spent_client_budget_refuses_the_next_turn_and_traces_the_refusal() -> None:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))

    async def main() -> BudgetExceededError:
        ledger = UsageLedger(Budget(max_turns=1), provider, None)
        first = ledger.watch("t", "turn/start", {}, None)
        assert first is not None
        first.begin(TurnRun("t"), lambda error: None)
        first.end()
        second = ledger.watch("t", "turn/start", {}, None)
        assert second is not None
        with pytest.raises(BudgetExceededError) as refused:
            second.begin(TurnRun("t"), lambda error: None)
        return refused.value

    error = asyncio.run(main())
    assert (error.budget, error.limit, error.used, error.turn_id) == ("max_turns", 1, 1, None)
    refused_span = exporter.get_finished_spans()[-1]
    assert dict(refused_span.attributes or {})["error.type"] == "BudgetExceededError"


def test_no_budget_and_no_tracer_means_no_watch() -> None:
    assert UsageLedger(None, None, None).watch("t", "turn/start", {}, None) is None


# -- approvals by codex's reviewer -----------------------------------------------------------------------
def test_an_auto_review_becomes_an_approval_span_under_its_command() -> None:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))

    async def main() -> None:
        ledger = UsageLedger(None, provider, None)
        tracker = TurnTracker()
        run = TurnRun("t")
        await tracker.reserve(run)
        watch = ledger.watch("t", "turn/start", {}, None)
        assert watch is not None
        watch.begin(run, lambda error: None)
        run.turn_id = "u"
        params: dict[str, Any] = {"threadId": "t", "turnId": "u"}
        item = {"type": "commandExecution", "id": "call_g1", "command": "touch x", "status": "inProgress"}
        ledger.notification("item/started", {**params, "item": item}, tracker)
        review = {
            **params,
            "reviewId": "r1",
            "targetItemId": "call_g1",
            "startedAtMs": 1_700_000_000_000,
            "completedAtMs": 1_700_000_000_250,
            "decisionSource": "agent",
            "review": {"status": "approved", "riskLevel": "low"},
            "action": {"type": "command", "command": "touch x"},
        }
        ledger.notification("item/autoApprovalReview/completed", review, tracker)
        ledger.notification("item/completed", {**params, "item": {**item, "status": "completed"}}, tracker)
        watch.end()

    asyncio.run(main())
    spans = {s.name: s for s in exporter.get_finished_spans()}
    approval, command = spans["approval command"], spans["execute_tool shell"]
    assert approval.parent is not None and approval.parent.span_id == command.context.span_id
    assert dict(approval.attributes or {}) == {
        "codex.approval.kind": "command",
        "codex.approval.decision": "approved",
        "codex.approval.decided_by": "reviewer",
        "codex.approval.risk_level": "low",
        "gen_ai.tool.call.id": "call_g1",
    }
    assert (approval.end_time or 0) - (approval.start_time or 0) == 250_000_000


@pytest.mark.parametrize(
    ("kind", "answer", "decision"),
    [
        ("command", {"decision": "accept"}, "accept"),
        ("command", {"decision": {"acceptWithExecpolicyAmendment": {}}}, "acceptWithExecpolicyAmendment"),
        ("file_change", {"decision": "decline"}, "decline"),
        ("mcp_elicitation", {"action": "cancel"}, "cancel"),
        ("permissions", {"permissions": {}}, "declined"),
        ("tool_user_input", {"answers": {"q": {"answers": ["A"]}}}, "answered"),
    ],
)
def test_decisions_are_one_word(kind: str, answer: dict[str, Any], decision: str) -> None:
    assert telemetry.decision_of(kind, answer) == decision
