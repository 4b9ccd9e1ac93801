"""Policies for the app-server's requests: rules, defaults, an audit trail, and an LLM judge.

A policy engine decides a request when the client has no ``on_*`` hook for it::

    from codex_python_sdk import create_client

    rubric = {
        "command_rules": [
            {"name": "read-only-shell", "when": {"command_prefix": ["ls", "pwd", "cat", "rg", "git status"]},
             "decision": "accept"},
        ],
        "audit": {"path": "approvals.jsonl"},
    }
    with create_client(policy_rubric=rubric) as client:
        ...

Everything not matched is answered fail-closed. See ``docs/policy.md`` for the decision path, every rule
condition and decision, the audit trail, the native reviewer and recipes.
"""

from __future__ import annotations

from ._build import build_policy_engine_from_rubric
from ._engines import (
    AuditLog,
    DefaultPolicyEngine,
    PolicyContext,
    PolicyDecision,
    PolicyEngine,
    RuleBasedPolicyEngine,
)
from ._judge import LlmRubricPolicyEngine, PolicyJudgeConfig
from ._rubric import DEFAULT_POLICY_RUBRIC, PolicyRubric, PolicyRubricError
from ._rules import DECISIONS, RUBRIC_KINDS, RULE_KEYS

__all__ = [
    "DECISIONS",
    "DEFAULT_POLICY_RUBRIC",
    "RUBRIC_KINDS",
    "RULE_KEYS",
    "AuditLog",
    "DefaultPolicyEngine",
    "LlmRubricPolicyEngine",
    "PolicyContext",
    "PolicyDecision",
    "PolicyEngine",
    "PolicyJudgeConfig",
    "PolicyRubric",
    "PolicyRubricError",
    "RuleBasedPolicyEngine",
    "build_policy_engine_from_rubric",
]
