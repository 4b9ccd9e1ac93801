"""ExecStyleRenderer / render_exec_style_events: every line tag, colours, async input, finish on error."""

from __future__ import annotations

import asyncio
import io
from collections.abc import AsyncIterator, Iterator, Mapping, Sequence
from typing import Any

import pytest

from codex_python_sdk import ExecStyleRenderer, ResponseEvent, render_exec_style_events
from codex_python_sdk.render._exec import resolve_color_mode


def note(method: str, **params: Any) -> ResponseEvent:
    """A notification event of thread t1, turn u1."""
    msg = {"method": method, "params": {"threadId": "t1", "turnId": "u1", **params}}
    return ResponseEvent.from_notification(msg)


def request(method: str, rid: int = 7, **params: Any) -> ResponseEvent:
    """A server request as it appears in a turn stream (it has an id)."""
    msg = {"id": rid, "method": method, "params": {"threadId": "t1", "turnId": "u1", **params}}
    return ResponseEvent.from_notification(msg)


def started(item_type: str, item_id: str = "i1", **fields: Any) -> ResponseEvent:
    return note("item/started", item={"type": item_type, "id": item_id, **fields})


def completed(item_type: str, item_id: str = "i1", **fields: Any) -> ResponseEvent:
    return note("item/completed", item={"type": item_type, "id": item_id, **fields})


READY = ResponseEvent("thread/ready", thread_id="t1", raw={"threadId": "t1"})
TURN_STARTED = note("turn/started", turn={"id": "u1", "status": "inProgress"})
TURN_DONE = note("turn/completed", turn={"id": "u1", "status": "completed"})


def render(events: Sequence[ResponseEvent | Mapping[str, Any]], **options: Any) -> str:
    out = io.StringIO()
    renderer = ExecStyleRenderer(out, color="off", **options)
    for event in events:
        renderer.render(event)
    renderer.finish()
    return out.getvalue()


# -- the seed's lines (reference §4.1) ---------------------------------------------------------------------
def test_turn_frame_and_summary() -> None:
    text = render(
        [
            READY,
            TURN_STARTED,
            started("commandExecution", command="ls"),
            note("error", error={"message": "x"}),
            TURN_DONE,
        ]
    )
    assert text.splitlines() == [
        "Thread: t1",
        "",
        "== Turn Started ==",
        "[tool.exec] ls",
        "[error] x",
        "",
        "[summary] status=completed, tools=1, errors=1",
        "== Turn Completed ==",
    ]


def test_turn_summary_can_be_hidden_and_counters_reset_per_turn() -> None:
    text = render([TURN_STARTED, note("error", error={"message": "x"}), TURN_DONE], show_turn_summary=False)
    assert "[summary]" not in text and text.endswith("\n\n== Turn Completed ==\n")
    again = render([TURN_STARTED, note("error", error={"message": "x"}), TURN_DONE, TURN_STARTED, TURN_DONE])
    assert again.count("errors=1") == 1 and again.count("errors=0") == 1


def test_assistant_deltas_inline_and_completed_without_deltas() -> None:
    text = render(
        [
            note("item/agentMessage/delta", itemId="m1", delta="Hel"),
            note("item/agentMessage/delta", itemId="m1", delta="lo"),
            completed("agentMessage", "m1", text="Hello"),
            completed("agentMessage", "m2", text="Second, never streamed"),
        ]
    )
    assert text == "Assistant: Hello\nAssistant: Second, never streamed\n"


def test_thinking_inline_and_summary_parts() -> None:
    events = [
        note("item/reasoning/summaryPartAdded", itemId="r1", summaryIndex=0),
        note("item/reasoning/summaryTextDelta", itemId="r1", delta="Plan "),
        note("item/reasoning/textDelta", itemId="r1", delta="it."),
        note("item/reasoning/summaryPartAdded", itemId="r1", summaryIndex=1),
        note("item/reasoning/summaryTextDelta", itemId="r1", delta="Then check."),
        completed("reasoning", "r1"),
    ]
    # A new summary part starts a new [thinking] line; the part marker is shown with show_system only.
    assert render(events) == "[thinking] Plan it.\n[thinking] Then check.\n"
    assert render(events, show_system=True).splitlines() == [
        "[thinking] summary part #0",
        "[thinking] Plan it.",
        "[thinking] summary part #1",
        "[thinking] Then check.",
    ]
    assert render(events, show_reasoning=False) == ""


