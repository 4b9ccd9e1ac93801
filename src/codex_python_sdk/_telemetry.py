"""OpenTelemetry spans of turns, tool calls and approvals, after the GenAI semantic conventions.

One ``invoke_agent codex`` span per turn (kind CLIENT: the agent runs in the app-server), one
``execute_tool {name}`` span per command, file change, dynamic tool or MCP tool call (children of the
turn's span), one ``approval {kind}`` span per decision of an approval (child of the tool's span when
the item is known) saying what was decided and by whom. Every attribute name is written below, once.

OpenTelemetry is optional (the ``[otel]`` extra: ``opentelemetry-api`` at run time) and nothing here
imports it at module level. :func:`tracer_for` decides once per turn: with ``tracer_provider=`` it is
used; otherwise the global provider, but only when the application has imported OpenTelemetry itself
(without that, no provider can have been set, so there is nothing to record and nothing is imported).
Message content (prompts, answers, command lines and outputs, tool arguments and results) is recorded
only when asked: ``capture_content=True``, or ``OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT=true``.
"""

from __future__ import annotations

import json
import os
import sys
import time

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import Any

    from opentelemetry.trace import Span, Tracer

    from .events import Usage

__all__ = ["TurnTrace", "capture_content", "tracer_for"]

# -- attribute names (GenAI semantic conventions) --------------------------------------------------------
OPERATION = "gen_ai.operation.name"
PROVIDER = "gen_ai.provider.name"
SYSTEM = "gen_ai.system"  # the name before semconv 1.37, still read by some backends
AGENT_NAME = "gen_ai.agent.name"
CONVERSATION_ID = "gen_ai.conversation.id"
REQUEST_MODEL = "gen_ai.request.model"
INPUT_TOKENS = "gen_ai.usage.input_tokens"
OUTPUT_TOKENS = "gen_ai.usage.output_tokens"
CACHE_READ_TOKENS = "gen_ai.usage.cache_read.input_tokens"
CACHE_WRITE_TOKENS = "gen_ai.usage.cache_creation.input_tokens"
REASONING_TOKENS = "gen_ai.usage.reasoning.output_tokens"
TOOL_NAME = "gen_ai.tool.name"
TOOL_CALL_ID = "gen_ai.tool.call.id"
TOOL_TYPE = "gen_ai.tool.type"
ERROR_TYPE = "error.type"
# content, opt-in only
INPUT_MESSAGES = "gen_ai.input.messages"
OUTPUT_MESSAGES = "gen_ai.output.messages"
TOOL_ARGUMENTS = "gen_ai.tool.call.arguments"
TOOL_RESULT = "gen_ai.tool.call.result"
# codex's own (no convention covers them)
TURN_ID = "codex.turn.id"
TURN_STATUS = "codex.turn.status"
TURN_METHOD = "codex.turn.method"
ITEM_TYPE = "codex.item.type"
ITEM_STATUS = "codex.item.status"
MCP_SERVER = "codex.mcp.server"
APPROVAL_KIND = "codex.approval.kind"
APPROVAL_DECISION = "codex.approval.decision"
APPROVAL_DECIDED_BY = "codex.approval.decided_by"
APPROVAL_HOOK = "codex.approval.hook"
APPROVAL_RULE = "codex.approval.rule"
APPROVAL_RISK = "codex.approval.risk_level"

AGENT = "codex"
INVOKE_AGENT = "invoke_agent"
EXECUTE_TOOL = "execute_tool"
CAPTURE_ENV = "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT"
_TRACER_NAME = "codex_python_sdk"

# item type -> (tool name, gen_ai.tool.type) for the items that are tool calls; None: the item's ``tool``
_TOOLS: dict[str, tuple[str | None, str]] = {
    "commandExecution": ("shell", "extension"),
    "fileChange": ("apply_patch", "extension"),
    "dynamicToolCall": (None, "function"),
    "mcpToolCall": (None, "extension"),
}
TOOL_ITEM_TYPES = frozenset(_TOOLS)


def tracer_for(provider: Any) -> Tracer | None:
    """The tracer for one turn, or None when nothing would be recorded (the one check per turn).

    ``provider`` is the client's ``tracer_provider=``; None means the global one, which is only looked at
    when the application has imported OpenTelemetry (so a program without it never loads it).
    """
    if provider is None:
        trace = sys.modules.get("opentelemetry.trace")
        if trace is None:
            return None
        provider = trace.get_tracer_provider()
        if isinstance(provider, (trace.ProxyTracerProvider, trace.NoOpTracerProvider)):
            return None  # no SDK set up (yet): spans would go nowhere
    from ._version import __version__

    tracer: Tracer = provider.get_tracer(_TRACER_NAME, __version__)
    return tracer


