"""The demo runner as a user runs it: ``python -m codex_python_sdk ... --fake-model`` in a subprocess.

Each run starts the real ``codex app-server`` against the built-in fake model in a temporary CODEX_HOME
(about 1.5 s for ``--mode full``).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

_SRC = Path(__file__).resolve().parents[2] / "src"
_CASE = re.compile(r"^\[(PASS|FAIL|SKIP)\] ([a-z_]+): (.*)$")


def run_demo(*args: str, env: dict[str, str] | None = None) -> tuple[int, str]:
    environment = {k: v for k, v in os.environ.items() if k != "CLICOLOR_FORCE"}  # plain text to parse
    environment.update(env or {})
    environment["PYTHONPATH"] = os.pathsep.join(filter(None, [str(_SRC), environment.get("PYTHONPATH")]))
    done = subprocess.run(
        [sys.executable, "-m", "codex_python_sdk", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env=environment,
    )
    return done.returncode, done.stdout + done.stderr


def cases(output: str) -> dict[str, tuple[str, str]]:
    return {m.group(2): (m.group(1), m.group(3)) for m in map(_CASE.match, output.splitlines()) if m}


@pytest.mark.e2e
def test_full_mode_offline_passes() -> None:
    code, output = run_demo("--mode", "full", "--fake-model", "--show-events", "--color", "off")
    assert code == 0, output
    results = cases(output)
    assert {status for status, _ in results.values()} <= {"PASS", "SKIP"}, output
    skipped = {name for name, (status, _) in results.items() if status == "SKIP"}
    assert skipped == {"account_rate_limits_read", "skills_remote_list", "skills_remote_export"}
    assert "removed the remote skills API" in results["skills_remote_list"][1]
    assert "needs a ChatGPT login" in results["account_rate_limits_read"][1]
    for name in ("responses_events", "thread_rollback", "turn_interrupt", "thread_compact_start"):
        assert results[name][0] == "PASS", name
    assert results["turn_interrupt"][1] == "review turn interrupted"
    assert results["skills_config_write"][1].endswith("in the temporary config.toml")
    # The events turn was rendered: the approval the permissive hook accepted, the command and its output.
    for line in (
        "[approval] command: /bin/bash -c 'ls -1'",
        "[tool.exec.done] completed, exit=0",
        "data.csv",
    ):
        assert line in output
    assert "permissive hooks" in output
    assert "=== SUMMARY ===\nmode=full total=25 passed=22 failed=0 skipped=3" in output


@pytest.mark.e2e
def test_the_readmes_first_command_tells_the_story_then_the_checks() -> None:
    code, output = run_demo("--mode", "demo", "--fake-model")
    assert code == 0, output
    story = output[output.index("you: Make main.py greet") : output.index("[PASS] story: ")]
    lines = story.rstrip("\n").splitlines()
    assert (
        lines[1] == "thinking: The user wants `main.py` to greet the world. I'll look at the workspace first."
    )
    for line in (
        "approval: run `ls -1` (see the files of the workspace) -> accept, by rule 'read-only commands'",
        "assistant: `main.py` prints *hello*; I'll make it greet the world.",
        "approval: edit main.py -> accept, by rule 'edits inside the workspace'",
        "edit main.py (update)  [+1 -1, applied]",
        "    -print('hello')",
        "    +print('hello, world')",
        "assistant: Done:",
        "- `README.md` has **3 words**",
    ):
        assert line in lines, line
    assert any(line.startswith('tool: word_count(path="README.md") -> 3  [') for line in lines), story
    assert lines[-1].startswith("-- completed in ") and "10,625 total" in lines[-1]  # the turn's usage
    results = cases(output)
    assert results["story"][0] == "PASS"
    assert list(results)[:2] == ["story", "thread_start"]  # the story first, then the checks
    assert "=== SUMMARY ===\nmode=demo total=19 passed=18 failed=0 skipped=1" in output


@pytest.mark.e2e
def test_smoke_is_the_default_mode() -> None:
    code, output = run_demo("--fake-model")
    assert code == 0, output
    assert list(cases(output)) == [
        "thread_start",
        "responses_create",
        "responses_stream_text",
        "fake_model_script",
    ]
    assert "mode=smoke total=4 passed=4 failed=0 skipped=0" in output


@pytest.mark.e2e
def test_a_failure_exits_1_with_the_summary() -> None:
    broken = {"CODEX_PYTHON_SDK_CODEX": "/bin/false"}  # an "app-server" that exits at once
    code, output = run_demo("--mode", "demo", "--fake-model", "--no-story", env=broken)
    assert code == 1, output
    results = cases(output)
    assert results["thread_start"][0] == "FAIL"
    assert "AppServerConnectionError" in results["thread_start"][1]
    # The connection is gone: the other cases are skipped rather than failing for the same reason again.
    assert {status for name, (status, _) in results.items() if name != "thread_start"} <= {"SKIP", "PASS"}
    assert results["model_list"] == ("SKIP", "no app-server connection (see the first failure)")
    assert "=== SUMMARY ===" in output and "failed=1" in output
    assert "failed: thread_start: AppServerConnectionError" in output


@pytest.mark.e2e
def test_strict_stops_at_the_first_failure_and_still_summarises() -> None:
    code, output = run_demo(
        "--mode", "full", "--fake-model", "--strict", env={"CODEX_PYTHON_SDK_CODEX": "/bin/false"}
    )
    assert code == 1, output
    assert list(cases(output)) == ["story"]  # the story is the first case: its failure counts too
    assert "AppServerConnectionError" in cases(output)["story"][1]
    assert "[INFO] --strict: stopped at the first failure" in output
    assert "mode=full total=1 passed=0 failed=1 skipped=0" in output


@pytest.mark.e2e
def test_doctor(tmp_path: Path) -> None:
    code, output = run_demo("doctor", env={"CODEX_HOME": str(tmp_path)})  # never the real ~/.codex
    assert code == 0, output
    assert re.search(r"^\[ok\] codex binary: .*\(found by \d\. ", output, re.MULTILINE), output
    assert "[ok] codex --version: codex-cli" in output
    assert "[ok] app-server: initialized" in output
    assert f"[info] CODEX_HOME: {tmp_path}" in output
    code, output = run_demo("doctor", "--codex", "/nonexistent/codex")
    assert code == 1 and "[FAIL] codex binary: No usable codex binary" in output
