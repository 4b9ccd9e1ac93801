"""Policies end to end: real app-server, FakeModel, every server request type in one turn.

One scripted turn (Plan mode, ``on-request`` + ``read-only``, the ``request_permissions`` tool enabled, a
fake MCP server) makes codex send all six request kinds: a command approval, a file-change approval, a
permissions request, a dynamic tool call, a user-input question, then (after ``tool_search``) the MCP
tool-call approval and the tool's own elicitation. That turn runs under the rule engine, under an engine
whose answers are invalid, under the LLM judge (a second app-server on the same FakeModel), and with hooks
that outlive ``approval_timeout_seconds``. Withdrawal (``serverRequest/resolved`` after an interrupt) is
per kind; the native reviewer has its own client. Plain hooks per kind are in ``test_approvals_e2e.py``.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from codex_python_sdk import AgentResponse, HookError, RequestContext, RuleBasedPolicyEngine
from codex_python_sdk.policy import LlmRubricPolicyEngine, PolicyJudgeConfig, PolicyRubricError
from codex_python_sdk.testing import FakeHome, FakeMcpServer, FakeModel, FakeModelClient, ModelRequest, Reply

pytestmark = pytest.mark.e2e

ON_REQUEST_READ_ONLY = {"approvalPolicy": "on-request", "sandbox": "read-only"}
PLAN_MODE = {"collaborationMode": {"mode": "plan", "settings": {"model": "gpt-5.5"}}}
WEATHER = {
    "type": "function",
    "name": "get_weather",
    "description": "Get the weather of a city",
    "inputSchema": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
}
HOOKS = (
    "on_command_approval",
    "on_file_change_approval",
    "on_permissions_approval",
    "on_tool_request_user_input",
    "on_mcp_elicitation_request",
    "on_tool_call",
)


@dataclass
class Env:
    model: FakeModel
    client: FakeModelClient
    mcp: FakeMcpServer


def _mcp() -> FakeMcpServer:
    return FakeMcpServer("fake").tool(
        "ask_name", elicit="What is your name?", schema={"name": {"type": "string"}}, required=["name"]
    )


@pytest.fixture(scope="module")
def _model() -> Iterator[FakeModel]:
    with FakeModel() as model:
        yield model


@pytest.fixture(scope="module")
def _mcp_server() -> Iterator[FakeMcpServer]:
    server = _mcp()
    yield server
    server.cleanup()


def _all_kinds_client(model: FakeModel, mcp: FakeMcpServer, **kwargs: Any) -> FakeModelClient:
    return model.client(
        enabled_features=["request_permissions_tool"],
        server_config_overrides=mcp.config_overrides(),
        **kwargs,
    )


@pytest.fixture(scope="module")
def _main(_model: FakeModel, _mcp_server: FakeMcpServer) -> Iterator[FakeModelClient]:
    with _all_kinds_client(_model, _mcp_server) as client:
        yield client


@pytest.fixture
def env(_model: FakeModel, _main: FakeModelClient, _mcp_server: FakeMcpServer) -> Iterator[Env]:
    """The module's model (cleared) and client (no hooks, no policy)."""
    _model.clear()
    for name in HOOKS:
        setattr(_main, name, None)
    _main.policy_engine = None
    yield Env(_model, _main, _mcp_server)
    _model.respond_with(None)
    for name in HOOKS:
        setattr(_main, name, None)
    _main.policy_engine = None