@pytest.mark.parametrize(
    ("item", "line"),
    [
        (started("commandExecution", command="echo hi"), "[tool.exec] echo hi"),
        (started("commandExecution", command=["git", "status"]), "[tool.exec] git status"),
        (started("mcpToolCall", server="srv", tool="t"), "[tool.mcp] srv/t"),
        (started("fileChange", changes=[]), "[tool.patch] applying file changes"),
        (started("webSearch", query="python docs"), "[tool.web] python docs"),
        (started("dynamicToolCall", tool="get_weather"), "[tool.call] get_weather"),
        (started("dynamicToolCall", tool="w", namespace="ns"), "[tool.call] ns.w"),
    ],
)
def test_tool_item_started_lines(item: ResponseEvent, line: str) -> None:
    assert render([item]) == line + "\n"


def test_other_items_only_with_show_system() -> None:
    events = [started("reasoning"), started("plan"), completed("plan"), completed("webSearch")]
    assert render(events) == ""
    assert render(events, show_system=True).splitlines() == [
        "[item] reasoning started",
        "[item] plan started",
        "[item] plan completed",
        "[item] webSearch completed",
    ]


@pytest.mark.parametrize(
    ("start", "method", "header"),
    [
        (
            started("commandExecution", "c1", command="ls"),
            "item/commandExecution/outputDelta",
            "[tool.output:exec]",
        ),
        (started("fileChange", "c1", changes=[]), "item/fileChange/outputDelta", "[tool.output:patch]"),
        (
            started("mcpToolCall", "c1", server="s", tool="t"),
            "item/commandExecution/outputDelta",
            "[tool.output:mcp:s/t]",
        ),
        (started("webSearch", "c1", query="q"), "item/commandExecution/outputDelta", "[tool.output:web]"),
        (None, "item/fileChange/outputDelta", "[tool.output:patch]"),
    ],
)
def test_tool_output_header_then_raw_inline(start: ResponseEvent | None, method: str, header: str) -> None:
    events = [start] if start else []
    events += [note(method, itemId="c1", delta="line 1\nli"), note(method, itemId="c1", delta="ne 2")]
    lines = render(events).splitlines()
    assert lines[-3:] == [header, "line 1", "line 2"]
    hidden = render(events, show_tool_output=False)
    assert "[tool.output" not in hidden and "line 1" not in hidden


def test_tool_completion_lines() -> None:
    text = render(
        [
            note("item/commandExecution/terminalInteraction", itemId="c1", processId="p", stdin="y\n"),
            note("item/mcpToolCall/progress", itemId="m1", message="50%"),
            completed("commandExecution", "c1", status="completed", exitCode=0, durationMs=12),
            completed("commandExecution", "c2", status="failed", exitCode=2, durationMs=5),
            completed("mcpToolCall", "m1", status="completed"),
            completed("mcpToolCall", "m2", status="failed", error={"message": "boom"}),
            completed("fileChange", "f1", status="declined", changes=[]),
            completed("dynamicToolCall", "d1", status="completed"),
        ]
    )
    assert text.splitlines() == [
        "[tool.stdin] y",
        "[tool.mcp.progress] 50%",
        "[tool.exec.done] completed, exit=0, 12ms",
        "[tool.exec.done] failed, exit=2, 5ms",
        "[tool.mcp.done] completed",
        "[tool.mcp.done] failed: boom",
        "[tool.patch.done] declined",
        "[tool.call.done] completed",
    ]


