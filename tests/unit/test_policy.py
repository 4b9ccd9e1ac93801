"""The rubric format and the rule engine: build-time validation, conditions, decisions, audit."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest

from codex_python_sdk import (
    DEFAULT_POLICY_RUBRIC,
    DefaultPolicyEngine,
    PolicyContext,
    PolicyRubric,
    RequestContext,
    RuleBasedPolicyEngine,
    build_policy_engine_from_rubric,
)
from codex_python_sdk.policy import LlmRubricPolicyEngine, PolicyRubricError
from codex_python_sdk.policy._rules import inner_command, is_simple_command
from codex_python_sdk.protocol._answers import validate_answer as validate_result

_METHODS = {
    "command": "item/commandExecution/requestApproval",
    "file_change": "item/fileChange/requestApproval",
    "permissions": "item/permissions/requestApproval",
    "tool_input": "item/tool/requestUserInput",
    "mcp_elicitation": "mcpServer/elicitation/request",
    "tool_call": "item/tool/call",
}


def _cmd(script: str, cwd: str = "/repo", **extra: Any) -> dict[str, Any]:
    """Command-approval params as codex 0.163 sends them (the script inside a login shell)."""
    return {
        "threadId": "th-1",
        "turnId": "tu-1",
        "itemId": "c1",
        "command": f"/bin/bash -lc {script!r}",
        "cwd": cwd,
        **extra,
    }


def _ctx(kind: str = "command", item: Any = None, thread_id: str = "th-1") -> RequestContext:
    return RequestContext(
        request_type=kind,
        method="m",
        thread_id=thread_id,
        turn_id="tu-1",
        item_id="i1",
        params={},
        request_id=0,
        item=item,
    )


# -- validation when the rubric is built ------------------------------------------------------------
@pytest.mark.parametrize(
    ("rubric", "message"),
    [
        (
            {"command_rules": [{"name": "ro", "when": {"comand_regex": "^ls"}, "decision": "accept"}]},
            "command_rules[0] ('ro'): unknown condition 'comand_regex' (did you mean 'command_regex'?)",
        ),
        (
            {"command_rules": [{"name": "bad-rx", "when": {"command_regex": "(ls"}, "decision": "accept"}]},
            "command_rules[0] ('bad-rx'): 'command_regex' is not a valid regular expression",
        ),
        (
            {"command_rules": [{"name": "yes", "decision": "allow"}]},
            "command_rules[0] ('yes'): decision 'allow' is not valid for command",
        ),
        (
            {"file_change_rules": [{"name": "fc", "when": {"command_regex": "x"}, "decision": "accept"}]},
            "file_change_rules[0] ('fc'): condition 'command_regex' does not apply to file_change rules",
        ),
        (
            {"command_rules": [{"name": "p", "priority": "high", "decision": "accept"}]},
            "command_rules[0] ('p'): 'priority' must be an integer",
        ),
        ({"command_rules": [{"name": "n"}]}, "command_rules[0] ('n'): needs a 'decision'"),
        (
            {"command_rules": [{"name": "k", "decison": "accept"}]},
            "command_rules[0] ('k'): unknown rule keys ['decison']",
        ),
        (
            {"command_rules": [{"when": {"cwd_prefix": "repo"}, "decision": "accept"}]},
            "command_rules[0]: 'cwd_prefix' needs absolute paths",
        ),
        ({"comand_rules": []}, "unknown rubric keys: 'comand_rules' (did you mean 'command_rules'?)"),
        ({"defaults": {"comand": "accept"}}, "defaults: unknown kinds ['comand']"),
        ({"defaults": {"tool_input": "accept"}}, "defaults['tool_input']: decision 'accept' is not valid"),
        (
            {"command_rules": [{"name": "d", "decision": {"decision": "sure"}}]},
            "command_rules[0] ('d'): decision",
        ),
        (
            {
                "command_rules": [{"name": "a", "decision": "accept"}],
                "file_change_rules": [{"name": "a", "decision": "accept"}],
            },
            "rule names must be unique; repeated: a",
        ),
        ({"audit": {"enabled": True}}, "audit is enabled but has no 'path'"),
        ({"mode": "yolo"}, "mode must be one of"),
    ],
)
def test_a_bad_rubric_fails_when_built_naming_the_rule(rubric: dict[str, Any], message: str) -> None:
    with pytest.raises(PolicyRubricError) as info:
        RuleBasedPolicyEngine(rubric)
    assert message in str(info.value)


def test_a_bad_rubric_fails_at_client_construction(make_client: Any) -> None:
    with pytest.raises(PolicyRubricError, match="'typo'"):
        make_client(
            policy_rubric={"command_rules": [{"name": "typo", "when": {"cmd": "x"}, "decision": "accept"}]}
        )


def test_default_rubric_is_immutable_and_fail_closed() -> None:
    with pytest.raises(AttributeError):
        DEFAULT_POLICY_RUBRIC.command_rules.append({"decision": "accept"})  # type: ignore[attr-defined]
    with pytest.raises(TypeError):
        DEFAULT_POLICY_RUBRIC.defaults["command"] = "accept"  # type: ignore[index]
    engine = RuleBasedPolicyEngine()
    assert engine.rubric is DEFAULT_POLICY_RUBRIC
    answers = {kind: engine.decide(kind, {"tool": "x"}).result for kind in _METHODS}
    assert answers["command"] == {"decision": "decline"}
    assert answers["permissions"] == {"permissions": {}, "scope": "turn"}
    assert answers["tool_input"] == {"answers": {}}
    assert answers["mcp_elicitation"] == {"action": "decline"}
    assert answers["tool_call"]["success"] is False
    for kind, answer in answers.items():
        assert validate_result(_METHODS[kind], answer) is None
    # Editing a copy never touches the default.
    data = DEFAULT_POLICY_RUBRIC.to_dict()
    data["command_rules"].append({"decision": "accept"})
    assert PolicyRubric.from_dict(data).rules("command") and not DEFAULT_POLICY_RUBRIC.rules("command")


# -- conditions -------------------------------------------------------------------------------------
def test_readme_example_matches_what_it_claims() -> None:
    # The seed wrote r"^(pwd|ls|cat|rg)\\b" (a literal backslash: it never matched) and matched the raw
    # "/bin/bash -lc ..." command. Regexes here see the script inside the shell wrapper.
    engine = RuleBasedPolicyEngine(
        {
            "system_rubric": "Allow read-only operations. Decline unknown write operations.",
            "command_rules": [
                {
                    "name": "readonly-shell",
                    "when": {"command_regex": r"^(pwd|ls|cat|rg)\b", "simple_command": True},
                    "decision": "accept",
                }
            ],
            "defaults": {"command": "decline", "file_change": "decline", "tool_input": "auto_empty"},
        }
    )

    def decide(script: str) -> str | None:
        return engine.decide("command", _cmd(script)).rule

    assert decide("ls -la") == decide("cat README.md") == decide("rg -n 'a|b' src") == "readonly-shell"
    assert decide("rm -rf /") is None
    assert decide("ls; rm -rf ~") is None  # chained: not a read-only command
    assert decide("cat $(echo /etc/shadow)") is None
    assert decide("lsblk") is None


def test_command_prefix_is_an_argv_allow_list() -> None:
    engine = RuleBasedPolicyEngine(
        {
            "command_rules": [
                {
                    "name": "git-read",
                    "when": {"command_prefix": ["git status", "git diff", "ls"]},
                    "decision": "accept",
                }
            ]
        }
    )

    def rule(script: str) -> str | None:
        return engine.decide("command", _cmd(script)).rule

    assert rule("git status --short") == rule("git  diff HEAD") == rule("ls") == "git-read"
    assert rule("git push") is None
    assert rule("git status && git push") is None
    assert rule("lsof") is None


def test_cwd_prefix_matches_paths_not_string_prefixes() -> None:
    engine = RuleBasedPolicyEngine(
        {"command_rules": [{"name": "in-repo", "when": {"cwd_prefix": "/rep"}, "decision": "accept"}]}
    )
    assert engine.decide("command", _cmd("ls", cwd="/rep")).rule == "in-repo"
    assert engine.decide("command", _cmd("ls", cwd="/rep/sub/dir")).rule == "in-repo"
    assert engine.decide("command", _cmd("ls", cwd="/repo")).rule is None
    assert engine.decide("command", _cmd("ls", cwd="/rep-evil")).rule is None
    assert engine.decide("command", _cmd("ls", cwd="/rep/../etc")).rule is None


def test_priority_then_list_order_and_other_command_conditions() -> None:
    engine = RuleBasedPolicyEngine(
        {
            "command_rules": [
                {"name": "late", "decision": "accept"},
                {"name": "first", "priority": 1, "when": {"reason_regex": "deploy"}, "decision": "cancel"},
                {
                    "name": "amend",
                    "priority": 5,
                    "when": {"has_proposed_execpolicy": True},
                    "decision": "acceptWithExecpolicyAmendment",
                },
                {
                    "name": "thread",
                    "priority": 5,
                    "when": {"thread_id_regex": "^th-2$"},
                    "decision": "decline",
                },
            ]
        }
    )
    assert engine.decide("command", _cmd("x", reason="deploy now")).rule == "first"
    amended = engine.decide("command", _cmd("touch a", proposedExecpolicyAmendment=["touch", "a"]))
    assert amended.rule == "amend"
    assert amended.result == {
        "decision": {"acceptWithExecpolicyAmendment": {"execpolicy_amendment": ["touch", "a"]}}
    }
    assert engine.decide("command", _cmd("x"), _ctx(thread_id="th-2")).rule == "thread"
    assert engine.decide("command", _cmd("x")).rule == "late"


def test_file_change_rules_see_the_changed_paths() -> None:
    engine = RuleBasedPolicyEngine(
        {
            "file_change_rules": [
                {
                    "name": "no-git",
                    "priority": 1,
                    "when": {"any_path_regex": r"/\.git/"},
                    "decision": "decline",
                },
                {"name": "workspace", "when": {"paths_under": "/repo"}, "decision": "accept"},
            ]
        }
    )

    def item(*paths: str) -> dict[str, Any]:
        return {"type": "fileChange", "changes": [{"path": p} for p in paths]}

    params = {"threadId": "th-1", "turnId": "tu-1", "itemId": "p1"}
    assert (
        engine.decide("file_change", params, _ctx("file_change", item("/repo/a.py", "/repo/b/c.py"))).rule
        == "workspace"
    )
    assert (
        engine.decide("file_change", params, _ctx("file_change", item("/repo/a.py", "/etc/passwd"))).rule
        is None
    )
    assert (
        engine.decide("file_change", params, _ctx("file_change", item("/repo/.git/config"))).rule == "no-git"
    )
    assert engine.decide("file_change", params, _ctx("file_change", None)).rule is None  # paths unknown


def test_permissions_elicitation_tool_input_and_tool_call_rules() -> None:
    engine = RuleBasedPolicyEngine(
        {
            "permissions_rules": [
                {
                    "name": "net-only",
                    "when": {"network_requested": True, "file_system_requested": False},
                    "decision": "grant",
                },
                {
                    "name": "writes-in-repo",
                    "when": {"write_paths_under": "/repo", "read_paths_under": "/repo"},
                    "decision": "grant_for_session",
                },
            ],
            "mcp_elicitation_rules": [
                {
                    "name": "docs-server",
                    "when": {"server_regex": "^docs$", "mode": ["form"]},
                    "decision": "accept",
                }
            ],
            "tool_input_rules": [
                {"name": "recommended", "when": {"question_id_regex": "^color$"}, "decision": "first_option"}
            ],
            "tool_call_rules": [{"name": "no-deploy", "when": {"tool_regex": "^deploy"}, "decision": "fail"}],
        }
    )
    net = {"permissions": {"network": {"enabled": True}}}
    assert engine.decide("permissions", net).result == {
        "permissions": {"network": {"enabled": True}},
        "scope": "turn",
    }
    repo = {"permissions": {"fileSystem": {"write": ["/repo/out"], "read": None}}}
    decided = engine.decide("permissions", repo)
    assert decided.rule == "writes-in-repo" and decided.result["scope"] == "session"
    outside = {"permissions": {"fileSystem": {"write": ["/etc"]}, "network": {"enabled": True}}}
    assert engine.decide("permissions", outside).result == {"permissions": {}, "scope": "turn"}
    assert engine.decide("mcp_elicitation", {"serverName": "docs", "mode": "form"}).result == {
        "action": "accept"
    }
    assert engine.decide("mcp_elicitation", {"serverName": "other", "mode": "form"}).rule is None
    questions = {
        "questions": [{"id": "color", "options": [{"label": "Blue (Recommended)"}, {"label": "Red"}]}]
    }
    assert engine.decide("tool_input", questions).result == {
        "answers": {"color": {"answers": ["Blue (Recommended)"]}}
    }
    failed = engine.decide("tool_call", {"tool": "deploy_prod"})
    assert failed.result["success"] is False and "no-deploy" in failed.result["contentItems"][0]["text"]
    for kind in _METHODS:
        for params in (net, repo, outside, questions, {"tool": "x", "serverName": "docs", "mode": "form"}):
            assert validate_result(_METHODS[kind], engine.decide(kind, params).result) is None


def test_answer_dicts_as_decisions_and_the_seed_answer_list() -> None:
    engine = RuleBasedPolicyEngine(
        {
            "command_rules": [
                {
                    "name": "net",
                    "decision": {
                        "applyNetworkPolicyAmendment": {
                            "network_policy_amendment": {"action": "allow", "host": "pypi.org"}
                        }
                    },
                }
            ],
            "tool_input_rules": [
                {"name": "list", "decision": {"answers": [{"id": "q", "answers": ["yes"]}]}}
            ],
        }
    )
    assert engine.decide("command", _cmd("pip install x")).result == {
        "decision": {
            "applyNetworkPolicyAmendment": {
                "network_policy_amendment": {"action": "allow", "host": "pypi.org"}
            }
        }
    }
    first = engine.decide("tool_input", {}).result
    assert first == {"answers": {"q": {"answers": ["yes"]}}}
    first["answers"]["q"]["answers"].append("mutated")  # every answer is a fresh copy
    assert engine.decide("tool_input", {}).result == {"answers": {"q": {"answers": ["yes"]}}}


def test_auto_empty_is_always_a_valid_answer() -> None:
    engine = RuleBasedPolicyEngine({"defaults": dict.fromkeys(_METHODS, "auto_empty")})
    for kind, method in _METHODS.items():
        assert validate_result(method, engine.decide(kind, {}).result) is None


def test_shell_unwrapping_and_simple_commands() -> None:
    assert inner_command("/bin/bash -lc 'git status'") == "git status"
    assert inner_command("/bin/zsh -c 'echo \"a b\"'") == 'echo "a b"'
    assert inner_command("git status") == "git status"
    assert is_simple_command("rg -n 'x|y' src")
    for chained in (
        "a; b",
        "a && b",
        "a || b",
        "a | b",
        "a > f",
        "a < f",
        "(a)",
        "a &",
        "a\nb",
        "echo `id`",
        "echo ${HOME}",
    ):
        assert not is_simple_command(chained), chained


# -- audit ------------------------------------------------------------------------------------------
def test_audit_writes_one_json_line_per_decision(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    engine = RuleBasedPolicyEngine(
        {
            "command_rules": [{"name": "ls", "when": {"command_prefix": "ls"}, "decision": "accept"}],
            "audit": {"path": str(path), "include_params": True},
        }
    )
    ctx = RequestContext(
        request_type="command",
        method="item/commandExecution/requestApproval",
        thread_id="th-1",
        turn_id="tu-1",
        item_id="c1",
        params={},
        request_id=4,
    )
    assert engine.on_command_approval(_cmd("ls"), ctx) == {"decision": "accept"}
    assert engine.on_command_approval(_cmd("rm x"), ctx) == {"decision": "decline"}
    engine.close()
    first, second = (json.loads(line) for line in path.read_text().splitlines())
    assert (
        first["rule"] == "ls" and first["decision"] == {"decision": "accept"} and first["kind"] == "command"
    )
    assert (first["method"], first["request_id"], first["thread_id"], first["item_id"]) == (
        "item/commandExecution/requestApproval",
        4,
        "th-1",
        "c1",
    )
    assert first["params"]["command"] == "/bin/bash -lc 'ls'" and first["time"].endswith("+00:00")
    assert second["rule"] is None and second["decision"] == {"decision": "decline"}


# -- engines in the client --------------------------------------------------------------------------
def test_client_builds_the_engine_from_a_rubric_uses_it_and_closes_it(
    server: Any, make_client: Any, run: Any, tmp_path: Path
) -> None:
    path = tmp_path / "audit.jsonl"
    rubric = {
        "command_rules": [{"name": "ls", "when": {"command_prefix": "ls"}, "decision": "accept"}],
        "audit": str(path),
    }

    async def main() -> list[Any]:
        async with make_client(policy_rubric=rubric) as client:
            assert isinstance(client.policy_engine, RuleBasedPolicyEngine)
            base = {"threadId": "t", "turnId": "u", "itemId": "c", "cwd": "/r", "startedAtMs": 1}
            server.server_request(
                0, "item/commandExecution/requestApproval", {**base, "command": "/bin/bash -lc 'ls'"}
            )
            server.server_request(
                1, "item/commandExecution/requestApproval", {**base, "command": "/bin/bash -lc 'rm'"}
            )
            for _ in range(2000):  # up to 10 s on a loaded machine
                if len(server.responses()) == 2:
                    break
                await asyncio.sleep(0.005)
            engine = client.policy_engine
        assert engine.audit is not None and engine.audit._file is None  # closed with the client
        answered: list[Any] = server.responses()
        return answered

    answers = run(main())
    assert sorted((a["id"], a["result"]["decision"]) for a in answers) == [(0, "accept"), (1, "decline")]
    assert [json.loads(line)["rule"] for line in path.read_text().splitlines()] == ["ls", None]


def test_an_engine_passed_in_is_not_closed_by_the_client(make_client: Any, run: Any) -> None:
    closed: list[bool] = []

    class Engine(DefaultPolicyEngine):
        def close(self) -> None:
            closed.append(True)

    async def main() -> None:
        async with make_client(policy_engine=Engine()):
            pass

    run(main())
    assert closed == []


def test_default_engine_and_names() -> None:
    engine = DefaultPolicyEngine()
    for kind, method in _METHODS.items():
        name = {
            "command": "on_command_approval",
            "file_change": "on_file_change_approval",
            "permissions": "on_permissions_approval",
            "tool_input": "on_tool_request_user_input",
            "mcp_elicitation": "on_mcp_elicitation_request",
            "tool_call": "on_tool_call",
        }[kind]
        assert validate_result(method, getattr(engine, name)({"tool": "x"}, None)) is None
    assert PolicyContext is RequestContext
    assert isinstance(build_policy_engine_from_rubric({"use_llm_judge": True}), LlmRubricPolicyEngine)
    assert isinstance(build_policy_engine_from_rubric(None), RuleBasedPolicyEngine)


def test_a_policy_takes_precedence_over_the_native_reviewer(
    server: Any, make_client: Any, run: Any, caplog: Any
) -> None:
    async def main() -> None:
        async with make_client(automatic_approval_review=True) as reviewed:
            await reviewed.thread_start()
        async with make_client(automatic_approval_review=True, policy_rubric={}) as ruled:
            await ruled.thread_start()

    run(main())
    first, second = server.sent("thread/start")
    assert first["approvalsReviewer"] == "auto_review"
    assert "approvalsReviewer" not in second  # approvals keep coming to the policy
    assert any("takes precedence" in r.getMessage() for r in caplog.records)


# -- docs/policy.md ---------------------------------------------------------------------------------
_DOC = Path(__file__).resolve().parents[2] / "docs" / "policy.md"


class _StubClient:
    """Stands in for a client in the documentation's examples (no app-server)."""

    def __init__(self, **kwargs: Any) -> None:
        if kwargs.get("policy_rubric") is not None:
            RuleBasedPolicyEngine(kwargs["policy_rubric"])  # the example's rubric must be valid
        self.kwargs = kwargs
        self.approved: list[Any] = []

    def __enter__(self) -> _StubClient:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def responses_create(self, **kwargs: Any) -> Any:
        return type("Result", (), {"text": "", "events": []})()

    def approve_guardian_denied_action(self, review: Any, **kwargs: Any) -> Any:
        self.approved.append(review)
        return {}


