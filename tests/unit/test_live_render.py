"""The live view (render.LiveRenderer) as people read it: plain text off a terminal, rich on one.

The events are shaped like codex 0.163's (copied from a recorded fake-model turn, trimmed).
"""

from __future__ import annotations

import io
import subprocess
import sys
from typing import Any

import pytest

from codex_python_sdk.events import ResponseEvent
from codex_python_sdk.render import LiveRenderer, render_live_events, resolve_live_view

WS = "/work/space"


def ev(method: str, request_id: int | None = None, **params: Any) -> ResponseEvent:
    message: dict[str, Any] = {"method": method, "params": {"threadId": "t1", "turnId": "u1", **params}}
    if request_id is not None:
        message["id"] = request_id
    return ResponseEvent.from_notification(message)


def usage(inp: int, out: int, cached: int = 0) -> dict[str, Any]:
    last = {"inputTokens": inp, "cachedInputTokens": cached, "outputTokens": out, "reasoningOutputTokens": 0}
    return {"last": {**last, "totalTokens": inp + out}, "total": {**last, "totalTokens": inp + out}}


COMMAND = {"type": "commandExecution", "id": "c1", "command": "/bin/bash -c 'ls -1'", "cwd": WS}
CHANGE = {"path": f"{WS}/main.py", "kind": {"type": "update"}, "diff": "@@ -1 +1 @@\n-print(1)\n+print(2)\n"}
TOOL = {"type": "dynamicToolCall", "id": "k1", "tool": "word_count", "arguments": {"path": "README.md"}}
TOOL_DONE = {**TOOL, "status": "completed", "success": True, "durationMs": 7, "contentItems": [{"text": "3"}]}
PATCH = {"type": "fileChange", "id": "f1", "changes": [CHANGE]}
APPROVE_COMMAND = "item/commandExecution/requestApproval"


def story(command_status: str = "completed") -> list[ResponseEvent]:
    """A turn: reasoning, an approved command, text, an approved patch, a tool call, the answer."""
    done = {**COMMAND, "status": command_status, "exitCode": 0, "durationMs": 12, "aggregatedOutput": "a\nb"}
    if command_status == "declined":
        done.update(exitCode=None, durationMs=None, aggregatedOutput=None)
    return [
        ev("turn/started", turn={"id": "u1", "status": "inProgress"}),
        ev("item/reasoning/summaryTextDelta", itemId="r1", delta="Look at "),
        ev("item/reasoning/summaryTextDelta", itemId="r1", delta="the files."),
        ev("item/completed", item={"type": "reasoning", "id": "r1", "summary": ["Look at the files."]}),
        ev("item/started", item={**COMMAND, "status": "inProgress"}),
        ev(APPROVE_COMMAND, 0, itemId="c1", command=COMMAND["command"], reason="list"),
        ev("serverRequest/resolved", requestId=0),
        ev("item/completed", item=done),
        ev("thread/tokenUsage/updated", tokenUsage=usage(100, 20)),
        ev("item/agentMessage/delta", itemId="m1", delta="I'll "),
        ev("item/agentMessage/delta", itemId="m1", delta="edit it."),
        ev("item/completed", item={"type": "agentMessage", "id": "m1", "text": "I'll edit it."}),
        ev("item/started", item={**PATCH, "status": "inProgress"}),
        ev("item/fileChange/requestApproval", 1, itemId="f1"),
        ev("serverRequest/resolved", requestId=1),
        ev("item/completed", item={**PATCH, "status": "completed"}),
        ev("item/started", item={**TOOL, "status": "inProgress"}),
        ev("item/completed", item=TOOL_DONE),
        ev("thread/tokenUsage/updated", tokenUsage=usage(150, 30, cached=64)),
        ev("item/completed", item={"type": "agentMessage", "id": "m2", "text": "Done: **3 words**."}),
        ev("turn/completed", turn={"id": "u1", "status": "completed", "durationMs": 1500}),
    ]


def plain(events: list[ResponseEvent], decisions: dict[int, tuple[str, str]] | None = None) -> str:
    out = io.StringIO()
    renderer = LiveRenderer(out, cwd=WS)
    assert renderer.view == "plain"  # a StringIO is not a terminal
    for request_id, (decision, by) in (decisions or {}).items():
        renderer.decided(request_id, decision, by)
    with renderer:
        for event in events:
            renderer.render(event)
    return out.getvalue()