def capture_content(option: bool | None) -> bool:
    """Whether to record message content: the client's ``capture_content``, else the conventions'
    environment variable."""
    if option is not None:
        return bool(option)
    return os.environ.get(CAPTURE_ENV, "").strip().lower() in ("true", "1", "yes")


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, default=str)


def _error(span: Span, error_type: str, description: str | None = None) -> None:
    from opentelemetry.trace import Status, StatusCode

    span.set_attribute(ERROR_TYPE, error_type)
    span.set_status(Status(StatusCode.ERROR, description))


def _usage_attributes(usage: Usage) -> dict[str, int]:
    return {
        INPUT_TOKENS: usage.input_tokens,
        OUTPUT_TOKENS: usage.output_tokens,
        CACHE_READ_TOKENS: usage.cached_input_tokens,
        CACHE_WRITE_TOKENS: usage.cache_write_input_tokens,
        REASONING_TOKENS: usage.reasoning_output_tokens,
    }


def decision_of(kind: str, result: Mapping[str, Any]) -> str:
    """The decision in an answer, as one low-cardinality word (``accept``, ``decline``, ``granted`` ...)."""
    if kind in ("command", "file_change"):
        decision = result.get("decision")
        if isinstance(decision, dict) and decision:
            return str(next(iter(decision)))  # {"acceptWithExecpolicyAmendment": {...}}
        return str(decision)
    if kind == "mcp_elicitation":
        return str(result.get("action"))
    if kind == "permissions":
        return "granted" if result.get("permissions") else "declined"
    if kind == "tool_user_input":
        return "answered" if result.get("answers") else "unanswered"
    if kind == "tool_call":
        return "success" if result.get("success") else "failure"
    return "answered"