def _run_doc_examples(monkeypatch: Any, tmp_path: Path) -> dict[str, Any]:
    import re

    import codex_python_sdk

    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(codex_python_sdk, "create_client", _StubClient)
    monkeypatch.setattr("builtins.input", lambda prompt="": "y")
    blocks = re.findall(r"```python\n(.*?)```", _DOC.read_text(), re.DOTALL)
    assert len(blocks) >= 8
    merged: dict[str, Any] = {}
    for index, block in enumerate(blocks):
        namespace: dict[str, Any] = {"__name__": f"policy_md_{index}"}
        exec(compile(block, f"docs/policy.md block {index}", "exec", dont_inherit=True), namespace)
        merged.update(namespace)
    return merged


def test_the_examples_in_policy_md_run_and_do_what_they_say(monkeypatch: Any, tmp_path: Path) -> None:
    from codex_python_sdk.protocol._registry import decode_server_request

    ns = _run_doc_examples(monkeypatch, tmp_path)
    allow = RuleBasedPolicyEngine(ns["allow_list"])

    repo = ns["repo"]  # the example's repository: the directory it ran in

    def allowed(script: str, cwd: str = repo) -> str | None:
        return allow.decide("command", _cmd(script, cwd=cwd)).rule

    assert allowed("git status --short") == allowed("pytest -x tests") == "allowed-commands"
    assert allowed("git push origin main") == "never-push"
    assert allowed("git status && curl http://evil") is None
    assert allowed("git status", cwd="/elsewhere") is None
    read_only = RuleBasedPolicyEngine(ns["read_only"])
    assert read_only.decide("permissions", {"permissions": {"network": {"enabled": True}}}).result == {
        "permissions": {},
        "scope": "turn",
    }
    params = decode_server_request(
        "item/commandExecution/requestApproval", _cmd("rm -rf build", cwd="/work/repo")
    )
    ctx = RequestContext(
        request_type="command",
        method="item/commandExecution/requestApproval",
        thread_id="th-1",
        turn_id="tu-1",
        item_id="c1",
        params=params,
        request_id=0,
    )
    assert ns["ask_a_human"](params, ctx) == {"decision": "accept"}  # input() answered "y"
    ls = decode_server_request("item/commandExecution/requestApproval", _cmd("ls -la"))
    assert ns["rules"].decide("command", ls, ctx).rule == "reads"
    change = RequestContext(
        request_type="file_change",
        method="m",
        thread_id="t",
        turn_id="u",
        item_id="p",
        params={},
        request_id=0,
        item={"changes": [{"path": "/a"}]},
    )
    assert ns["show_file_change"]({}, change) == {"decision": "accept"}
    assert ns["get_weather"](ns["Place"]("Paris"), "C") == "Sunny, 21 C in Paris"


