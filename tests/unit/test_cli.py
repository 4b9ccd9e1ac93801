"""The demo CLI without an app-server: the case runner, the summary and exit codes, real-mode safety."""

from __future__ import annotations

import argparse
import contextlib
import io
from collections.abc import Iterator
from typing import Any

import pytest

from codex_python_sdk import AgentResponse, AuthRequiredError, ResponseEvent
from codex_python_sdk.cli import demo
from codex_python_sdk.cli._fake import expected_answer
from codex_python_sdk.cli._runner import Runner, Skip, StopRun


# -- the runner --------------------------------------------------------------------------------------------
def test_runner_lines_and_summary() -> None:
    out = io.StringIO()
    runner = Runner(out=out)
    assert runner.run("good", lambda: "fine") is True

    def bad() -> str:
        raise ValueError("wrong\nsecond line is not shown")

    def skipped() -> str:
        raise Skip("not here")

    assert runner.run("bad", bad) is False
    assert runner.run("skipped", skipped) is False
    runner.skip("later", "not run")
    assert runner.summary("demo") == 1
    assert out.getvalue().splitlines() == [
        "[PASS] good: fine",
        "[FAIL] bad: ValueError: wrong",
        "[SKIP] skipped: not here",
        "[SKIP] later: not run",
        "",
        "=== SUMMARY ===",
        "mode=demo total=4 passed=1 failed=1 skipped=2",
        "failed: bad: ValueError: wrong",
    ]


def test_runner_exit_0_without_failures_and_long_details_cut() -> None:
    out = io.StringIO()
    runner = Runner(out=out)
    runner.run("long", lambda: "x" * 500)
    assert runner.summary("smoke") == 0
    line = out.getvalue().splitlines()[0]
    assert line.endswith("…") and len(line) < 200


def test_runner_strict_stops_and_before_case_hook() -> None:
    seen: list[str] = []
    runner = Runner(out=io.StringIO(), strict=True, before_case=seen.append)
    runner.run("one", lambda: "ok")
    with pytest.raises(StopRun):
        runner.run("two", lambda: 1 / 0)  # type: ignore[arg-type,return-value]
    assert seen == ["one", "two"]
    assert [r.status for r in runner.results] == ["PASS", "FAIL"]


def test_expected_fake_answers() -> None:
    assert expected_answer("Reply with exactly: READY") == "READY"
    assert expected_answer("please reply WITH EXACTLY:  hello there ") == "hello there"
    assert expected_answer("List files") == "FAKE_MODEL_OK"


def test_parser_defaults_are_the_seeds() -> None:
    args = demo.build_parser().parse_args([])
    assert (args.mode, args.model, args.strict, args.show_events, args.fake_model) == (
        "smoke",
        None,
        False,
        False,
        False,
    )
    assert args.prompt_create == "Reply with exactly: READY"
    assert args.prompt_events == "List three files in current directory."
    assert args.prompt_stream == "Reply with exactly: STREAM_OK"


def test_permissive_hooks_are_explicit() -> None:
    hooks = demo.PERMISSIVE_HOOKS
    assert hooks["on_command_approval"]({}) == {"decision": "accept"}
    assert hooks["on_file_change_approval"]({}) == {"decision": "accept"}
    assert hooks["on_tool_request_user_input"]({}) == {"answers": {}}


def test_main_dispatches_doctor(monkeypatch: pytest.MonkeyPatch) -> None:
    from codex_python_sdk.cli import doctor

    calls: list[Any] = []

    def fake_doctor(out: Any, codex_command: str | None = None) -> int:
        calls.append(codex_command)
        return 7

    monkeypatch.setattr(doctor, "run_doctor", fake_doctor)
    assert demo.main(["doctor", "--codex", "/x/codex"]) == 7
    assert calls == ["/x/codex"]


# -- run_demo against a stub client (real mode: no fake backend) ---------------------------------------------
class _Page(list):  # type: ignore[type-arg]
    next_cursor = None


