"""From a rubric to its engine (the seed's ``build_policy_engine_from_rubric``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ._engines import RuleBasedPolicyEngine
from ._judge import LlmRubricPolicyEngine, PolicyJudgeConfig
from ._rubric import PolicyRubric, to_rubric

__all__ = ["build_policy_engine_from_rubric"]


def build_policy_engine_from_rubric(
    rubric: PolicyRubric | Mapping[str, Any] | None, *, judge_config: PolicyJudgeConfig | None = None
) -> RuleBasedPolicyEngine | LlmRubricPolicyEngine:
    """The engine a rubric describes: a :class:`RuleBasedPolicyEngine`, or an
    :class:`LlmRubricPolicyEngine` (rules first, then the judge) when ``use_llm_judge`` is set."""
    checked = to_rubric(rubric)
    if checked.use_llm_judge:
        return LlmRubricPolicyEngine(checked, judge_config)
    return RuleBasedPolicyEngine(checked)