def test_command_output_without_deltas_is_shown_from_the_item() -> None:
    done = completed(
        "commandExecution", "c1", status="completed", exitCode=0, durationMs=3, aggregatedOutput="a\nb\n"
    )
    assert render([done]).splitlines() == [
        "[tool.output:exec]",
        "a",
        "b",
        "[tool.exec.done] completed, exit=0, 3ms",
    ]
    assert render([done], show_tool_output=False) == "[tool.exec.done] completed, exit=0, 3ms\n"
    streamed = [note("item/commandExecution/outputDelta", itemId="c1", delta="a\nb\n"), done]
    assert render(streamed).count("a\nb\n") == 1  # not twice
    long = completed("commandExecution", "c2", exitCode=0, aggregatedOutput="\n".join(map(str, range(50))))
    lines = render([long]).splitlines()
    assert lines[40:42] == ["39", "… 10 more lines"]


def test_errors_and_warnings() -> None:
    text = render(
        [
            TURN_STARTED,
            note("error", error={"message": "stream broke"}, willRetry=False),
            note("error", error={"message": "Reconnecting... 1/5"}, willRetry=True),
            {"method": "configWarning", "params": {"summary": "bad key", "path": "/c.toml"}},
            {
                "method": "windows/worldWritableWarning",
                "params": {"samplePaths": ["C:\\x"], "extraCount": 2, "failedScan": False},
            },
            {"method": "deprecationNotice", "params": {"summary": "old thing", "details": "use new"}},
            {"method": "deprecationNotice", "params": {"summary": "Old  thing"}},
            note("warning", message="disk almost full"),
            note("guardianWarning", message="review unavailable"),
            note("model/rerouted", fromModel="gpt-a", toModel="gpt-b", reason="highRiskCyberActivity"),
            TURN_DONE,
        ]
    )
    assert text.splitlines()[2:-3] == [
        "[error] stream broke",
        "[warning] Reconnecting... 1/5 (retrying)",
        "[warning] bad key (/c.toml)",
        "[warning] world-writable directories: C:\\x (+2 more)",
        "[warning] old thing: use new",
        "[warning] disk almost full",
        "[warning] auto-review: review unavailable",
        "[model] rerouted gpt-a -> gpt-b (highRiskCyberActivity)",
    ]
    assert "errors=1" in text  # the retried error is not a turn error


def test_failed_turn_without_error_event_says_why() -> None:
    failed = note("turn/completed", turn={"id": "u1", "status": "failed", "error": {"message": "quota"}})
    lines = render([TURN_STARTED, failed]).splitlines()
    assert "[error] quota" in lines and "[summary] status=failed, tools=0, errors=1" in lines


def test_legacy_codex_events() -> None:
    def legacy(kind: str, **msg: Any) -> dict[str, Any]:
        return {"method": f"codex/event/{kind}", "params": {"msg": msg}}

    events = [
        legacy("stream_error", message="lost"),
        legacy("deprecation_notice", message="x is deprecated"),
        legacy("agent_message_delta", delta="dup"),
        legacy("task_started"),
        legacy("mcp_startup", message="ready"),
    ]
    assert render(events).splitlines() == ["[error] lost", "[warning] x is deprecated"]
    assert render(events, show_system=True).splitlines()[-1] == "[codex.mcp_startup] ready"


def test_system_only_lines() -> None:
    events: list[ResponseEvent | Mapping[str, Any]] = [
        note("thread/started", thread={"id": "t1"}),
        note("thread/name/updated", threadName="demo"),
        note("thread/name/updated", threadName=None),
        note(
            "thread/tokenUsage/updated", tokenUsage={"last": {"totalTokens": 3}, "total": {"totalTokens": 9}}
        ),
        note("thread/compacted"),
        note("item/plan/delta", itemId="p1", delta="step one"),
        note("turn/plan/updated", explanation="why", plan=[{"step": "a", "status": "pending"}]),
        note("turn/diff/updated", diff="--- a/x\n+++ b/x\n@@\n-a\n+b\n+c\n"),
        {"method": "account/updated", "params": {"authMode": "apikey"}},
        note("thread/status/changed", status={"type": "idle"}),
        note("serverRequest/resolved", requestId=7),
        note("hook/started", run={"eventName": "preToolUse", "status": "running"}),
        note("autoApprovalReview/strictReviewRequired", startedAtMs=1),
    ]
    assert render(events) == ""
    assert render(events, show_system=True).splitlines() == [
        "[thread] started",
        "[thread.name] demo",
        "[thread.name] (cleared)",
        "[usage] last=3, total=9",
        "[context] compacted",
        "[plan] step one",
        "[turn.plan] why, steps=1, pending=1",
        "[turn.diff] +2 -1",
        "[account] account/updated",
        "[event] thread/status/changed",
        "[approval.resolved] request 7",
        "[hook] preToolUse running",
        "[auto-review] strict review required",
    ]


