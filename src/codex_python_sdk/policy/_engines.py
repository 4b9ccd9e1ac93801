"""Policy engines: the protocol, the fail-closed default, and the rule engine (with its audit trail)."""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Awaitable, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import IO, Any, Protocol, runtime_checkable

from ..hooks import RequestContext, fail_closed_answer
from ._rubric import PolicyRubric, to_rubric
from ._rules import RUBRIC_KINDS

__all__ = [
    "AuditLog",
    "DefaultPolicyEngine",
    "PolicyContext",
    "PolicyDecision",
    "PolicyEngine",
    "RuleBasedPolicyEngine",
]

logger = logging.getLogger("codex_python_sdk")

PolicyContext = RequestContext
"""The context a policy engine gets with each request (the seed's name; ``request_type``, ``method``,
``thread_id``, ``turn_id``, ``item_id``, ``params``, ``timestamp``, plus ``item`` and ``request_id``)."""

# The dispatcher's kind names -> the rubric's (the seed called user input "tool_input" in rubrics).
RUBRIC_KIND_OF = {"tool_user_input": "tool_input"}
Result = dict[str, Any]


@runtime_checkable
class PolicyEngine(Protocol):
    """What the client consults when no hook is set for a request (the seed's three methods).

    Each method takes the typed params and a :data:`PolicyContext` and returns the protocol answer
    (a dict, or an awaitable of one). An engine may also define ``on_permissions_approval``,
    ``on_mcp_elicitation_request`` and ``on_tool_call``; the client uses them when present, and the
    fail-closed default for kinds the engine does not handle. ``aclose()`` / ``close()`` are called when
    a client closes an engine it built itself (from ``policy_rubric=``), never one you passed in.
    """

    def on_command_approval(self, params: Any, context: RequestContext) -> Result | Awaitable[Result]:
        """Answer ``item/commandExecution/requestApproval``: ``{"decision": ...}``."""
        ...

    def on_file_change_approval(self, params: Any, context: RequestContext) -> Result | Awaitable[Result]:
        """Answer ``item/fileChange/requestApproval``: ``{"decision": ...}``."""
        ...

    def on_tool_request_user_input(self, params: Any, context: RequestContext) -> Result | Awaitable[Result]:
        """Answer ``item/tool/requestUserInput``: ``{"answers": {question_id: {"answers": [...]}}}``."""
        ...


@dataclass(frozen=True)
class PolicyDecision:
    """What a rule engine decided for one request, and why."""

    kind: str
    """The rubric kind (``command``, ``file_change``, ``permissions``, ``tool_input``, ...)."""
    rule: str | None
    """The name of the rule that matched, or None when the kind's default decided."""
    result: Result
    """The answer sent to the app-server."""


class DefaultPolicyEngine:
    """The fail-closed engine: declines approvals, grants nothing, answers nothing, fails tool calls.

    The same answers the client gives without any hook or policy; useful as a base class whose methods
    you override for some kinds only.
    """

    def on_command_approval(self, params: Any, context: Any = None) -> Result:
        """Decline."""
        return fail_closed_answer("command")

    def on_file_change_approval(self, params: Any, context: Any = None) -> Result:
        """Decline."""
        return fail_closed_answer("file_change")

    def on_permissions_approval(self, params: Any, context: Any = None) -> Result:
        """Grant nothing (for this turn)."""
        return fail_closed_answer("permissions")

    def on_tool_request_user_input(self, params: Any, context: Any = None) -> Result:
        """Answer no question."""
        return fail_closed_answer("tool_user_input")

    def on_mcp_elicitation_request(self, params: Any, context: Any = None) -> Result:
        """Decline."""
        return fail_closed_answer("mcp_elicitation")

    def on_tool_call(self, params: Any, context: Any = None) -> Result:
        """Fail the call, saying why."""
        return fail_closed_answer("tool_call", params)


