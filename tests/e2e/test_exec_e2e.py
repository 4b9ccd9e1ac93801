"""Commands end to end: ``command_exec`` / ``command_exec_events`` (no thread, no model) and the shell
tool inside a turn, whose output streams to the client and then reaches the model."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from codex_python_sdk import CodexAgenticError, CommandExecEvent
from codex_python_sdk.testing import FakeModel, FakeModelClient, Reply

pytestmark = pytest.mark.e2e

FULL_ACCESS = {"approvalPolicy": "never", "sandbox": "danger-full-access"}


def output(events: list[CommandExecEvent], stream: str) -> bytes:
    return b"".join(e.data for e in events if e.type == "command/exec/outputDelta" and e.stream == stream)


def test_command_exec_buffered(shared_client: FakeModelClient, shared_model: FakeModel) -> None:
    result = shared_client.command_exec(["bash", "-c", "echo out; echo err >&2; exit 3"])

    assert (result["exitCode"], result["stdout"], result["stderr"]) == (3, "out\n", "err\n")
    assert shared_model.requests == []  # no model involved


def test_command_exec_runs_in_the_workspace_and_times_out(shared_client: FakeModelClient) -> None:
    assert shared_client.command_exec(["pwd"])["stdout"] == f"{shared_client.workspace}\n"
    started = time.monotonic()
    timed_out = shared_client.command_exec(["sleep", "5"], timeout_ms=300)
    assert timed_out["exitCode"] == 124
    assert time.monotonic() - started < 4
    with pytest.raises(ValueError):
        shared_client.command_exec([])


def test_command_exec_events_stream_stdout_and_stderr(shared_client: FakeModelClient) -> None:
    script = "for i in 1 2 3; do echo line$i; sleep 0.05; done; echo oops >&2; exit 7"

    events = list(shared_client.command_exec_events(["bash", "-c", script]))

    deltas = [e for e in events if e.type == "command/exec/outputDelta"]
    assert len(deltas) >= 2  # streamed as it was written, not in one piece at the end
    assert output(events, "stdout") == b"line1\nline2\nline3\n"
    assert output(events, "stderr") == b"oops\n"
    final = events[-1]
    assert final.type == "command/exec/completed" and final.exit_code == 7
    assert {e.process_id for e in events} == {final.process_id}


def test_command_exec_events_with_stdin(shared_client: FakeModelClient) -> None:
    events = shared_client.command_exec_events(["cat"], process_id="cat-1", stream_stdin=True)
    first: list[CommandExecEvent] = []
    deadline = time.monotonic() + 10
    while True:  # the process may not be registered the instant the request is sent
        try:
            shared_client.command_exec_write("cat-1", data=b"hello stdin\n", close_stdin=True)
            break
        except CodexAgenticError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)
    first.extend(events)

    assert output(first, "stdout") == b"hello stdin\n"
    assert first[-1].type == "command/exec/completed" and first[-1].exit_code == 0


def _running(marker: str) -> bool:
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            argv = cmdline.read_bytes()
        except OSError:
            continue
        # bash's argv holds the whole script; the sleep child's is NUL-separated.
        if marker.encode() in argv or marker.replace(" ", "\0").encode() in argv:
            return True
    return False


@pytest.mark.skipif(not Path("/proc/self/cmdline").exists(), reason="needs /proc")
def test_leaving_command_exec_events_early_terminates_it(shared_client: FakeModelClient) -> None:
    marker = "sleep 31.4159"
    events = shared_client.command_exec_events(["bash", "-c", f"echo started; {marker}; echo never"])
    for event in events:
        assert event.data == b"started\n"
        break
    assert _running(marker)
    events.close()

    deadline = time.monotonic() + 10
    while _running(marker):
        assert time.monotonic() < deadline, "the command outlived its abandoned stream"
        time.sleep(0.05)


# ------------------------------------------------------------------------------ the shell tool in a turn


def test_shell_tool_output_streams_then_reaches_the_model(
    shared_client: FakeModelClient, shared_model: FakeModel
) -> None:
    shell = Reply.shell("for i in 1 2 3; do echo tick$i; sleep 0.1; done", yield_time_ms=5000)
    shared_model.add(shell, Reply.text("counted"))

    events = list(shared_client.responses_events(prompt="count", thread_params=FULL_ACCESS))

    # codex 0.163.0 streams only part of a unified-exec command's output as deltas (here the last
    # line); the completed item and the model get all of it.
    deltas = [e.text_delta or "" for e in events if e.type == "item/commandExecution/outputDelta"]
    assert deltas and all(delta in "tick1\ntick2\ntick3\n" for delta in deltas)
    assert all(e.item_id == shell.call_id for e in events if e.type == "item/commandExecution/outputDelta")
    commands = [
        e.item
        for e in events
        if e.type == "item/completed" and (e.item or {}).get("type") == "commandExecution"
    ]
    (command,) = commands
    assert command is not None and command["id"] == shell.call_id
    assert command["aggregatedOutput"] == "tick1\ntick2\ntick3\n" and command["exitCode"] == 0
    assert events[-1].type == "turn/completed"
    tool_output = shared_model.requests[1].tool_output(shell.call_id) or ""
    assert "Process exited with code 0" in tool_output and "tick3" in tool_output
