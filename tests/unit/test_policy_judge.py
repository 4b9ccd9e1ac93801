"""The LLM judge with a stand-in judge client: rules first, schema, parsing, fallbacks, audit."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest

from codex_python_sdk import RequestContext
from codex_python_sdk.policy import LlmRubricPolicyEngine, PolicyJudgeConfig, PolicyRubricError


class StubJudge:
    """Answers like ``AsyncCodexAgenticClient.responses_create`` with a scripted text."""

    def __init__(self, answer: Any) -> None:
        self.answer = answer
        self.calls: list[dict[str, Any]] = []
        self.closed = False

    async def responses_create(self, **kwargs: Any) -> Any:
        self.calls.append(kwargs)
        if isinstance(self.answer, BaseException):
            raise self.answer
        if self.answer == "hang":
            await asyncio.sleep(10)
        return type("Response", (), {"text": self.answer})()

    async def close(self) -> None:
        self.closed = True


def _engine(
    answer: Any, rubric: dict[str, Any] | None = None, **config: Any
) -> tuple[LlmRubricPolicyEngine, StubJudge]:
    engine = LlmRubricPolicyEngine(
        rubric or {"system_rubric": "Never allow deleting files.", "mode": "strict"},
        PolicyJudgeConfig(**config),
    )
    stub = StubJudge(answer)
    engine._client = stub
    return engine, stub


CMD = {
    "threadId": "th",
    "turnId": "tu",
    "itemId": "c1",
    "command": "/bin/bash -lc 'rm -rf build'",
    "cwd": "/repo",
}
CTX = RequestContext(
    request_type="command",
    method="item/commandExecution/requestApproval",
    thread_id="th",
    turn_id="tu",
    item_id="c1",
    params={},
    request_id=0,
)


def test_the_judge_decides_with_rubric_instructions_and_an_output_schema() -> None:
    engine, stub = _engine(
        '{"decision": "accept", "reason": "build output only"}', model="gpt-5.5", effort="low"
    )
    assert asyncio.run(engine.on_command_approval(CMD, CTX)) == {"decision": "accept"}
    (call,) = stub.calls
    thread, turn = call["thread_params"], call["turn_params"]
    assert thread["ephemeral"] is True and thread["sandbox"] == "read-only"
    assert (
        "Never allow deleting files." in thread["baseInstructions"]
        and "Mode: strict" in thread["baseInstructions"]
    )
    assert turn["outputSchema"]["properties"]["decision"]["enum"] == ["accept", "decline"]
    assert (turn["model"], turn["effort"], turn["summary"]) == ("gpt-5.5", "low", "none")
    assert "rm -rf build" in call["prompt"] and "Allowed decisions: accept, decline" in call["prompt"]


def test_rules_decide_first_and_tool_calls_are_never_judged() -> None:
    rubric = {"command_rules": [{"name": "ls", "when": {"command_prefix": "ls"}, "decision": "accept"}]}
    engine, stub = _engine('{"decision": "accept", "reason": "x"}', rubric)
    ls = {**CMD, "command": "/bin/bash -lc 'ls'"}
    assert asyncio.run(engine.on_command_approval(ls, CTX)) == {"decision": "accept"}
    result = asyncio.run(engine.on_tool_call({"tool": "deploy"}, None))
    assert result["success"] is False
    assert stub.calls == []


@pytest.mark.parametrize(
    "answer",
    [
        "not json",
        '{"decision": "acceptForSession", "reason": "x"}',
        '["accept"]',
        RuntimeError("judge died"),
        "hang",
    ],
)
def test_an_unusable_judge_gives_the_fallback(answer: Any) -> None:
    engine, _ = _engine(answer, timeout_seconds=0.2)
    assert asyncio.run(engine.on_command_approval(CMD, CTX)) == {"decision": "decline"}


def test_fallback_decisions_can_be_configured() -> None:
    engine, _ = _engine("garbage", fallback_command_decision="cancel")
    assert asyncio.run(engine.on_command_approval(CMD, CTX)) == {"decision": "cancel"}
    with pytest.raises(PolicyRubricError, match="fallback_command_decision 'maybe'"):
        PolicyJudgeConfig(fallback_command_decision="maybe")
    with pytest.raises(PolicyRubricError, match="policy_rubric"):
        PolicyJudgeConfig(client_options={"policy_rubric": {}})


def test_the_judge_answers_questions_and_grants_permissions() -> None:
    engine, stub = _engine('{"answers": [{"id": "color", "answers": ["Blue"]}], "reason": "blue is fine"}')
    questions = {"questions": [{"id": "color", "question": "Pick?", "options": [{"label": "Blue"}]}]}

    async def main() -> tuple[Any, Any]:
        answered = await engine.on_tool_request_user_input(questions, None)
        stub.answer = '{"decision": "grant", "reason": "network for pip"}'
        granted = await engine.on_permissions_approval({"permissions": {"network": {"enabled": True}}}, None)
        return answered, granted

    answered, granted = asyncio.run(main())
    assert answered == {"answers": {"color": {"answers": ["Blue"]}}}
    assert "answers" in stub.calls[0]["turn_params"]["outputSchema"]["properties"]
    assert granted == {"permissions": {"network": {"enabled": True}}, "scope": "turn"}


def test_judge_decisions_are_audited_with_the_reason(tmp_path: Path) -> None:
    path = tmp_path / "judge.jsonl"
    engine, stub = _engine('{"decision": "decline", "reason": "deletes files"}', {"audit": str(path)})

    async def main() -> None:
        await engine.on_command_approval(CMD, CTX)
        stub.answer = "broken"
        await engine.on_command_approval(CMD, CTX)
        await engine.aclose()

    asyncio.run(main())
    first, second = (json.loads(line) for line in path.read_text().splitlines())
    assert first["engine"] == "llm_judge" and first["judge"] == {"reason": "deletes files"}
    assert first["decision"] == {"decision": "decline"} and first["rule"] is None
    assert second["judge"]["fallback"] is True and "JSONDecodeError" in second["judge"]["error"]
    assert stub.closed


def test_prompt_is_truncated_and_params_can_be_left_out() -> None:
    engine, stub = _engine('{"decision": "decline", "reason": "x"}', max_params_chars=200)
    big = {**CMD, "command": "x" * 5000}
    asyncio.run(engine.on_command_approval(big, CTX))
    assert "(truncated)" in stub.calls[0]["prompt"] and len(stub.calls[0]["prompt"]) < 400
    engine, stub = _engine('{"decision": "decline", "reason": "x"}', include_params=False)
    asyncio.run(engine.on_command_approval(CMD, CTX))
    assert "rm -rf" not in stub.calls[0]["prompt"]