# ---------------------------------------------------------------------------------- the all-kinds turn
@dataclass
class AllKinds:
    """One turn whose tool calls make codex send every kind of server request (in this order)."""

    shell: Reply
    chained: Reply
    patch: Reply
    permissions: Reply
    tool: Reply
    ask: Reply
    mcp: Reply

    @classmethod
    def script(cls, model: FakeModel, tag: str) -> AllKinds:
        turn = cls(
            shell=Reply.shell(f"touch {tag}-cmd.txt", escalated=True, justification="create a file"),
            chained=Reply.shell(f"cat /etc/hostname > {tag}-copy.txt", escalated=True),
            patch=Reply.add_file(f"{tag}-patch.txt", "patched"),
            permissions=Reply.tool_call(
                "request_permissions", {"permissions": {"network": {"enabled": True}}}
            ),
            tool=Reply.tool_call("get_weather", {"city": "Paris"}),
            ask=Reply.ask("Pick one?", ["A (Recommended)", "B"], id="pick"),
            mcp=Reply.mcp_tool_call("fake", "ask_name"),
        )
        first = Reply.items(
            turn.shell,
            turn.chained,
            turn.patch,
            turn.permissions,
            turn.tool,
            turn.ask,
            Reply.tool_search("name"),
        )
        model.add(first, turn.mcp, Reply.text(f"{tag} done"))
        return turn

    def run(self, client: FakeModelClient, prompt: str) -> AgentResponse:
        params = {**ON_REQUEST_READ_ONLY, "dynamicTools": [WEATHER]}
        return client.responses_create(prompt=prompt, thread_params=params, turn_params=PLAN_MODE)

    def outputs(self, model: FakeModel) -> dict[str, str]:
        """What reached the model for each call."""
        calls = {
            "command": self.shell,
            "chained": self.chained,
            "file_change": self.patch,
            "permissions": self.permissions,
            "tool_call": self.tool,
            "tool_input": self.ask,
            "mcp": self.mcp,
        }
        return {kind: model.tool_output(reply.call_id) or "" for kind, reply in calls.items()}


# ---------------------------------------------------------------------------------- rule engine
def test_rule_engine_decides_every_request_kind(env: Env, tmp_path: Path) -> None:
    ws = str(env.client.workspace)
    audit = tmp_path / "audit.jsonl"
    engine = RuleBasedPolicyEngine(
        {
            "command_rules": [
                {
                    "name": "touch-here",
                    "when": {"command_prefix": "touch", "cwd_prefix": ws},
                    "decision": "accept",
                }
            ],
            "file_change_rules": [
                {"name": "workspace-files", "when": {"paths_under": ws}, "decision": "accept"}
            ],
            "permissions_rules": [
                {
                    "name": "network-only",
                    "when": {"network_requested": True, "file_system_requested": False},
                    "decision": "grant",
                }
            ],
            "tool_input_rules": [
                {"name": "recommended", "when": {"question_id_regex": "^pick$"}, "decision": "first_option"}
            ],
            "mcp_elicitation_rules": [
                {
                    "name": "fake-may-run",
                    "when": {"server_regex": "^fake$", "message_regex": "run tool"},
                    "decision": "accept",
                },
                {
                    "name": "my-name",
                    "when": {"message_regex": "What is your name"},
                    "decision": {"action": "accept", "content": {"name": "Ada"}},
                },
            ],
            "tool_call_rules": [
                {"name": "no-weather-today", "when": {"tool_regex": "^get_weather$"}, "decision": "fail"}
            ],
            "audit": {"path": str(audit)},
        }
    )
    env.client.policy_engine = engine
    turn = AllKinds.script(env.model, "rules")

    result = turn.run(env.client, "do everything")

    assert result.status == "completed" and result.text == "rules done"
    out = turn.outputs(env.model)
    assert (
        "Process exited with code 0" in out["command"] and (env.client.workspace / "rules-cmd.txt").exists()
    )
    assert "rejected by user" in out["chained"]  # not a simple command: the default declined it
    assert "Success" in out["file_change"], audit.read_text()
    assert (env.client.workspace / "rules-patch.txt").exists()
    assert json.loads(out["permissions"])["permissions"]["network"] == {"enabled": True}
    assert "no-weather-today" in out["tool_call"]
    assert json.loads(out["tool_input"]) == {"answers": {"pick": {"answers": ["A (Recommended)"]}}}
    assert '"name": "Ada"' in out["mcp"]
    engine.close()
    trail = [json.loads(line) for line in audit.read_text().splitlines()]
    assert sorted((r["kind"], str(r["rule"])) for r in trail) == sorted(
        [
            ("command", "touch-here"),
            ("command", "None"),
            ("file_change", "workspace-files"),
            ("permissions", "network-only"),
            ("tool_call", "no-weather-today"),
            ("tool_input", "recommended"),
            ("mcp_elicitation", "fake-may-run"),
            ("mcp_elicitation", "my-name"),
        ]
    )
    assert all(r["thread_id"] == result.thread_id for r in trail)
    assert env.client.hook_errors == [] or all(
        e.context.thread_id != result.thread_id for e in env.client.hook_errors
    )


def test_a_rule_typo_fails_when_the_client_is_made(env: Env) -> None:
    rubric = {"command_rules": [{"name": "ls-only", "when": {"command_prefx": "ls"}, "decision": "accept"}]}
    with pytest.raises(
        PolicyRubricError, match=r"command_rules\[0\] \('ls-only'\): unknown condition 'command_prefx'"
    ):
        env.model.client(policy_rubric=rubric)


