"""``codex-python-sdk run`` as a user runs it: the real codex app-server against the fake model.

The subprocess tests use ``--fake-model`` (the built-in script: reasoning, a command that needs approval,
the Python tool ``count_words``, the answer). The in-process test points the command at a test's own fake
model the way a user points it at any provider: ``--codex-home`` and codex's own ``-c`` flags.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from codex_python_sdk.cli import run
from codex_python_sdk.testing import FakeModel, Reply

_SRC = Path(__file__).resolve().parents[2] / "src"


def cli(*args: str) -> tuple[int, str, str]:
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(_SRC), os.environ.get("PYTHONPATH")])),
    }
    env.pop("CLICOLOR_FORCE", None)
    done = subprocess.run(
        [sys.executable, "-m", "codex_python_sdk", "run", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        stdin=subprocess.DEVNULL,
    )
    return done.returncode, done.stdout, done.stderr


@pytest.mark.e2e
def test_a_turn_with_a_tool_call_in_the_view() -> None:
    code, out, err = cli("--fake-model", "hello there world")
    assert code == 0, out + err
    lines = out.splitlines()
    assert lines[0] == "thinking: Let me look around the workspace, then count the words of the prompt."
    # Fail-closed: nothing allowed the command, so it was declined, and the view says who decided.
    assert (
        lines[1]
        == "approval: run `ls` (see which files the workspace has) -> decline, by no rule (fail-closed)"
    )
    assert lines[2] == "$ ls  [declined]"
    assert lines[3].startswith('tool: count_words(text="hello there world") -> 3  [')
    assert lines[4].startswith("assistant: Your prompt has **3 words**.")
    assert lines[5].startswith("-- completed in ") and "3,940 total" in lines[5]


@pytest.mark.e2e
def test_allow_and_ask_decide_the_command() -> None:
    code, out, err = cli("--fake-model", "--allow", "ls", "hi")
    assert code == 0, out + err
    assert "-> accept, by rule '--allow ls'\n$ ls  [exit 0, " in out
    code, out, err = cli("--fake-model", "--ask", "hi")  # stdin is not a terminal: nobody can answer
    assert code == 0, out + err
    assert "-> decline, by --ask (no terminal)" in out
    assert "--ask: standard input is not a terminal" in err


@pytest.mark.e2e
def test_json_lines() -> None:
    code, out, err = cli(
        "--fake-model", "--json", "-c", "model_context_window=4242", "Reply with exactly: OK"
    )
    assert code == 0, err
    lines = [json.loads(line) for line in out.splitlines()]  # every line is one JSON object
    types = [line["type"] for line in lines]
    assert types[0] == "thread/ready" and types[-2] == "turn/completed"
    assert {"item/commandExecution/requestApproval", "item/tool/call", "item/agentMessage/delta"} <= set(
        types
    )
    response = lines[-1]
    assert (response["type"], response["status"], response["text"]) == ("response", "completed", "OK")
    assert (
        response["thread_id"] == lines[0]["thread_id"] and response["usage"]["total"]["totalTokens"] == 3940
    )
    # -c reached codex as its own -c would (codex reports 95% of the configured window as usable)
    assert {
        line["params"]["tokenUsage"]["modelContextWindow"]
        for line in lines
        if line["type"].startswith("thread/token")
    } == {4029}


@pytest.mark.e2e
def test_codex_home_config_thread_model_and_exit_codes(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with FakeModel() as model, model.home() as home:
        for name in [n for n in os.environ if n.startswith(("CODEX_", "OPENAI_"))]:
            monkeypatch.delenv(name)
        for name, value in home.env().items():
            monkeypatch.setenv(name, value)
        model.add(Reply.text("first"), Reply.text("second"), Reply.failed("the model broke"))
        common = ["--json", "--codex-home", str(home.codex_home), "--cwd", str(home.workspace)]
        common += model.config_args()  # ["-c", "model_provider=...", ...]: how a user points codex anywhere

        def turn(*args: str) -> tuple[int, list[dict[str, object]]]:
            code = run.main([*common, *args])
            return code, [json.loads(line) for line in capsys.readouterr().out.splitlines()]

        code, lines = turn("one")
        assert code == 0 and lines[-1]["text"] == "first"
        thread = str(lines[-1]["thread_id"])
        code, lines = turn("--thread", thread, "--model", "gpt-test", "two")
        assert code == 0 and (lines[-1]["text"], lines[-1]["thread_id"]) == ("second", thread)
        assert model.requests[-1].prompts == ["one", "two"]  # the same thread, continued
        assert model.requests[-1].json["model"] == "gpt-test"
        code, lines = turn("--thread", thread, "three")
        assert code == 1 and lines[-1]["status"] == "failed"  # exit 0 only when the turn completed
        code, lines = turn("--thread", "no-such-thread", "four")
        assert code == 1 and lines[-1]["type"] == "error"
