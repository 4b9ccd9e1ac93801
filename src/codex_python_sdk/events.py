"""What streams and turns hand back: ``ResponseEvent``, ``AgentResponse``, ``CommandExecEvent``.

The names and fields are the seed's. ``ResponseEvent`` is built once per notification on the hot path, so
it is a slotted class that copies a handful of keys and computes nothing else: the ISO ``timestamp`` and
the typed ``payload`` are worked out only when someone reads them.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

__all__ = ["AgentResponse", "CommandExecEvent", "ResponseEvent", "TurnStatus"]

TurnStatus = str
"""``"completed"``, ``"interrupted"`` or ``"failed"`` (a newer server may add values; kept as given)."""

_DELTA_METHODS = frozenset(
    {
        "item/agentMessage/delta",
        "item/reasoning/summaryTextDelta",
        "item/reasoning/textDelta",
        "item/commandExecution/outputDelta",
        "item/fileChange/outputDelta",
        "item/plan/delta",
    }
)
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


def _show(value: Any) -> Any:
    """``value`` if it is a scalar, else its type's name: str() of a deeply nested value can raise."""
    return value if value is None or type(value) in (str, int, float, bool) else f"<{type(value).__name__}>"


def _total_tokens(breakdown: Any) -> Any:
    return _show(breakdown.get("totalTokens")) if isinstance(breakdown, dict) else None


def _phase(method: str, params: dict[str, Any]) -> str:
    phase = _PHASES.get(method)
    if phase is not None:
        return phase
    if method.startswith("item/reasoning/"):
        return "planning"
    if method in ("item/started", "item/completed"):
        item = params.get("item")
        kind = item.get("type") if isinstance(item, dict) else None
        if type(kind) is str:
            return _ITEM_PHASES.get(kind, "system")
    return "system"


def _first_text(params: dict[str, Any]) -> str | None:
    for key in ("message", "summary", "text", "delta"):
        value = params.get(key)
        if isinstance(value, str) and value:
            return value
    error = params.get("error")
    if isinstance(error, dict) and isinstance(error.get("message"), str):
        return str(error["message"])
    return None


def _message_text(method: str, params: dict[str, Any]) -> str | None:
    if method == "item/completed":
        item = params.get("item")
        if isinstance(item, dict) and item.get("type") == "agentMessage":
            return _str(item.get("text"))
        return None
    if method == "turn/completed":
        turn = params.get("turn")
        error = turn.get("error") if isinstance(turn, dict) else None
        return _str(error.get("message")) if isinstance(error, dict) else None
    if method == "thread/name/updated":
        name = params.get("threadName")
        return f"thread name: {_show(name)}" if name else "thread name cleared"
    if method == "thread/tokenUsage/updated":
        usage = params.get("tokenUsage")
        if not isinstance(usage, dict):
            usage = {}
        totals = [
            f"{key}={value}"
            for key in ("last", "total")
            if (value := _total_tokens(usage.get(key))) is not None
        ]
        return ", ".join(totals) or None
    if method == "turn/diff/updated":
        diff = _str(params.get("diff")) or ""
        added = sum(1 for ln in diff.splitlines() if ln.startswith("+") and not ln.startswith("+++"))
        removed = sum(1 for ln in diff.splitlines() if ln.startswith("-") and not ln.startswith("---"))
        return f"+{added} -{removed}"
    if method == "item/reasoning/summaryPartAdded":
        return f"summary part #{_show(params.get('summaryIndex'))}"
    if method == "thread/compacted":
        return "thread compacted"
    if method == "turn/plan/updated":
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
    if method == "item/mcpToolCall/progress":
        return _str(params.get("message"))
    if method in (
        "error",
        "warning",
        "guardianWarning",
        "configWarning",
        "deprecationNotice",
        "model/rerouted",
    ):
        return _first_text(params)
    return None


