"""The ``codex-python-sdk`` command without an app-server: dispatch, options, approvals, JSON shapes."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest

from codex_python_sdk import AgentResponse, RequestContext
from codex_python_sdk._client._toml import RawToml
from codex_python_sdk.cli import demo, doctor, main, run
from codex_python_sdk.cli._approvals import CliPolicy, TerminalAsker, decision_word, run_rubric
from codex_python_sdk.events import ResponseEvent


# -- dispatch ------------------------------------------------------------------------------------------
def test_no_command_prints_the_commands_and_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main.main([]) == 2
    assert "usage: codex-python-sdk {run,doctor,demo}" in capsys.readouterr().err
    assert main.main(["--help"]) == 0
    assert "run one turn and show it live" in capsys.readouterr().out


def test_subcommands_dispatch(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[Any] = []

    def fake_run(args: Any, *rest: Any) -> int:
        seen.append(("run", args.prompt))
        return 3

    def fake_doctor(out: Any, codex_command: str | None = None) -> int:
        seen.append(codex_command)
        return 4

    def fake_demo(args: Any, out: Any) -> int:
        seen.append(("demo", args.mode))
        return 5

    monkeypatch.setattr(run, "run_turn", fake_run)
    monkeypatch.setattr(doctor, "run_doctor", fake_doctor)
    monkeypatch.setattr(demo, "run_demo", fake_demo)
    assert main.main(["run", "hello"]) == 3
    assert main.main(["doctor", "--codex", "/x/codex"]) == 4
    assert main.main(["demo", "--mode", "full"]) == 5
    # python -m codex_python_sdk keeps running the demo without a subcommand
    assert main.main(["--fake-model"], default="demo") == 5
    assert main.main([], default="demo") == 5
    assert seen == [("run", "hello"), "/x/codex", ("demo", "full"), ("demo", "smoke"), ("demo", "smoke")]


def test_run_options() -> None:
    argv = "--json --cwd /w --model m --thread t -c a.b=1 --config x=y --codex-home /h --allow ls"
    args = run.build_parser().parse_args(
        [*argv.split(), "--allow", "git status", "--read-only", "--ask", "hi"]
    )
    assert (args.prompt, args.json, args.cwd, args.model, args.thread) == ("hi", True, "/w", "m", "t")
    assert (args.config, args.codex_home, args.allow) == (["a.b=1", "x=y"], "/h", ["ls", "git status"])
    assert args.read_only and args.ask and not args.fake_model


def test_config_overrides_go_to_codex_as_written() -> None:
    parser = run.build_parser()
    overrides = run._overrides(["model_reasoning_effort=high", " a.b = [1, 2]", "s=x=y"], parser)
    assert overrides == {"model_reasoning_effort": "high", "a.b": " [1, 2]", "s": "x=y"}
    assert all(isinstance(value, RawToml) for value in overrides.values())  # codex parses the value
    with pytest.raises(SystemExit):
        run._overrides(["no-equals-sign"], parser)


def test_fake_model_refuses_a_real_home_or_thread() -> None:
    parser = run.build_parser()
    args = parser.parse_args(["--fake-model", "--thread", "t", "hi"])
    with pytest.raises(SystemExit):
        run.run_turn(args, io.StringIO(), io.StringIO(), io.StringIO(), parser)


# -- approvals -------------------------------------------------------------------------------------------
def _context(request_id: int) -> RequestContext:
    return RequestContext("command", "item/commandExecution/requestApproval", request_id=request_id)


COMMAND = {"command": "/bin/bash -lc 'git status'", "cwd": "/w"}
OTHER = {"command": "/bin/bash -lc 'rm -rf build'", "cwd": "/w"}


def test_allow_rules_accept_and_everything_else_fails_closed() -> None:
    reports: list[Any] = []
    policy = CliPolicy(run_rubric(allow=["git status"], read_only=False), report=lambda *a: reports.append(a))
    assert policy.on_command_approval(COMMAND, _context(1)) == {"decision": "accept"}
    assert policy.on_command_approval(OTHER, _context(2)) == {"decision": "decline"}
    chained = {**COMMAND, "command": "/bin/bash -lc 'git status && rm -rf /'"}
    assert policy.on_command_approval(chained, _context(3)) == {"decision": "decline"}
    assert policy.on_file_change_approval({}, _context(4)) == {"decision": "decline"}
    assert reports[:2] == [
        (1, "accept", "rule '--allow git status'"),
        (2, "decline", "no rule (fail-closed)"),
    ]


def test_read_only_declines_changes_and_permissions() -> None:
    policy = CliPolicy(run_rubric(allow=[], read_only=True), ask=lambda *a: ("accept", "you"))
    assert policy.on_file_change_approval({}, _context(1)) == {"decision": "decline"}
    assert policy.on_permissions_approval({"permissions": {"network": {"enabled": True}}}, _context(2)) == {
        "permissions": {},
        "scope": "turn",
    }
    assert [d[2] for d in policy.decisions] == [
        "rule '--read-only: no file changes'",
        "rule '--read-only: no permissions'",
    ]


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize(
    ("typed", "answer", "by"),
    [
        ("y\n", "accept", "you"),
        ("always\n", "acceptForSession", "you"),
        ("n\n", "decline", "you"),
        ("c\n", "cancel", "you"),
        ("?\nwhat\nhuh\n", "decline", "you (no valid answer)"),
        ("", "decline", "you (end of input)"),
    ],
)
def test_ask_on_the_terminal(typed: str, answer: str, by: str) -> None:
    out = io.StringIO()
    held: list[str] = []

    class Hold:
        def __enter__(self) -> None:
            held.append("held")

        def __exit__(self, *exc: object) -> None:
            held.append("released")

    policy = CliPolicy(
        run_rubric(allow=[], read_only=False), ask=TerminalAsker(_Terminal(typed), out, hold=Hold)
    )
    assert policy.on_command_approval(OTHER, _context(1)) == {"decision": answer}
    assert policy.decisions == [("command", answer, by)]
    assert "codex wants to run: rm -rf build\n  in /w\n" in out.getvalue()
    assert "[y] yes, [a] always, for this session, [n] no, [c] no, and stop the turn? " in out.getvalue()
    assert held == ["held", "released"]


def test_ask_without_a_terminal_declines_and_says_why_once() -> None:
    out = io.StringIO()
    policy = CliPolicy(run_rubric(allow=[], read_only=False), ask=TerminalAsker(io.StringIO("y\n"), out))
    assert policy.on_command_approval(OTHER, _context(1)) == {"decision": "decline"}
    assert policy.on_file_change_approval({}, _context(2)) == {"decision": "decline"}
    assert out.getvalue() == "--ask: standard input is not a terminal, so nobody can answer: declining.\n"
    assert policy.decisions[0] == ("command", "decline", "--ask (no terminal)")


def test_decision_words() -> None:
    assert (
        decision_word("command", {"decision": {"acceptWithExecpolicyAmendment": {}}})
        == "acceptWithExecpolicyAmendment"
    )
    assert decision_word("mcp_elicitation", {"action": "accept"}) == "accept"
    assert decision_word("permissions", {"permissions": {}, "scope": "turn"}) == "deny"
    assert decision_word("tool_input", {"answers": {}}) == "no answers"


# -- JSON lines ------------------------------------------------------------------------------------------
def test_event_and_response_json() -> None:
    event = ResponseEvent.from_notification(
        {
            "method": "item/agentMessage/delta",
            "params": {"threadId": "t", "turnId": "u", "itemId": "m", "delta": "hi"},
        }
    )
    line = json.loads(json.dumps(run.event_json(event)))
    assert line == {
        "type": "item/agentMessage/delta",
        "phase": "assistant",
        "thread_id": "t",
        "turn_id": "u",
        "item_id": "m",
        "request_id": None,
        "text_delta": "hi",
        "message_text": "hi",
        "params": {"threadId": "t", "turnId": "u", "itemId": "m", "delta": "hi"},
    }
    usage = {"total": {"totalTokens": 3}, "last": {"totalTokens": 3}}
    response = AgentResponse(text="hi", thread_id="t", turn_id="u", usage=usage, diff="d")
    assert json.loads(json.dumps(run.response_json(response))) == {
        "type": "response",
        "thread_id": "t",
        "turn_id": "u",
        "status": "completed",
        "text": "hi",
        "usage": usage,
        "diff": "d",
        "error": None,
    }


def test_demo_tags_take_colour_only_when_asked() -> None:
    from codex_python_sdk.cli._runner import Runner

    out = io.StringIO()
    Runner(out=out, color=True).run("ok", lambda: "fine")
    Runner(out=out).run("plain", lambda: "fine")
    assert out.getvalue() == "\x1b[32m[PASS]\x1b[0m ok: fine\n[PASS] plain: fine\n"
