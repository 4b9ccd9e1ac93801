"""Seed code runs unchanged: its module paths, client attributes, renderer notices, policy contexts.

What the seed 0.2.x's own test suite (the tests that use public names only) relies on, beyond the top-level
names that ``test_seed_contract`` freezes.
"""

from __future__ import annotations

import asyncio
import importlib
import io
import os
import subprocess
import sys
from typing import Any

import pytest

import codex_python_sdk as sdk
from codex_python_sdk import (
    AsyncCodexAgenticClient,
    CodexAgenticClient,
    CodexAgenticError,
    LlmRubricPolicyEngine,
    PolicyJudgeConfig,
    ResponseEvent,
    RuleBasedPolicyEngine,
    render_exec_style_events,
)
from codex_python_sdk._client._launch import plan_launch
from codex_python_sdk.hooks import RequestContext
from codex_python_sdk.render import resolve_color_mode

SEED_MODULES = {
    "renderer": ["ExecStyleRenderer", "render_exec_style_events"],
    "types": ["AgentResponse", "ResponseEvent", "CommandExecEvent"],
    "async_client": ["AsyncCodexAgenticClient", "DEFAULT_CLI_COMMAND", "DEFAULT_APP_SERVER_ARGS"],
    "sync_client": ["CodexAgenticClient", "AsyncCodexAgenticClient"],
    "factory": ["create_client", "create_async_client"],
}


# -- module paths ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("module", sorted(SEED_MODULES))
def test_seed_module_paths_export_the_packages_objects(module: str) -> None:
    mod = importlib.import_module(f"codex_python_sdk.{module}")
    for name in SEED_MODULES[module]:
        assert getattr(mod, name) is getattr(sdk, name), f"codex_python_sdk.{module}.{name}"
        assert name in mod.__all__


def test_async_client_module_keeps_the_seed_constants() -> None:
    from codex_python_sdk import async_client

    assert async_client.DEFAULT_CLI_COMMAND == "codex"
    assert list(async_client.DEFAULT_APP_SERVER_ARGS) == ["app-server"]
    assert async_client.DEFAULT_STREAM_IDLE_TIMEOUT_SECONDS == 60.0
    assert async_client.DEFAULT_NOTIFICATION_BUFFER_LIMIT == 1024
    assert async_client.DEFAULT_STDERR_BUFFER_LIMIT == 500
    assert async_client.DEFAULT_THREAD_BASELINE == {
        "approvalPolicy": "on-request",
        "sandbox": "workspace-write",
    }
    # The fail-closed answers the client really sends when nothing else decides.
    assert async_client.DEFAULT_COMMAND_APPROVAL_RESULT == {"decision": "decline"}
    assert async_client.DEFAULT_FILE_CHANGE_APPROVAL_RESULT == {"decision": "decline"}
    assert async_client.DEFAULT_PERMISSIONS_APPROVAL_RESULT == {"permissions": {}, "scope": "turn"}
    assert async_client.DEFAULT_MCP_ELICITATION_RESULT == {"action": "decline"}