class AuditLog:
    """Appends one JSON line per decision to a file (thread-safe; opened on first write)."""

    def __init__(self, path: str, *, include_params: bool = False) -> None:
        self.path = path
        self.include_params = include_params
        self._lock = threading.Lock()
        self._file: IO[str] | None = None

    def write(
        self,
        context: Any,
        params: Any,
        *,
        engine: str,
        kind: str,
        rule: str | None,
        result: Any,
        **extra: Any,
    ) -> None:
        """Record one decision: time, request, matched rule (None: the default), decision."""
        record: dict[str, Any] = {
            "time": datetime.now(timezone.utc).isoformat(timespec="milliseconds"),
            "engine": engine,
            "kind": kind,
            "method": getattr(context, "method", None),
            "request_id": getattr(context, "request_id", None),
            "thread_id": getattr(context, "thread_id", None) or _get(params, "threadId"),
            "turn_id": getattr(context, "turn_id", None) or _get(params, "turnId"),
            "item_id": getattr(context, "item_id", None),
            "rule": rule,
            "decision": result,
            **extra,
        }
        if self.include_params:
            record["params"] = params.to_wire() if hasattr(params, "to_wire") else params
        line = json.dumps(record, default=str, ensure_ascii=False)
        try:
            with self._lock:
                if self._file is None:
                    self._file = open(self.path, "a", encoding="utf-8")  # noqa: SIM115 - kept open
                self._file.write(line + "\n")
                self._file.flush()
        except OSError as exc:  # an audit failure must not turn into a different decision
            logger.error("policy audit: cannot write to %s: %s", self.path, exc)

    def close(self) -> None:
        """Close the file (a later write reopens it)."""
        with self._lock:
            if self._file is not None:
                self._file.close()
                self._file = None


def note_rule(context: Any, rule: str) -> None:
    """Tell the client which rule decided (``RequestContext.policy_rule``; other contexts are left be)."""
    if isinstance(context, RequestContext):
        context.policy_rule = rule


def _get(params: Any, key: str) -> Any:
    return params.get(key) if hasattr(params, "get") else None


def audit_log_for(rubric: PolicyRubric) -> AuditLog | None:
    """The audit log a rubric asks for, or None."""
    audit = rubric.audit
    if not isinstance(audit, Mapping) or not audit.get("enabled"):
        return None
    return AuditLog(str(audit["path"]), include_params=bool(audit.get("include_params")))


class RuleBasedPolicyEngine:
    """Decides by the rubric's rules: the first matching rule of the request's kind, else its default.

    ``rubric`` is a :class:`PolicyRubric` or a dict (checked now: a typo fails here, naming the rule);
    None uses :data:`DEFAULT_POLICY_RUBRIC`. Handles all six request kinds. With ``audit`` enabled
    every decision is appended to the JSONL file; :meth:`close` closes it.
    """

    def __init__(self, rubric: PolicyRubric | Mapping[str, Any] | None = None) -> None:
        self.rubric = to_rubric(rubric)
        self.audit = audit_log_for(self.rubric)

    def decide(self, kind: str, params: Any, context: Any = None) -> PolicyDecision:
        """The decision for a request of rubric ``kind`` (without writing the audit trail)."""
        kind = RUBRIC_KIND_OF.get(kind, kind)
        if kind not in RUBRIC_KINDS:
            raise ValueError(f"unknown request kind {kind!r}; kinds are {', '.join(RUBRIC_KINDS)}")
        view = params if hasattr(params, "get") else {}
        for rule in self.rubric.rules(kind):
            if rule.matches(view, context):
                return PolicyDecision(kind, rule.name, rule.decision(view))
        return PolicyDecision(kind, None, self.rubric.default(kind)(view))

    def _answer(self, kind: str, params: Any, context: Any) -> Result:
        started = time.perf_counter()
        decision = self.decide(kind, params, context)
        note_rule(context, decision.rule or "default")
        if self.audit is not None:
            elapsed = round((time.perf_counter() - started) * 1000, 3)
            self.audit.write(
                context,
                params,
                engine="rules",
                kind=kind,
                rule=decision.rule,
                result=decision.result,
                ms=elapsed,
            )
        return decision.result

    def on_command_approval(self, params: Any, context: Any = None) -> Result:
        """Answer a command approval by the ``command_rules``."""
        return self._answer("command", params, context)

    def on_file_change_approval(self, params: Any, context: Any = None) -> Result:
        """Answer a file-change approval by the ``file_change_rules``."""
        return self._answer("file_change", params, context)

    def on_permissions_approval(self, params: Any, context: Any = None) -> Result:
        """Answer a permissions request by the ``permissions_rules``."""
        return self._answer("permissions", params, context)

    def on_tool_request_user_input(self, params: Any, context: Any = None) -> Result:
        """Answer a user-input request by the ``tool_input_rules``."""
        return self._answer("tool_input", params, context)

    def on_mcp_elicitation_request(self, params: Any, context: Any = None) -> Result:
        """Answer an MCP elicitation by the ``mcp_elicitation_rules``."""
        return self._answer("mcp_elicitation", params, context)

    def on_tool_call(self, params: Any, context: Any = None) -> Result:
        """Answer a dynamic tool call that no Python tool or hook handles, by the ``tool_call_rules``."""
        return self._answer("tool_call", params, context)

    def close(self) -> None:
        """Close the audit file."""
        if self.audit is not None:
            self.audit.close()