def test_plain_view_tells_the_whole_turn() -> None:
    text = plain(story(), {0: ("accept", "rule 'ls'"), 1: ("accept", "you")})
    assert text.splitlines() == [
        "thinking: Look at the files.",
        "approval: run `ls -1` (list) -> accept, by rule 'ls'",
        "$ ls -1  [exit 0, 12 ms]",
        "    a",
        "    b",
        "assistant: I'll edit it.",
        "approval: edit main.py -> accept, by you",
        "edit main.py (update)  [+1 -1, applied]",
        "    @@ -1 +1 @@",
        "    -print(1)",
        "    +print(2)",
        'tool: word_count(path="README.md") -> 3  [7 ms]',
        "assistant: Done: **3 words**.",
        "-- completed in 1.5 s | tokens 250 in (64 cached), 50 out, 300 total --",
    ]


def test_an_approval_nobody_reported_shows_the_items_outcome() -> None:
    text = plain(story(command_status="declined"))
    assert "approval: run `ls -1` (list) -> decline" in text
    assert "$ ls -1  [declined]" in text
    assert "approval: edit main.py -> accept" in text  # the patch was applied


def test_a_failed_turn_ends_with_its_error() -> None:
    error = {"message": "quota exceeded"}
    failed = ev("turn/completed", turn={"id": "u1", "status": "failed", "error": error})
    text = plain([ev("turn/started", turn={"id": "u1"}), ev("error", error={"message": "boom"}), failed])
    lines = text.splitlines()
    assert lines[-2].startswith("-- failed in ") and "no token usage reported" in lines[-2]
    assert lines[-1] == "error: quota exceeded"


def test_reasoning_can_be_hidden_and_the_prompt_shown() -> None:
    out = io.StringIO()
    content = [{"type": "text", "text": "hi"}]
    prompt = ev("item/started", item={"type": "userMessage", "id": "p", "content": content})
    render_live_events([prompt, *story()[:4]], file=out, show_reasoning=False, show_prompt=True)
    assert out.getvalue() == "you: hi\n"


def test_suspended_ends_a_half_written_line_first() -> None:
    out = io.StringIO()
    renderer = LiveRenderer(out)
    renderer.render(ev("item/agentMessage/delta", itemId="m", delta="partial"))
    with renderer.suspended():
        out.write("Allow? ")
    assert out.getvalue() == "assistant: partial\nAllow? "


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize(
    ("env", "tty", "view"),
    [
        ({}, True, "live"),
        ({}, False, "plain"),
        ({"NO_COLOR": "1"}, True, "live"),  # still animated, without colour (rich reads NO_COLOR)
        ({"CLICOLOR_FORCE": "1"}, False, "styled"),
        ({"CLICOLOR_FORCE": "0"}, False, "plain"),
        ({"CLICOLOR_FORCE": "1", "NO_COLOR": "1"}, False, "plain"),
        ({"TERM": "dumb"}, True, "plain"),
    ],
)
def test_which_view(monkeypatch: pytest.MonkeyPatch, env: dict[str, str], tty: bool, view: str) -> None:
    for name in ("NO_COLOR", "CLICOLOR_FORCE", "TERM"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert resolve_live_view("auto", _Tty() if tty else io.StringIO()) == view


def test_the_coloured_view_draws_the_same_story_with_rich() -> None:
    from rich.console import Console

    console = Console(
        record=True, width=100, force_terminal=True, force_interactive=False, file=io.StringIO()
    )
    renderer = LiveRenderer(console=console, cwd=WS)
    renderer.decided(0, "accept", "rule 'ls'")
    with renderer:
        for event in story():
            renderer.render(event)
    text = console.export_text(styles=False, clear=False)
    for part in (
        "thinking: Look at the files.",
        "◆ approval: run `ls -1` (list) → accept, by rule 'ls'",
        "✓ $ ls -1  exit 0, 12 ms",
        "✎ edit main.py (update)  +1 -1, applied",
        '⚙ word_count(path="README.md") -> 3  7 ms',
        "Done: 3 words.",  # Markdown: the bold is drawn, not written
        "completed in 1.5 s | tokens 250 in (64 cached), 50 out, 300 total",
    ):
        assert part in text, part
    coloured = console.export_text(styles=True)
    assert "\x1b[31m-print(1)" in coloured and "\x1b[32m+print(2)" in coloured  # red / green diff lines


def test_rich_is_loaded_only_by_a_view_that_draws_with_it() -> None:
    code = (
        "import io, sys\n"
        "import codex_python_sdk\n"
        "from codex_python_sdk import CodexAgenticClient, AsyncCodexAgenticClient\n"
        "from codex_python_sdk.render import LiveRenderer\n"
        "from codex_python_sdk.cli import main, run\n"
        "LiveRenderer(io.StringIO()).finish()\n"
        "print('rich' in sys.modules)\n"
        "LiveRenderer(io.StringIO(), view='styled').finish()\n"
        "print('rich' in sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["False", "True"]