def test_seed_module_paths_are_loaded_only_when_imported_by_path() -> None:
    # They import the client (asyncio, orjson): the package and its lazy names must not pull them in.
    paths = [f"codex_python_sdk.{m}" for m in SEED_MODULES]
    code = (
        "import sys, codex_python_sdk\n"
        "from codex_python_sdk import CodexAgenticClient, create_client, render_exec_style_events\n"
        f"print([m for m in {paths!r} if m in sys.modules])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


# -- the seed's option attributes --------------------------------------------------------------------------
def test_env_attribute_is_the_app_servers_environment() -> None:
    assert AsyncCodexAgenticClient(env={}).env == {}  # an explicit empty env stays empty
    client = AsyncCodexAgenticClient()
    assert client.env == dict(os.environ)  # no env given: a copy of ours, as in the seed
    client.env["SEED_COMPAT_MARK"] = "1"  # changed before the launch: the app-server gets it
    assert plan_launch(client._options).env["SEED_COMPAT_MARK"] == "1"
    assert "SEED_COMPAT_MARK" not in os.environ
    client.env = {"ONLY": "this"}
    assert plan_launch(client._options).env["ONLY"] == "this"


@pytest.mark.parametrize("client_cls", [AsyncCodexAgenticClient, CodexAgenticClient])
def test_constructor_options_are_readable_and_writable_attributes(client_cls: Any) -> None:
    client = client_cls(
        env={"A": "1"},
        process_cwd="/tmp",
        enabled_features=["f1"],
        disabled_features=["f2"],
        default_turn_params={"effort": "low"},
        server_config_overrides={"model": "m"},
        stream_idle_timeout_seconds=5.0,
    )
    try:
        assert client.env == {"A": "1"} and client.process_cwd == "/tmp"
        assert (client.enabled_features, client.disabled_features) == (["f1"], ["f2"])
        assert client.default_turn_params == {"effort": "low"}
        assert client.server_config_overrides == {"model": "m"}
        assert client.stream_idle_timeout_seconds == 5.0
        assert client.app_server_args == ["app-server"] and client.codex_command is None
        assert client.automatic_approval_review is False and client.enable_web_search is False
        client.enabled_features.append("f3")  # the seed's lists were live: so are these
        client.enable_web_search = True
        flags = plan_launch(getattr(client, "_async", client)._options).argv
        assert flags[flags.index("f3") - 1] == "--enable" and 'web_search="live"' in flags
    finally:
        if isinstance(client, CodexAgenticClient):
            client.close()


@pytest.mark.parametrize("factory", [AsyncCodexAgenticClient, CodexAgenticClient, sdk.create_client])
def test_automatic_review_with_guardian_disabled_is_rejected(factory: Any) -> None:
    with pytest.raises(CodexAgenticError, match="guardian_approval"):
        factory(automatic_approval_review=True, disabled_features=["guardian_approval"])


# -- renderer: deprecation notices -------------------------------------------------------------------------
def _render(*events: ResponseEvent) -> str:
    sink = io.StringIO()
    render_exec_style_events(iter(events), stream=sink, color="off")
    return sink.getvalue()


def test_a_deprecation_notice_prints_once_whatever_its_spelling() -> None:
    legacy = ResponseEvent(
        "codex/event/deprecation_notice", "system", message_text="deprecation_notice",
        raw={"params": {"method": "thread/resume"}},
    )  # fmt: skip
    current = ResponseEvent(
        "deprecationNotice",
        "system",
        message_text="deprecationNotice",
        raw={"params": {"method": "thread/resume"}},
    )
    assert _render(legacy, current) == "[warning] thread/resume is deprecated\n"
    renamed = {"method": "thread/resume", "replacement": "thread/start"}
    notice = ResponseEvent("deprecationNotice", message_text="deprecated", raw={"params": renamed})
    assert _render(notice) == "[warning] thread/resume is deprecated; use thread/start\n"


def test_a_deprecation_notice_that_names_nothing_is_not_printed() -> None:
    assert _render(ResponseEvent("deprecationNotice", "system", message_text="deprecationNotice")) == ""
    assert _render(ResponseEvent("deprecationNotice", raw={"params": {}})) == ""


def test_codex_deprecation_notices_print_their_summary_once() -> None:
    params = {"summary": "`thread/foo` is deprecated.", "details": "Use `thread/bar`."}
    current = ResponseEvent.from_notification({"method": "deprecationNotice", "params": params})
    legacy = ResponseEvent.from_notification(
        {"method": "codex/event/deprecation_notice", "params": {"msg": params}}
    )
    assert _render(current, current, legacy) == "[warning] `thread/foo` is deprecated.: Use `thread/bar`.\n"


def test_color_auto_on_a_stream_whose_isatty_raises_is_off() -> None:
    class Broken(io.StringIO):
        def isatty(self) -> bool:
            raise RuntimeError("isatty failed")

    assert resolve_color_mode("auto", Broken()) == "off"


# -- events ----------------------------------------------------------------------------------------------
def test_event_message_texts_match_the_seed() -> None:
    def text(method: str, **params: Any) -> str | None:
        return ResponseEvent.from_notification({"method": method, "params": params}).message_text

    assert text("item/mcpToolCall/progress", message="searching docs") == "searching docs"
    plan = [{"status": s} for s in ("completed", "pending", "inProgress", "pending")]
    assert text("turn/plan/updated", explanation="work", plan=plan) == (
        "work, steps=4, inProgress=1, pending=2, completed=1"
    )
    assert text("turn/plan/updated") == "plan, steps=0"
    assert text("thread/tokenUsage/updated", tokenUsage={"total": {"totalTokens": 34}}) == "total=34"
    assert text("thread/tokenUsage/updated", tokenUsage={}) is None


# -- policy: the seed's PolicyContext and 0.1.0's judge keywords -----------------------------------------
SEED_CONTEXT: dict[str, Any] = {
    "request_type": "command",
    "method": "item/commandExecution/requestApproval",
    "thread_id": "t1",
    "turn_id": "u1",
    "item_id": "i1",
    "params": {"command": "rm -rf /"},
}


def test_a_context_built_like_the_seeds_tests_drives_a_rule_engine() -> None:
    engine = RuleBasedPolicyEngine(
        {
            "command_rules": [
                {"name": "block_rm_root", "priority": 5, "when": {"command_regex": r"rm\s+-rf\s+/"},
                 "decision": "cancel"},
                {"name": "thread", "when": {"thread_id_regex": "^t1$"}, "decision": "accept"},
            ],
        }
    )  # fmt: skip
    ctx = RequestContext(**SEED_CONTEXT)
    assert (ctx.kind, ctx.request_id, ctx.item) == ("command", None, None)
    assert engine.on_command_approval({"command": "rm -rf /"}, ctx) == {"decision": "cancel"}
    assert engine.on_command_approval({"command": "ls"}, ctx) == {"decision": "accept"}


def test_policy_context_takes_the_seeds_keywords() -> None:
    assert sdk.PolicyContext(**SEED_CONTEXT).request_type == "command"


def test_llm_judge_takes_the_seed_keywords() -> None:
    config = PolicyJudgeConfig(timeout_seconds=3.0, client_options={"env": {"X": "1"}, "process_cwd": "/a"})
    engine = LlmRubricPolicyEngine(
        rubric={"system_rubric": "judge", "use_llm_judge": True},
        judge_config=config,
        codex_command="/opt/codex",
        process_cwd="/b",
        server_config_overrides={"model": "m"},
    )
    assert engine.judge_config is engine.config and engine.config.timeout_seconds == 3.0
    assert engine.config.client_options == {
        "env": {"X": "1"}, "process_cwd": "/b", "codex_command": "/opt/codex",
        "server_config_overrides": {"model": "m"},
    }  # fmt: skip
    with pytest.raises(TypeError, match="judge_config"):
        LlmRubricPolicyEngine(config=config, judge_config=config)


def test_responses_create_and_stream_text_follow_a_replaced_responses_events() -> None:
    """Seed code (and its tests) stub ``client.responses_events``; the other two turn methods use it."""
    from codex_python_sdk import AsyncCodexAgenticClient, ResponseEvent

    client = AsyncCodexAgenticClient()

    async def fake_events(**_: Any) -> Any:
        yield ResponseEvent(type="thread/ready", phase="system", thread_id="t-1")
        yield ResponseEvent(
            type="item/agentMessage/delta", phase="assistant", thread_id="t-1", text_delta="{"
        )
        yield ResponseEvent(
            type="codex/event/agent_message", phase="system", thread_id="t-1", message_text='{"a": 1}'
        )
        yield ResponseEvent(type="turn/completed", phase="completed", thread_id="t-1")

    client.responses_events = fake_events  # type: ignore[method-assign]

    async def main() -> tuple[Any, list[str]]:
        response = await client.responses_create(prompt="x", include_events=True)
        chunks = [c async for c in client.responses_stream_text(prompt="x")]
        return response, chunks

    response, chunks = asyncio.run(main())
    assert (response.thread_id, response.text, response.status) == ("t-1", '{"a": 1}', "completed")
    assert response.events is not None and len(response.events) == 4
    assert chunks == ["{"]