def test_invalid_engine_answers_are_answered_fail_closed(env: Env) -> None:
    class Broken:
        """Answers every kind with something the protocol does not allow."""

        def on_command_approval(self, params: Any, context: Any) -> Any:
            return {"decision": "approve"}

        def on_file_change_approval(self, params: Any, context: Any) -> Any:
            return "approve"  # a bare decision is fine, but not this one

        def on_permissions_approval(self, params: Any, context: Any) -> Any:
            return {"permissions": {}, "scope": "forever"}

        def on_tool_request_user_input(self, params: Any, context: Any) -> Any:
            return {"answers": {"pick": "A"}}

        async def on_mcp_elicitation_request(self, params: Any, context: Any) -> Any:
            return {"action": "maybe"}

        def on_tool_call(self, params: Any, context: Any) -> Any:
            raise RuntimeError("tool engine exploded")

    env.client.policy_engine = Broken()
    reported: list[HookError] = []
    env.client.on_hook_error = reported.append
    before = len(env.client.hook_errors)
    turn = AllKinds.script(env.model, "broken")

    try:
        result = turn.run(env.client, "do everything")
    finally:
        env.client.on_hook_error = None

    assert result.status == "completed"
    errors = env.client.hook_errors[before:]
    assert errors == reported
    kinds = sorted(e.context.kind for e in errors)
    assert kinds == [
        "command",
        "command",
        "file_change",
        "mcp_elicitation",
        "permissions",
        "tool_call",
        "tool_user_input",
    ]
    out = turn.outputs(env.model)
    assert "rejected by user" in out["command"] and not (env.client.workspace / "broken-cmd.txt").exists()
    assert "rejected" in out["file_change"]
    assert json.loads(out["permissions"]) == {
        "permissions": {"network": None, "file_system": None},
        "scope": "turn",
    }
    assert json.loads(out["tool_input"]) == {"answers": {}}
    assert "The tool call failed in the client (RuntimeError)" in out["tool_call"]
    assert "Ada" not in out["mcp"]  # the MCP tool's approval was declined: it never ran
    assert any("tool engine exploded" in str(e.error) for e in errors)


# ---------------------------------------------------------------------------------- LLM judge
def _judge_verdicts(request: ModelRequest) -> Reply | None:
    """The judge's answers, by what the judge was asked (only judge requests carry the output schema)."""
    fmt = request.text_format
    if fmt is None or ("decision" not in json.dumps(fmt) and "answers" not in json.dumps(fmt)):
        return None
    prompt = request.last_user_text or ""
    if "requestUserInput" in prompt:
        return Reply.text(
            json.dumps({"answers": [{"id": "pick", "answers": ["B"]}], "reason": "B is better"})
        )
    verdicts = {
        "commandExecution": "accept" if "touch" in prompt else "decline",
        "fileChange": "decline",
        "permissions": "grant",
        "elicitation": "accept" if "run tool" in prompt else "decline",
    }
    decision = next(v for key, v in verdicts.items() if key in prompt)
    return Reply.text(json.dumps({"decision": decision, "reason": f"judged {decision}"}))


@pytest.fixture(scope="module")
def judge_home(_model: FakeModel) -> Iterator[FakeHome]:
    with _model.home() as home:
        yield home


def test_llm_judge_decides_what_no_rule_does(env: Env, judge_home: FakeHome, tmp_path: Path) -> None:
    audit = tmp_path / "judge.jsonl"
    rubric = {
        "system_rubric": "Allow creating files with touch. Never copy system files.",
        "mode": "strict",
        "tool_input_rules": [],
        "audit": str(audit),
    }
    engine = LlmRubricPolicyEngine(
        rubric, PolicyJudgeConfig(timeout_seconds=20, client_options=judge_home.client_kwargs())
    )
    env.client.policy_engine = engine
    env.model.respond_with(_judge_verdicts)
    turn = AllKinds.script(env.model, "judge")
    try:
        result = turn.run(env.client, "do everything")
        judge_requests = [r for r in env.model.requests if r.text_format is not None and r.kind == "turn"]
    finally:
        engine.close()

    assert result.status == "completed" and result.text == "judge done"
    out = turn.outputs(env.model)
    assert (env.client.workspace / "judge-cmd.txt").exists()
    assert "rejected by user" in out["chained"]
    assert "patch rejected" in out["file_change"] and not (env.client.workspace / "judge-patch.txt").exists()
    assert json.loads(out["permissions"])["permissions"]["network"] == {"enabled": True}
    assert json.loads(out["tool_input"]) == {"answers": {"pick": {"answers": ["B"]}}}
    assert "No handler for tool 'get_weather'" in out["tool_call"]  # tool calls are never judged
    # The judge ran in its own app-server: ephemeral threads, the rubric as instructions, a JSON schema.
    assert len(judge_requests) == 7
    first = judge_requests[0]
    assert first.thread_id != result.thread_id
    assert "Never copy system files." in json.dumps(first.input) and first.text_format is not None
    assert first.text_format["type"] == "json_schema"
    assert first.text_format["schema"]["properties"]["decision"]["enum"] == ["accept", "decline"]
    trail = [json.loads(line) for line in audit.read_text().splitlines()]
    judged = [r for r in trail if r["engine"] == "llm_judge"]
    assert len(judged) == 7 and all(r["judge"]["reason"].startswith(("judged", "B is")) for r in judged)