class ResponseEvent:
    """One normalized notification of a turn (or of a listener).

    ``type`` is the JSON-RPC method (``"thread/ready"`` is the one synthetic event, first in every
    ``responses_events`` stream). ``raw`` is the full notification. ``phase`` is one of ``assistant``,
    ``planning``, ``tool``, ``system``, ``error``, ``completed``.
    """

    __slots__ = (
        "type",
        "phase",
        "text_delta",
        "message_text",
        "request_id",
        "thread_id",
        "turn_id",
        "item_id",
        "summary_index",
        "thread_name",
        "token_usage",
        "plan",
        "diff",
        "raw",
        "received_at",
    )

    def __init__(
        self,
        type: str,
        phase: str = "system",
        text_delta: str | None = None,
        message_text: str | None = None,
        request_id: str | int | None = None,
        thread_id: str | None = None,
        turn_id: str | None = None,
        item_id: str | None = None,
        summary_index: int | None = None,
        thread_name: str | None = None,
        token_usage: dict[str, Any] | None = None,
        plan: list[Any] | None = None,
        diff: str | None = None,
        raw: Any = None,
        received_at: float | None = None,
    ) -> None:
        self.type = type
        self.phase = phase
        self.text_delta = text_delta
        self.message_text = message_text
        self.request_id = request_id
        self.thread_id = thread_id
        self.turn_id = turn_id
        self.item_id = item_id
        self.summary_index = summary_index
        self.thread_name = thread_name
        self.token_usage = token_usage
        self.plan = plan
        self.diff = diff
        self.raw = raw
        self.received_at = time.time() if received_at is None else received_at

    @classmethod
    def from_notification(cls, msg: dict[str, Any], thread_id: str | None = None) -> ResponseEvent:
        """Normalize one notification message (``{"method", "params", ...}``).

        Never raises on a malformed message: a field whose wire value has the wrong type is ``None``
        (``type`` is ``""`` when the message has no string method); :attr:`raw` keeps everything as sent.
        """
        method = msg.get("method")
        params = msg.get("params")
        if type(params) is not dict:
            params = {}
        if method == "item/agentMessage/delta":  # the hot path: most events of a turn are these
            delta = params.get("delta")
            tid = params.get("threadId")
            turn_id = params.get("turnId")
            item_id = params.get("itemId")
            if type(delta) is str and type(tid) is str and type(turn_id) is str and type(item_id) is str:
                return cls(
                    method, "assistant", delta, delta, None, tid or thread_id, turn_id, item_id, raw=msg
                )
        elif type(method) is not str:
            method = ""
        turn_id = params.get("turnId")
        if turn_id is None:
            turn = params.get("turn")
            if isinstance(turn, dict):
                turn_id = turn.get("id")
        tid = params.get("threadId")
        if tid is None:
            thread = params.get("thread")
            tid = thread.get("id") if isinstance(thread, dict) else None
        item_id = params.get("itemId")
        if item_id is None:
            item = params.get("item")
            if isinstance(item, dict):
                item_id = item.get("id")
        delta = _str(params.get("delta")) if method in _DELTA_METHODS else None
        # A server request shown in the stream carries its own id; serverRequest/resolved names it.
        request_id = params.get("requestId") if method == "serverRequest/resolved" else msg.get("id")
        summary_index = params.get("summaryIndex")
        token_usage = params.get("tokenUsage")
        plan = params.get("plan")
        return cls(
            method,
            _phase(method, params),
            delta,
            delta if delta is not None else _message_text(method, params),
            request_id if type(request_id) is str or type(request_id) is int else None,
            _str(tid) or thread_id,
            _str(turn_id),
            _str(item_id),
            summary_index if type(summary_index) is int else None,
            _str(params.get("threadName")),
            token_usage if type(token_usage) is dict else None,
            plan if type(plan) is list else None,
            _str(params.get("diff")),
            msg,
        )

    # -- derived, computed on access --------------------------------------------------------------------
    @property
    def method(self) -> str:
        """Alias of :attr:`type`."""
        return self.type

    @property
    def params(self) -> dict[str, Any]:
        """The notification's raw ``params`` dict."""
        raw = self.raw
        params = raw.get("params") if isinstance(raw, dict) else None
        return params if isinstance(params, dict) else {}

    @property
    def item(self) -> dict[str, Any] | None:
        """For ``item/started`` / ``item/completed``: the raw item dict."""
        item = self.params.get("item")
        return item if isinstance(item, dict) else None

    @property
    def payload(self) -> Any:
        """The params as the generated typed model for this method (raw dict for unknown methods)."""
        from .protocol import _registry  # lazy: the generated models load on first use

        if "id" in self.raw:  # a server request shown in the stream (an approval, a tool call)
            return _registry.decode_server_request(self.type, self.params)
        return _registry.decode_notification(self.type, self.params)

    @property
    def timestamp(self) -> str:
        """ISO-8601 UTC time: the server's ``emittedAtMs`` when present, else when the SDK received it."""
        raw = self.raw
        ms = raw.get("emittedAtMs") if isinstance(raw, dict) else None
        if isinstance(ms, (int, float)) and not isinstance(ms, bool):
            try:
                return datetime.fromtimestamp(ms / 1000.0, tz=timezone.utc).isoformat()
            except (OverflowError, ValueError, OSError):  # NaN, or out of the platform's time range
                pass
        return datetime.fromtimestamp(self.received_at, tz=timezone.utc).isoformat()

    def __repr__(self) -> str:
        shown = ", ".join(
            f"{name}={getattr(self, name)!r}"
            for name in ("type", "phase", "thread_id", "turn_id", "item_id", "text_delta", "message_text")
            if getattr(self, name) is not None
        )
        return f"ResponseEvent({shown})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ResponseEvent):
            return NotImplemented
        return all(getattr(self, n) == getattr(other, n) for n in self.__slots__ if n != "received_at")

    __hash__ = None  # type: ignore[assignment]


