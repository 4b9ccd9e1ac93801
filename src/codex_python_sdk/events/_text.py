"""``ResponseEvent.phase`` and ``ResponseEvent.message_text``: what kind of event, and its human text.

Runs once per event on the hot path (not for agent-message deltas, which have their own fast path), so it
is a dict lookup by method and a few key reads. Never raises whatever the wire sends: a value of the
wrong type counts as absent, and only scalars are ever formatted (``str()`` of a deeply nested value can
raise).
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

    _Text = Callable[[dict[str, Any]], "str | None"]

__all__ = ["DELTA_METHODS", "message_text", "phase"]

DELTA_METHODS = frozenset(
    {
        "item/agentMessage/delta",
        "item/reasoning/summaryTextDelta",
        "item/reasoning/textDelta",
        "item/commandExecution/outputDelta",
        "item/fileChange/outputDelta",
        "item/plan/delta",
        "thread/realtime/transcript/delta",
        "thread/realtime/item/transcript/delta",
    }
)
"""Methods whose ``delta`` is streamed text: it becomes ``text_delta`` (and ``message_text``)."""

_PHASES = {
    "turn/completed": "completed",
    "error": "error",
    "item/agentMessage/delta": "assistant",
    "item/plan/delta": "planning",
    "turn/plan/updated": "planning",
    "item/commandExecution/outputDelta": "tool",
    "item/commandExecution/terminalInteraction": "tool",
    "item/fileChange/outputDelta": "tool",
    "item/fileChange/patchUpdated": "tool",
    "item/mcpToolCall/progress": "tool",
    "item/autoApprovalReview/started": "tool",
    "item/autoApprovalReview/completed": "tool",
    "serverRequest/resolved": "tool",
    # server requests that also appear in turn streams
    "item/commandExecution/requestApproval": "tool",
    "item/fileChange/requestApproval": "tool",
    "item/permissions/requestApproval": "tool",
    "item/tool/requestUserInput": "tool",
    "item/tool/call": "tool",
    "mcpServer/elicitation/request": "tool",
}
_ITEM_PHASES = {
    "agentMessage": "assistant",
    "reasoning": "planning",
    "plan": "planning",
    "commandExecution": "tool",
    "fileChange": "tool",
    "mcpToolCall": "tool",
    "dynamicToolCall": "tool",
    "webSearch": "tool",
    "collabAgentToolCall": "tool",
    "imageView": "tool",
}
_PLAN_STATUSES = ("inProgress", "pending", "completed")


def _str(value: Any) -> str | None:
    return value if type(value) is str else None


def _text(params: dict[str, Any], key: str) -> str | None:
    """``params[key]`` if it is a non-empty string."""
    value = params.get(key)
    return value if type(value) is str and value else None


def _dict(value: Any) -> dict[str, Any]:
    return value if type(value) is dict else {}


def _show(value: Any) -> Any:
    """``value`` if it is a scalar, else its type's name: str() of a deeply nested value can raise."""
    return value if value is None or type(value) in (str, int, float, bool) else f"<{type(value).__name__}>"


def _total_tokens(breakdown: Any) -> Any:
    return _show(breakdown.get("totalTokens")) if isinstance(breakdown, dict) else None


def phase(method: str, params: dict[str, Any]) -> str:
    """``assistant``, ``planning``, ``tool``, ``system``, ``error`` or ``completed``."""
    found = _PHASES.get(method)
    if found is not None:
        return found
    if method.startswith("item/reasoning/"):
        return "planning"
    if method in ("item/started", "item/completed"):
        kind = _dict(params.get("item")).get("type")
        if type(kind) is str:
            return _ITEM_PHASES.get(kind, "system")
    return "system"


def message_text(method: str, params: dict[str, Any]) -> str | None:
    """The human text of a (non-delta) event, or None when the kind has none."""
    text = _TEXTS.get(method)
    return text(params) if text is not None else None


# -- one function per kind that has text ---------------------------------------------------------------
def _joined(*parts: str | None, sep: str = ": ") -> str | None:
    """The given parts that are present, joined; None when the first (the main text) is absent."""
    if not parts[0]:
        return None
    return sep.join(p for p in parts if p)


def _item_completed(params: dict[str, Any]) -> str | None:
    item = _dict(params.get("item"))
    return _str(item.get("text")) if item.get("type") == "agentMessage" else None


def _turn_completed(params: dict[str, Any]) -> str | None:
    return _str(_dict(_dict(params.get("turn")).get("error")).get("message"))


def _error(params: dict[str, Any]) -> str | None:
    return _str(_dict(params.get("error")).get("message"))


def _thread_name(params: dict[str, Any]) -> str | None:
    name = params.get("threadName")
    return f"thread name: {_show(name)}" if name else "thread name cleared"


def _token_usage(params: dict[str, Any]) -> str | None:
    usage = _dict(params.get("tokenUsage"))
    totals = [
        f"{key}={value}" for key in ("last", "total") if (value := _total_tokens(usage.get(key))) is not None
    ]
    return ", ".join(totals) or None


def _diff(params: dict[str, Any]) -> str | None:
    lines = (_str(params.get("diff")) or "").splitlines()
    added = sum(1 for ln in lines if ln.startswith("+") and not ln.startswith("+++"))
    removed = sum(1 for ln in lines if ln.startswith("-") and not ln.startswith("---"))
    return f"+{added} -{removed}"