def test_llm_judge_falls_back_when_it_times_out_or_talks_nonsense(env: Env, judge_home: FakeHome) -> None:
    engine = LlmRubricPolicyEngine(
        {"system_rubric": "Allow everything."},
        PolicyJudgeConfig(timeout_seconds=20, client_options=judge_home.client_kwargs()),
    )
    env.client.policy_engine = engine
    judged: list[str] = []

    def judge(request: ModelRequest) -> Reply | None:
        if request.text_format is None:
            return None
        judged.append("x")
        return Reply.text("I think you should accept.") if len(judged) == 1 else Reply.text("{}").hang()

    env.model.respond_with(judge)
    try:
        nonsense = Reply.shell("touch nonsense.txt", escalated=True)
        env.model.add(nonsense, Reply.text("declined 1"))
        first = env.client.responses_create(prompt="one", thread_params=ON_REQUEST_READ_ONLY)
        engine.config = dataclasses.replace(engine.config, timeout_seconds=0.5)
        slow = Reply.shell("touch slow.txt", escalated=True)
        env.model.add(slow, Reply.text("declined 2"))
        started = time.monotonic()
        second = env.client.responses_create(prompt="two", thread_params=ON_REQUEST_READ_ONLY)
        elapsed = time.monotonic() - started
    finally:
        env.model.release_all()
        engine.close()

    assert first.status == second.status == "completed"
    assert "rejected by user" in (env.model.tool_output(nonsense.call_id) or "")
    assert "rejected by user" in (env.model.tool_output(slow.call_id) or "")
    assert elapsed < 10
    assert (
        not (env.client.workspace / "nonsense.txt").exists()
        and not (env.client.workspace / "slow.txt").exists()
    )


# ---------------------------------------------------------------------------------- timeouts
@pytest.fixture(scope="module")
def timing_client(_model: FakeModel, _mcp_server: FakeMcpServer) -> Iterator[FakeModelClient]:
    with _all_kinds_client(
        _model, _mcp_server, approval_timeout_seconds=0.6, stream_idle_timeout_seconds=0.45
    ) as client:
        yield client


def test_hooks_that_outlive_the_approval_timeout_are_answered_fail_closed(
    env: Env, timing_client: FakeModelClient
) -> None:
    cancelled: list[str] = []

    def sleeper(kind: str) -> Any:
        async def hook(params: Any, context: RequestContext) -> Any:
            try:
                await asyncio.sleep(30)  # a human who went for lunch
            except asyncio.CancelledError:
                cancelled.append(kind)
                raise
            return None

        return hook

    for name in HOOKS:
        setattr(timing_client, name, sleeper(name))
    before = len(timing_client.hook_errors)
    turn = AllKinds.script(env.model, "timeout")
    try:
        # Each hook runs longer than the idle timeout: waiting on a hook must not count as idleness.
        result = turn.run(timing_client, "do everything, slowly")
    finally:
        for name in HOOKS:
            setattr(timing_client, name, None)

    assert result.status == "completed"
    errors = timing_client.hook_errors[before:]
    assert sorted(e.context.kind for e in errors) == [
        "command",
        "command",
        "file_change",
        "mcp_elicitation",
        "permissions",
        "tool_call",
        "tool_user_input",
    ]
    assert all(isinstance(e.error, TimeoutError) for e in errors)
    assert len(cancelled) == len(errors)
    out = turn.outputs(env.model)
    assert "rejected by user" in out["command"] and json.loads(out["tool_input"]) == {"answers": {}}
    assert json.loads(out["permissions"])["permissions"] == {"network": None, "file_system": None}
    assert "The tool call failed in the client (TimeoutError)" in out["tool_call"]