# -- beyond the seed ---------------------------------------------------------------------------------------
def test_server_requests_in_the_stream() -> None:
    text = render(
        [
            request(
                "item/commandExecution/requestApproval", itemId="c1", command="rm -rf build", reason="cleanup"
            ),
            request("item/fileChange/requestApproval", itemId="f1", grantRoot="/repo"),
            request("item/permissions/requestApproval", itemId="p1", cwd="/", permissions={"network": True}),
            request("item/tool/requestUserInput", itemId="q1", questions=[{"id": "a", "question": "Color?"}]),
            request("mcpServer/elicitation/request", serverName="srv", message="Sign in?"),
            request("item/tool/call", callId="x", tool="get_weather", arguments={}),
            request("attestation/generate"),
        ]
    )
    assert text.splitlines() == [
        "[approval] command: rm -rf build (reason: cleanup)",
        "[approval] file change with write access to /repo",
        "[approval] permissions: {'network': True}",
        "[input] Color?",
        "[approval] mcp elicitation from srv: Sign in?",
        "[request] tool call: get_weather",
        "[request] attestation/generate",
    ]


def test_renders_raw_dicts_too() -> None:
    raw = {"id": 3, "method": "item/commandExecution/requestApproval", "params": {"command": "make"}}
    assert render([raw]) == "[approval] command: make\n"


def test_auto_review_lines() -> None:
    action = {"type": "command", "command": "curl x", "cwd": "/", "source": "shell"}
    text = render(
        [
            note(
                "item/autoApprovalReview/started",
                reviewId="r",
                action=action,
                review={"status": "inProgress"},
            ),
            note(
                "item/autoApprovalReview/completed",
                reviewId="r",
                action=action,
                review={"status": "denied", "riskLevel": "high", "rationale": "exfiltration"},
            ),
            note(
                "item/autoApprovalReview/started",
                action={"type": "applyPatch", "cwd": "/", "files": ["a.py"]},
            ),
            note("item/autoApprovalReview/completed", review={"status": "approved"}),
        ]
    )
    assert text.splitlines() == [
        "[auto-review] reviewing command: curl x",
        "[auto-review] denied (risk=high): exfiltration",
        "[auto-review] reviewing patch: a.py",
        "[auto-review] approved",
    ]


def test_patch_files_listed_once_with_counts_and_turn_diff_summary() -> None:
    update = {"path": "src/a.py", "kind": {"type": "update", "move_path": None}, "diff": "@@\n-a\n+b\n+c\n"}
    added = {"path": "notes.txt", "kind": {"type": "add"}, "diff": "one\ntwo\n"}
    diff = "--- a/src/a.py\n+++ b/src/a.py\n@@\n-a\n+b\n+c\n--- /dev/null\n+++ b/notes.txt\n+one\n+two\n"
    text = render(
        [
            TURN_STARTED,
            started("fileChange", "f1", status="inProgress", changes=[]),
            note("item/fileChange/patchUpdated", itemId="f1", changes=[update]),
            note("item/fileChange/patchUpdated", itemId="f1", changes=[update, added]),
            completed("fileChange", "f1", status="completed", changes=[update, added]),
            note("turn/diff/updated", diff=diff),
            TURN_DONE,
        ]
    )
    assert text.splitlines()[2:] == [
        "[tool.patch] applying file changes",
        "[tool.patch.file] update src/a.py (+2 -1)",
        "[tool.patch.file] add notes.txt (+2 -0)",
        "[tool.patch.done] completed, 2 file(s), +4 -1",
        "[turn.diff] 2 file(s) changed, +4 -1",
        "",
        "[summary] status=completed, tools=1, errors=0",
        "== Turn Completed ==",
    ]