class StubClient:
    """Answers the demo's calls like a healthy server would, and records what was called."""

    def __init__(self) -> None:
        self.calls: list[str] = []
        self.closed = False
        self.fail: dict[str, BaseException] = {}

    def __getattribute__(self, name: str) -> Any:
        attr = object.__getattribute__(self, name)
        if callable(attr) and not name.startswith("_"):
            self_calls: list[str] = object.__getattribute__(self, "calls")
            fail: dict[str, BaseException] = object.__getattribute__(self, "fail")

            def wrapper(*args: Any, **kwargs: Any) -> Any:
                self_calls.append(name)
                if name in fail:
                    raise fail[name]
                return attr(*args, **kwargs)

            return wrapper
        return attr

    def thread_start(self, *, params: Any = None) -> Any:
        return {"thread": {"id": "t1"}}

    def responses_create(self, **kwargs: Any) -> AgentResponse:
        return AgentResponse(text="READY", thread_id="t1")

    def responses_stream_text(self, **kwargs: Any) -> Iterator[str]:
        yield from ("STREAM", "_OK")

    def responses_events(self, **kwargs: Any) -> Iterator[ResponseEvent]:
        yield ResponseEvent("thread/ready", thread_id="t1", raw={"threadId": "t1"})
        done = {
            "method": "turn/completed",
            "params": {"threadId": "t1", "turn": {"id": "u", "status": "completed"}},
        }
        yield ResponseEvent.from_notification(done)

    def thread_read(self, thread_id: str, *, include_turns: bool = False) -> Any:
        return {"turns": [], "preview": "p", "name": "demo-thread"}

    def thread_list(self, limit: int = 10) -> Any:
        return _Page([{"id": "t1"}])

    def thread_name_set(self, thread_id: str, name: str) -> Any:
        return {}

    def thread_fork(self, thread_id: str, *, params: Any = None) -> Any:
        return {"thread": {"id": "f1"}}

    def thread_loaded_list(self, *, limit: int | None = None) -> Any:
        return {"data": ["t1", "f1"]}

    def skills_list(self, *, force_reload: bool | None = None) -> Any:
        return {"data": [{"skills": [{}, {}]}]}

    def app_list(self, *, limit: int | None = None) -> Any:
        return {"data": []}

    def model_list(self, *, limit: int | None = None) -> Any:
        return {"data": [{"id": "gpt-x"}]}

    def account_rate_limits_read(self) -> Any:
        raise AuthRequiredError("authentication required")

    def account_read(self, *, refresh_token: bool | None = None) -> Any:
        return {"account": {"type": "apiKey"}, "requiresOpenaiAuth": True}

    def thread_archive(self, thread_id: str) -> Any:
        return {}

    def thread_unarchive(self, thread_id: str) -> Any:
        return {}

    def skills_config_write(self, path: str, enabled: bool) -> Any:
        raise AssertionError("the demo must never write the real config")


def _args(*argv: str) -> argparse.Namespace:
    return demo.build_parser().parse_args(list(argv))


@pytest.fixture
def stub(monkeypatch: pytest.MonkeyPatch) -> StubClient:
    client = StubClient()

    @contextlib.contextmanager
    def backend(args: argparse.Namespace) -> Iterator[tuple[Any, None]]:
        yield client, None

    monkeypatch.setattr(demo, "_backend", backend)
    return client


def test_real_mode_demo_never_writes_the_config(stub: StubClient) -> None:
    out = io.StringIO()
    assert demo.run_demo(_args("--mode", "demo"), out) == 0
    text = out.getvalue()
    assert "skills_config_write" not in stub.calls
    assert "[SKIP] skills_config_write: writes ~/.codex/config.toml; runs only with --fake-model" in text
    assert "[SKIP] account_rate_limits_read: needs a ChatGPT login" in text
    assert stub.calls.count("thread_archive") == 1 and "[PASS] thread_archive: archived t1" in text
    assert "mode=demo total=17 passed=15 failed=0 skipped=2" in text
    assert "permissive hooks" in text


def test_a_failed_case_gives_exit_1_and_the_run_goes_on(stub: StubClient) -> None:
    stub.fail["responses_create"] = RuntimeError("model melted")
    out = io.StringIO()
    assert demo.run_demo(_args(), out) == 1
    assert "[FAIL] responses_create: RuntimeError: model melted" in out.getvalue()
    assert "[PASS] responses_stream_text" in out.getvalue()
    assert "mode=smoke total=3 passed=2 failed=1 skipped=0" in out.getvalue()


def test_strict_prints_the_summary_and_exits_1(stub: StubClient) -> None:
    stub.fail["thread_start"] = RuntimeError("no server")
    out = io.StringIO()
    assert demo.run_demo(_args("--strict", "--mode", "full"), out) == 1
    assert stub.calls == ["thread_start"]
    assert out.getvalue().endswith(
        "[INFO] --strict: stopped at the first failure\n\n=== SUMMARY ===\n"
        "mode=full total=1 passed=0 failed=1 skipped=0\nfailed: thread_start: RuntimeError: no server\n"
    )


def test_ctrl_c_still_prints_the_summary(stub: StubClient) -> None:
    stub.fail["responses_stream_text"] = KeyboardInterrupt()
    out = io.StringIO()
    assert demo.run_demo(_args(), out) == 130
    assert "[INFO] interrupted" in out.getvalue() and "mode=smoke total=2 passed=2" in out.getvalue()


def test_setup_failure_is_reported(monkeypatch: pytest.MonkeyPatch) -> None:
    @contextlib.contextmanager
    def broken(args: argparse.Namespace) -> Iterator[tuple[Any, None]]:
        raise OSError("no loopback port")
        yield  # pragma: no cover

    monkeypatch.setattr(demo, "_backend", broken)
    out = io.StringIO()
    assert demo.run_demo(_args(), out) == 1
    assert "[FAIL] setup: OSError: no loopback port" in out.getvalue()