@dataclass
class AgentResponse:
    """The outcome of one turn (``responses_create``).

    ``text`` is the agent's final message only (never command output, reasoning or usage summaries).
    ``status`` is ``completed``, ``interrupted`` or ``failed``; ``error`` the turn's error dict when it
    failed; ``usage`` the last ``thread/tokenUsage/updated`` payload; ``items`` every completed item of the
    turn in order (raw dicts); ``diff`` the last unified diff of the turn; ``events`` all events when
    ``include_events=True``.
    """

    text: str
    thread_id: str
    request_id: str | None = None
    tool_name: str = "app-server"
    raw: Any = None
    events: list[ResponseEvent] | None = None
    turn_id: str | None = None
    status: TurnStatus = "completed"
    error: dict[str, Any] | None = None
    usage: dict[str, Any] | None = None
    items: list[dict[str, Any]] = field(default_factory=list)
    diff: str | None = None

    @property
    def session_id(self) -> str:
        """Alias of :attr:`thread_id` (the seed's PyPI page used this name)."""
        return self.thread_id

    @property
    def typed_items(self) -> list[Any]:
        """:attr:`items` as the generated ``ThreadItem`` models (``AgentMessageThreadItem``,
        ``CommandExecutionThreadItem``, ...; an unknown item type gives the base ``ThreadItem``)."""
        from .protocol import _registry  # lazy: the generated models load on first use

        return [_registry.decode("ThreadItem", item) for item in self.items]

    @property
    def final_message(self) -> dict[str, Any] | None:
        """The completed ``agentMessage`` item :attr:`text` came from, if any."""
        for item in reversed(self.items):
            if item.get("type") == "agentMessage" and item.get("text") == self.text:
                return dict(item)
        return None


@dataclass
class CommandExecEvent:
    """One event of :meth:`command_exec_events`: an output chunk, or the synthetic final
    ``command/exec/completed`` with ``exit_code``, ``stdout`` and ``stderr``."""

    type: str
    process_id: str
    stream: str | None = None
    data: bytes = b""
    cap_reached: bool = False
    exit_code: int | None = None
    stdout: str | None = None
    stderr: str | None = None
    raw: Any = None
    timestamp: str = field(default_factory=lambda: datetime.now(timezone.utc).isoformat())