def test_approve_guardian_denied_action_sends_the_core_event(server: Any, make_client: Any, run: Any) -> None:
    completed = {
        "threadId": "th-1",
        "turnId": "tu-1",
        "startedAtMs": 1,
        "completedAtMs": 2,
        "reviewId": "r-1",
        "targetItemId": "call_3",
        "decisionSource": "agent",
        "review": {"status": "timedOut", "riskLevel": "high", "userAuthorization": "low", "rationale": "no"},
        "action": {"type": "command", "source": "unifiedExec", "command": "/bin/bash -c 'x'", "cwd": "/w"},
    }

    async def main() -> None:
        async with make_client() as client:
            await client.approve_guardian_denied_action(completed)

    run(main())
    (sent,) = server.sent("thread/approveGuardianDeniedAction")
    assert sent == {
        "threadId": "th-1",
        "event": {
            "id": "r-1",
            "turn_id": "tu-1",
            "target_item_id": "call_3",
            "started_at_ms": 1,
            "completed_at_ms": 2,
            "decision_source": "agent",
            "status": "timed_out",
            "risk_level": "high",
            "user_authorization": "low",
            "rationale": "no",
            "action": {
                "type": "command",
                "source": "unified_exec",
                "command": "/bin/bash -c 'x'",
                "cwd": "/w",
            },
        },
    }