class TurnTrace:
    """The spans of one turn: the turn's own, its tool calls' and its approvals'."""

    def __init__(
        self,
        tracer: Tracer,
        *,
        thread_id: str,
        method: str,
        model: str | None,
        provider: str | None,
        capture: bool,
        prompt: Any = None,
    ) -> None:
        from opentelemetry.trace import SpanKind

        self._tracer = tracer
        self.capture = capture
        attributes: dict[str, Any] = {
            OPERATION: INVOKE_AGENT,
            PROVIDER: provider or "openai",
            SYSTEM: provider or "openai",
            AGENT_NAME: AGENT,
            CONVERSATION_ID: thread_id,
            TURN_METHOD: method,
        }
        if model:
            attributes[REQUEST_MODEL] = model
        if capture and prompt is not None:
            attributes[INPUT_MESSAGES] = _json([{"role": "user", "parts": _parts(prompt)}])
        # Parented by whatever span is current where the turn was started (the caller's).
        self.span = tracer.start_span(f"{INVOKE_AGENT} {AGENT}", kind=SpanKind.CLIENT, attributes=attributes)
        self._tools: dict[str, Span] = {}
        self._ended = False

    def _child(
        self, name: str, parent: Span, attributes: dict[str, Any], start_ns: int | None = None
    ) -> Span:
        from opentelemetry.trace import SpanKind, set_span_in_context

        return self._tracer.start_span(
            name,
            context=set_span_in_context(parent),
            kind=SpanKind.INTERNAL,
            attributes=attributes,
            start_time=start_ns,
        )

    def turn_id(self, turn_id: str) -> None:
        """The server's id for the turn, once known."""
        self.span.set_attribute(TURN_ID, turn_id)

    # -- tool calls ------------------------------------------------------------------------------------
    def item_started(self, item: Mapping[str, Any]) -> None:
        """``item/started``: a tool call's span starts (other items are not traced)."""
        kind = item.get("type")
        item_id = item.get("id")
        if kind not in _TOOLS or not isinstance(item_id, str) or self._ended or item_id in self._tools:
            return
        name, tool_type = _TOOLS[str(kind)]
        tool = name or str(item.get("tool") or kind)
        attributes: dict[str, Any] = {
            OPERATION: EXECUTE_TOOL,
            TOOL_NAME: tool,
            TOOL_CALL_ID: item_id,
            TOOL_TYPE: tool_type,
            ITEM_TYPE: kind,
        }
        if kind == "mcpToolCall" and isinstance(item.get("server"), str):
            attributes[MCP_SERVER] = item["server"]
        if self.capture:
            arguments = _arguments(item)
            if arguments is not None:
                attributes[TOOL_ARGUMENTS] = arguments
        self._tools[item_id] = self._child(f"{EXECUTE_TOOL} {tool}", self.span, attributes)

    def item_completed(self, item: Mapping[str, Any]) -> None:
        """``item/completed``: a tool call's span ends, in error unless its status is ``completed``."""
        span = self._tools.pop(str(item.get("id")), None)
        if span is None:
            return
        status = item.get("status")
        if isinstance(status, str):
            span.set_attribute(ITEM_STATUS, status)
        if self.capture:
            result = _result(item)
            if result is not None:
                span.set_attribute(TOOL_RESULT, result)
        if status not in ("completed", None):
            _error(span, str(status))  # declined, failed
        span.end()

    # -- approvals -------------------------------------------------------------------------------------
    def approval(
        self,
        kind: str,
        item_id: str | None,
        decision: str,
        decided_by: str,
        *,
        started_ns: int,
        ended_ns: int | None = None,
        hook: str | None = None,
        rule: str | None = None,
        risk: str | None = None,
        failed: BaseException | None = None,
    ) -> None:
        """One decision (``started_ns`` / ``ended_ns``: ``time.time_ns()``): who decided, and what."""
        if self._ended:
            return
        parent = self._tools.get(item_id or "", self.span)
        attributes: dict[str, Any] = {
            APPROVAL_KIND: kind,
            APPROVAL_DECISION: decision,
            APPROVAL_DECIDED_BY: decided_by,
        }
        if item_id:
            attributes[TOOL_CALL_ID] = item_id
        for key, value in ((APPROVAL_HOOK, hook), (APPROVAL_RULE, rule), (APPROVAL_RISK, risk)):
            if value is not None:
                attributes[key] = value
        span = self._child(f"approval {kind}", parent, attributes, start_ns=started_ns)
        if failed is not None:
            _error(span, type(failed).__name__)
        span.end(end_time=ended_ns if ended_ns is not None else time.time_ns())

    # -- the end ---------------------------------------------------------------------------------------
    def finish(
        self, *, status: str, usage: Usage | None, error_type: str | None, text: str | None = None
    ) -> None:
        """End the turn's span (and any tool span the turn left open, as interrupted)."""
        if self._ended:
            return
        self._ended = True
        for span in self._tools.values():
            _error(span, "interrupted")
            span.end()
        self._tools.clear()
        self.span.set_attribute(TURN_STATUS, status)
        if usage is not None:
            self.span.set_attributes(_usage_attributes(usage))
        if self.capture and text:
            output = [{"role": "assistant", "parts": [{"type": "text", "content": text}]}]
            self.span.set_attribute(OUTPUT_MESSAGES, _json(output))
        if error_type is not None:
            _error(self.span, error_type)
        self.span.end()


def _parts(prompt: Any) -> list[dict[str, Any]]:
    """Wire input items as message parts (text as text, anything else by its type)."""
    parts: list[dict[str, Any]] = []
    for item in prompt if isinstance(prompt, list) else [prompt]:
        if isinstance(item, dict) and item.get("type") == "text":
            parts.append({"type": "text", "content": item.get("text")})
        elif isinstance(item, dict):
            parts.append({"type": str(item.get("type"))})
        else:
            parts.append({"type": "text", "content": str(item)})
    return parts


def _arguments(item: Mapping[str, Any]) -> str | None:
    kind = item.get("type")
    if kind == "commandExecution":
        return _json({"command": item.get("command"), "cwd": item.get("cwd")})
    if kind == "fileChange":
        changes = item.get("changes")
        paths = [c.get("path") for c in changes if isinstance(c, dict)] if isinstance(changes, list) else []
        return _json({"paths": paths})
    arguments = item.get("arguments")
    return None if arguments is None else _json(arguments)


def _result(item: Mapping[str, Any]) -> str | None:
    kind = item.get("type")
    if kind == "commandExecution":
        output = item.get("aggregatedOutput")
        return _json({"exit_code": item.get("exitCode"), "output": output})
    if kind == "dynamicToolCall":
        return _json(item.get("contentItems"))
    if kind == "mcpToolCall":
        return _json(item.get("result") if item.get("error") is None else item.get("error"))
    return None