def _plan(params: dict[str, Any]) -> str | None:
    plan = params.get("plan")
    if not isinstance(plan, list):
        plan = []
    # The seed's order (in progress, pending, completed); a status it did not know comes after.
    counts: dict[str, int] = dict.fromkeys(_PLAN_STATUSES, 0)
    for step in plan:
        if isinstance(step, dict):
            status = str(_show(step.get("status")))
            counts[status] = counts.get(status, 0) + 1
    parts = [str(_show(params.get("explanation")) or "plan"), f"steps={len(plan)}"]
    return ", ".join(parts + [f"{k}={v}" for k, v in counts.items() if v])


def _rerouted(params: dict[str, Any]) -> str | None:
    src, dst = _text(params, "fromModel"), _text(params, "toModel")
    if not (src or dst):
        return None
    reason = _text(params, "reason")
    return f"model rerouted from {src or '?'} to {dst or '?'}" + (f" ({reason})" if reason else "")


def _world_writable(params: dict[str, Any]) -> str | None:
    if params.get("failedScan") is True:
        return "the scan for world-writable directories failed"
    paths = params.get("samplePaths")
    shown = [p for p in paths[:5] if type(p) is str] if isinstance(paths, list) else []
    extra = params.get("extraCount")
    more = f" (+{extra} more)" if type(extra) is int and extra > 0 else ""
    return "world-writable directories: " + (", ".join(shown) or "(none named)") + more


def _mcp_status(params: dict[str, Any]) -> str | None:
    name, status = _text(params, "name"), _text(params, "status")
    if not (name and status):
        return _text(params, "error")
    return _joined(f"MCP server {name}: {status}", _text(params, "error"))


def _outcome(what: str, params: dict[str, Any]) -> str | None:
    """``<what> succeeded`` / ``<what> failed: <error>`` from ``success`` and ``error``."""
    success = params.get("success")
    if type(success) is not bool:
        return _text(params, "error")
    return _joined(f"{what} {'succeeded' if success else 'failed'}", _text(params, "error"))


def _mcp_login(params: dict[str, Any]) -> str | None:
    name = _text(params, "name")
    return _outcome(f"MCP server {name} login" if name else "MCP server login", params)


def _gateway_oauth(params: dict[str, Any]) -> str | None:
    status = _text(params, "status")
    if status is None:
        return _text(params, "error")
    provider = _text(params, "providerId")
    return _joined(
        f"gateway OAuth {provider}: {status}" if provider else f"gateway OAuth: {status}",
        _text(params, "error"),
    )


def _hook_run(params: dict[str, Any]) -> str | None:
    return _text(_dict(params.get("run")), "statusMessage")


def _auto_review(params: dict[str, Any]) -> str | None:
    review = _dict(params.get("review"))
    return _joined(_text(review, "status"), _text(review, "rationale"))


def _goal(params: dict[str, Any]) -> str | None:
    return _text(_dict(params.get("goal")), "objective")


def _prediction(params: dict[str, Any]) -> str | None:
    return _text(_dict(params.get("result")), "text")


def _questions(params: dict[str, Any]) -> str | None:
    questions = params.get("questions")
    if not isinstance(questions, list):
        return None
    return "; ".join(text for q in questions if (text := _text(_dict(q), "question"))) or None


def _key(name: str) -> _Text:
    def text(params: dict[str, Any]) -> str | None:
        return _text(params, name)

    return text


def _notice(params: dict[str, Any]) -> str | None:
    return _joined(_text(params, "summary"), _text(params, "details"))


_TEXTS: dict[str, _Text] = {
    # the agent's answer, turn outcome and bookkeeping (the seed's texts)
    "item/completed": _item_completed,
    "turn/completed": _turn_completed,
    "thread/name/updated": _thread_name,
    "thread/tokenUsage/updated": _token_usage,
    "turn/diff/updated": _diff,
    "item/reasoning/summaryPartAdded": lambda p: f"summary part #{_show(p.get('summaryIndex'))}",
    "thread/compacted": lambda p: "thread compacted",
    "turn/plan/updated": _plan,
    # errors, warnings and notices
    "error": _error,
    "warning": _key("message"),
    "guardianWarning": _key("message"),
    "configWarning": _notice,
    "deprecationNotice": _notice,
    "windows/worldWritableWarning": _world_writable,
    "model/rerouted": _rerouted,
    "modelProvider/authRecoveryStarted": _key("message"),
    "modelProvider/authRecoveryCompleted": _key("message"),
    "thread/realtime/error": _key("message"),
    "thread/realtime/closed": _key("reason"),
    # progress and outcomes
    "item/mcpToolCall/progress": _key("message"),
    "item/autoApprovalReview/completed": _auto_review,
    "hook/started": _hook_run,
    "hook/completed": _hook_run,
    "mcpServer/startupStatus/updated": _mcp_status,
    "mcpServer/oauthLogin/completed": _mcp_login,
    "account/login/completed": lambda p: _outcome("login", p),
    "account/gatewayOAuth/changed": _gateway_oauth,
    "windowsSandbox/setupCompleted": lambda p: _outcome("Windows sandbox setup", p),
    "thread/goal/updated": _goal,
    "thread/prediction/updated": _prediction,
    "thread/realtime/transcript/done": _key("text"),
    # server requests shown in the stream: what the agent gives as its reason, or asks
    "item/commandExecution/requestApproval": _key("reason"),
    "item/fileChange/requestApproval": _key("reason"),
    "item/permissions/requestApproval": _key("reason"),
    "execCommandApproval": _key("reason"),
    "applyPatchApproval": _key("reason"),
    "item/tool/requestUserInput": _questions,
    "mcpServer/elicitation/request": lambda p: _text(p, "message") or _text(p, "title"),
}