# ---------------------------------------------------------------------------------- withdrawal
WITHDRAWABLE = {
    "command": ("item/commandExecution/requestApproval", "on_command_approval"),
    "file_change": ("item/fileChange/requestApproval", "on_file_change_approval"),
    "permissions": ("item/permissions/requestApproval", "on_permissions_approval"),
    "tool_input": ("item/tool/requestUserInput", "on_tool_request_user_input"),
    "mcp_elicitation": ("mcpServer/elicitation/request", "on_mcp_elicitation_request"),
}


def _one_request(kind: str, model: FakeModel) -> tuple[list[Reply], dict[str, Any]]:
    if kind == "command":
        return [Reply.shell("touch withdrawn.txt", escalated=True)], {}
    if kind == "file_change":
        return [Reply.add_file("withdrawn.txt", "x")], {}
    if kind == "permissions":
        return [Reply.tool_call("request_permissions", {"permissions": {"network": {"enabled": True}}})], {}
    if kind == "tool_input":
        return [Reply.ask("Pick?", ["A", "B"], id="pick")], PLAN_MODE
    return [Reply.tool_search("name"), Reply.mcp_tool_call("fake", "ask_name")], {}


@pytest.mark.parametrize("kind", list(WITHDRAWABLE))
def test_an_interrupt_withdraws_the_pending_hook(env: Env, kind: str) -> None:
    method, hook_name = WITHDRAWABLE[kind]
    started, cancelled = asyncio.Event(), []

    async def human(params: Any) -> Any:
        started.set()
        try:
            await asyncio.sleep(30)
        except asyncio.CancelledError:
            cancelled.append(kind)
            raise
        return None

    setattr(env.client, hook_name, human)
    replies, turn_params = _one_request(kind, env.model)
    env.model.add(*replies)  # no reply after the request: the turn is interrupted before it is needed
    before = len(env.client.hook_errors)
    seen: list[str] = []
    status = None
    for event in env.client.responses_events(
        prompt="ask me", thread_params=ON_REQUEST_READ_ONLY, turn_params=turn_params
    ):
        seen.append(event.type)
        if event.type == method:
            assert event.thread_id is not None and event.turn_id is not None
            env.client.turn_interrupt(event.thread_id, event.turn_id)
        if event.type == "turn/completed":
            status = event.raw["params"]["turn"]["status"]

    deadline = time.monotonic() + 5
    while not cancelled and time.monotonic() < deadline:
        time.sleep(0.02)
    assert method in seen and status == "interrupted"
    assert cancelled == [kind]  # the hook was told (cancelled) and its answer is never sent
    assert env.client.hook_errors[before:] == []


# ---------------------------------------------------------------------------------- native reviewer
@pytest.fixture(scope="module")
def reviewed(_model: FakeModel) -> Iterator[FakeModelClient]:
    with _model.client(automatic_approval_review=True) as client:
        yield client


def test_native_reviewer_and_approving_a_denied_action(env: Env, reviewed: FakeModelClient) -> None:
    env.model.on_guardian(Reply.guardian("deny", risk_level="high", rationale="touching is scary"))
    shell = Reply.shell("touch reviewed.txt", escalated=True)
    env.model.add(shell, Reply.text("the reviewer said no"), Reply.text("noted"))

    result = reviewed.responses_create(
        prompt="touch it", thread_params=ON_REQUEST_READ_ONLY, include_events=True
    )

    events = {e.type: e for e in result.events or []}
    assert "item/commandExecution/requestApproval" not in events  # the reviewer decided, not a hook
    review = events["item/autoApprovalReview/completed"]
    assert review.params["review"]["status"] == "denied"
    assert "touching is scary" in (events["guardianWarning"].params["message"])
    assert [r.kind for r in env.model.requests] == ["turn", "guardian", "turn"]

    assert reviewed.approve_guardian_denied_action(review) == {}
    follow = reviewed.responses_create(prompt="try again later", thread_id=result.thread_id)
    assert follow.text == "noted"
    developer = " ".join(env.model.requests[-1].messages("developer"))
    assert "manually approved a specific action" in developer and "touch reviewed.txt" in developer