def test_interleaved_lines_end_the_inline_text_first() -> None:
    text = render(
        [
            note("item/agentMessage/delta", itemId="m1", delta="Running"),
            started("commandExecution", "c1", command="ls"),
            note("item/agentMessage/delta", itemId="m2", delta="Done"),
        ]
    )
    assert text == "Assistant: Running\n[tool.exec] ls\nAssistant: Done\n"


# -- colour ------------------------------------------------------------------------------------------------
class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize(
    ("color", "expected"),
    [
        ("off", "off"),
        ("soft", "soft"),
        ("vivid", "vivid"),
        ("on", "soft"),
        ("TRUE", "soft"),
        ("false", "off"),
        ("none", "off"),
        (True, "soft"),
        (False, "off"),
    ],
)
def test_explicit_colour_modes_and_aliases(
    color: Any, expected: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NO_COLOR", "1")  # explicit modes ignore the environment
    assert resolve_color_mode(color, io.StringIO()) == expected


def test_auto_colour_rules(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("NO_COLOR", "CLICOLOR_FORCE", "TERM"):
        monkeypatch.delenv(name, raising=False)
    assert resolve_color_mode("auto", io.StringIO()) == "off"
    assert resolve_color_mode("auto", _Tty()) == "soft"
    assert resolve_color_mode("bogus", _Tty()) == "soft"  # unknown means auto
    assert resolve_color_mode(None, _Tty()) == "soft"
    monkeypatch.setenv("CLICOLOR_FORCE", "1")
    assert resolve_color_mode("auto", io.StringIO()) == "soft"
    monkeypatch.setenv("CLICOLOR_FORCE", "0")
    assert resolve_color_mode("auto", io.StringIO()) == "off"
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("CLICOLOR_FORCE", "1")
    assert resolve_color_mode("auto", _Tty()) == "off"  # NO_COLOR wins
    monkeypatch.setenv("NO_COLOR", "")
    monkeypatch.setenv("TERM", "dumb")
    monkeypatch.delenv("CLICOLOR_FORCE")
    assert resolve_color_mode("auto", _Tty()) == "off"


def test_colour_codes_and_reset() -> None:
    out = io.StringIO()
    renderer = ExecStyleRenderer(out, color="soft")
    renderer.render(note("item/reasoning/summaryTextDelta", itemId="r", delta="hmm"))
    renderer.render(note("error", error={"message": "bad"}))
    renderer.finish()
    assert out.getvalue() == "\x1b[2m[thinking] hmm\x1b[0m\n\x1b[31m[error]\x1b[0m bad\n"
    vivid = io.StringIO()
    render_exec_style_events([READY], stream=vivid, color="vivid")
    assert vivid.getvalue() == "\x1b[1;97mThread:\x1b[0m t1\n"


# -- iteration, finish, closing ----------------------------------------------------------------------------
def test_sync_iterable_and_default_stdout(capsys: pytest.CaptureFixture[str]) -> None:
    assert render_exec_style_events(iter([READY]), color="off") is None
    assert capsys.readouterr().out == "Thread: t1\n"


def test_async_iterable_is_awaited_and_closed() -> None:
    closed: list[bool] = []

    async def stream() -> AsyncIterator[ResponseEvent]:
        try:
            yield READY
            yield note("item/agentMessage/delta", itemId="m", delta="hi")
        finally:
            closed.append(True)

    out = io.StringIO()
    asyncio.run(render_exec_style_events(stream(), stream=out, color="off"))
    assert out.getvalue() == "Thread: t1\nAssistant: hi\n"
    assert closed == [True]


def test_finish_runs_when_the_stream_raises() -> None:
    def stream() -> Iterator[ResponseEvent]:
        yield TURN_STARTED
        yield note("item/agentMessage/delta", itemId="m", delta="partial")
        raise RuntimeError("connection lost")

    out = io.StringIO()
    with pytest.raises(RuntimeError, match="connection lost"):
        render_exec_style_events(stream(), stream=out, color="soft")
    text = out.getvalue()
    assert text.endswith("partial\n\n\x1b[33m[summary]\x1b[0m status=incomplete, tools=0, errors=0\n")


def test_async_finish_on_error_and_iterator_closed_when_output_fails() -> None:
    async def failing() -> AsyncIterator[ResponseEvent]:
        yield note("item/reasoning/textDelta", itemId="r", delta="thinking")
        raise ValueError("boom")

    out = io.StringIO()
    with pytest.raises(ValueError, match="boom"):
        asyncio.run(render_exec_style_events(failing(), stream=out, color="soft"))
    assert out.getvalue() == "\x1b[2m[thinking] thinking\x1b[0m\n"  # dim reset, line ended

    closed: list[bool] = []

    def endless() -> Iterator[ResponseEvent]:
        try:
            while True:
                yield READY
        finally:
            closed.append(True)

    class Broken(io.StringIO):
        def write(self, s: str) -> int:
            raise BrokenPipeError

    with pytest.raises(BrokenPipeError):
        render_exec_style_events(endless(), stream=Broken(), color="off")
    assert closed == [True]  # a turn stream would be interrupted here


def test_finish_is_idempotent() -> None:
    out = io.StringIO()
    renderer = ExecStyleRenderer(out, color="off")
    renderer.render(note("item/agentMessage/delta", itemId="m", delta="x"))
    renderer.finish()
    renderer.finish()
    assert out.getvalue() == "Assistant: x\n"


def test_twenty_thousand_deltas_are_cheap() -> None:
    import time

    events = [note("item/agentMessage/delta", itemId="m", delta=f"{i} ") for i in range(20_000)]
    out = io.StringIO()
    renderer = ExecStyleRenderer(out, color="off")
    started_at = time.perf_counter()
    for event in events:
        renderer.render(event)
    renderer.finish()
    assert time.perf_counter() - started_at < 1.0  # ~0.4 µs per delta here; generous for slow CI
    assert out.getvalue().startswith("Assistant: 0 1 2 ") and out.getvalue().endswith("19999 \n")


@pytest.mark.parametrize("view", ["exec", "live"])
def test_a_view_closes_the_stream_it_shows_also_when_the_stream_fails(view: str) -> None:
    # Closing a turn's stream is what interrupts a turn left early: a view that stops must close it.
    from codex_python_sdk.render import render_live_events

    closed: list[str] = []

    class Stream:
        def __init__(self, fail: bool) -> None:
            self.events = [note("item/agentMessage/delta", delta="partial")]
            self.fail = fail

        def __iter__(self) -> Stream:
            return self

        def __next__(self) -> ResponseEvent:
            if self.events:
                return self.events.pop()
            if self.fail:
                raise RuntimeError("the stream broke")
            raise StopIteration

        def close(self) -> None:
            closed.append("close")

    class AsyncStream:
        def __init__(self, fail: bool) -> None:
            self.sync = Stream(fail)

        def __aiter__(self) -> AsyncStream:
            return self

        async def __anext__(self) -> ResponseEvent:
            try:
                return next(self.sync)
            except StopIteration:
                raise StopAsyncIteration from None

        async def aclose(self) -> None:
            closed.append("aclose")

    out = io.StringIO()

    def show(stream: Any) -> Any:
        if view == "exec":
            return render_exec_style_events(stream, stream=out)
        return render_live_events(stream, file=out)

    show(Stream(fail=False))
    with pytest.raises(RuntimeError, match="the stream broke"):
        show(Stream(fail=True))
    asyncio.run(show(AsyncStream(fail=False)))
    with pytest.raises(RuntimeError, match="the stream broke"):
        asyncio.run(show(AsyncStream(fail=True)))
    assert closed == ["close", "close", "aclose", "aclose"]
    assert "partial" in out.getvalue()
