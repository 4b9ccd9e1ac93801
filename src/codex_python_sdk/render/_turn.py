"""What a person sees of a turn, independent of how it is drawn: events in, view calls out.

:class:`TurnReader` follows one turn's events and tells a :class:`View` what to show: text streaming in
(reasoning, the agent's message), something running (a command, a tool, an approval being decided), a
finished :class:`Block` (a command with its output, an approval with its decision, a file change with
its diff, a tool call with its result, a warning) and the turn's footer (status, time, tokens). The
plain-text view and the ``rich`` view (``_live.py``, ``_rich_view.py``) only draw.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from ..events import ResponseEvent
from ..policy._rules import inner_command
from ._text import _change_counts, _change_kind, _dict, _short

__all__ = ["WORKING", "Block", "TurnReader", "View"]

WORKING = "turn"
"""The :meth:`View.busy` key of the turn itself (a view shows it only when nothing else is under way)."""

# Server requests that ask a person (or a policy) to decide, with a verb for the approval line.
_APPROVALS = {
    "item/commandExecution/requestApproval": "command",
    "item/fileChange/requestApproval": "file_change",
    "item/permissions/requestApproval": "permissions",
    "item/tool/requestUserInput": "tool_user_input",
    "mcpServer/elicitation/request": "mcp_elicitation",
    "execCommandApproval": "command",
    "applyPatchApproval": "file_change",
}
_TOOL_ITEMS = frozenset({"dynamicToolCall", "mcpToolCall", "webSearch", "collabAgentToolCall", "imageView"})
_DECLINED = frozenset({"declined", "decline", "denied", "deny", "cancel", "cancelled", "rejected"})
_WARNINGS = frozenset({"warning", "configWarning", "guardianWarning", "deprecationNotice"})
_OUTPUT_LINES = 12  # command output shown under a finished command (the rest is summarised)


@dataclass
class Block:
    """One finished thing to show: ``kind`` is ``prompt``, ``command``, ``approval``, ``file_change``,
    ``tool``, ``warning``, ``error`` or ``footer``; ``ok`` colours it; ``body`` is output or a diff."""

    kind: str
    title: str
    ok: bool = True
    detail: str = ""
    body: str = ""
    body_kind: str = "output"  # "output" (dimmed text) or "diff" (coloured +/- lines)


class View(Protocol):
    """How a drawing surface shows a turn (see :class:`TurnReader`)."""

    def stream(self, kind: str, item_id: str, delta: str) -> None:
        """More ``kind`` text (``reasoning`` or ``message``) of item ``item_id``."""

    def stream_done(self, kind: str, item_id: str, text: str) -> None:
        """Item ``item_id``'s ``kind`` text is complete (``text`` is all of it)."""

    def busy(self, key: str, label: str) -> None:
        """Something started running (a command, a tool, an approval being decided)."""

    def idle(self, key: str) -> None:
        """What :meth:`busy` announced under ``key`` stopped."""

    def block(self, block: Block) -> None:
        """Show a finished :class:`Block`."""

    def pause(self) -> None:
        """Stop drawing until :meth:`resume` (someone else uses the terminal)."""

    def resume(self) -> None:
        """Draw again after :meth:`pause`."""

    def close(self) -> None:
        """The end: finish any half-written line, stop animations."""


@dataclass
class _Approval:
    kind: str
    label: str
    item_id: str | None
    key: str


@dataclass
class _Usage:
    input: int = 0
    cached: int = 0
    output: int = 0
    reasoning: int = 0
    total: int = 0
    seen: bool = False

    def add(self, last: Mapping[str, Any]) -> None:
        self.seen = True
        self.input += _int(last.get("inputTokens"))
        self.cached += _int(last.get("cachedInputTokens"))
        self.output += _int(last.get("outputTokens"))
        self.reasoning += _int(last.get("reasoningOutputTokens"))
        self.total += _int(last.get("totalTokens"))

    def text(self) -> str:
        if not self.seen:
            return "no token usage reported"
        cached = f" ({self.cached:,} cached)" if self.cached else ""
        reasoning = f" ({self.reasoning:,} reasoning)" if self.reasoning else ""
        return f"tokens {self.input:,} in{cached}, {self.output:,} out{reasoning}, {self.total:,} total"


def _int(value: Any) -> int:
    return value if type(value) is int else 0


def _seconds(ms: float) -> str:
    return f"{ms:.0f} ms" if ms < 1000 else f"{ms / 1000:.1f} s"


@dataclass
class TurnReader:
    """Turns events into :class:`View` calls; thread-safe (:meth:`decided` comes from hook threads)."""

    view: View
    show_reasoning: bool = True
    cwd: str = field(default_factory=os.getcwd)
    show_prompt: bool = False
    _lock: threading.RLock = field(default_factory=threading.RLock)
    _decisions: dict[Any, tuple[str, str | None]] = field(default_factory=dict)
    _pending: dict[Any, _Approval] = field(default_factory=dict)
    _unanswered: dict[str, _Approval] = field(default_factory=dict)  # resolved, decision not told
    _streamed: dict[str, str] = field(default_factory=dict)  # item id -> kind, for items with deltas
    _changes: dict[str, list[Any]] = field(default_factory=dict)
    _usage: _Usage = field(default_factory=_Usage)
    _started: float | None = None

    def decided(self, request_id: Any, decision: str, by: str | None = None) -> None:
        """Record who decided request ``request_id`` and how (shown with the approval)."""
        with self._lock:
            self._decisions[request_id] = (decision, by)

    def render(self, event: ResponseEvent) -> None:
        """Take one event into account."""
        with self._lock:
            self._render(event)

    def _render(self, event: ResponseEvent) -> None:
        kind = event.type
        if kind in ("item/agentMessage/delta", "item/reasoning/summaryTextDelta", "item/reasoning/textDelta"):
            stream = "message" if kind == "item/agentMessage/delta" else "reasoning"
            if event.text_delta and (stream == "message" or self.show_reasoning):
                item_id = event.item_id or ""
                self._streamed.setdefault(item_id, stream)
                self.view.stream(stream, item_id, event.text_delta)
        elif kind == "item/reasoning/summaryPartAdded" and self.show_reasoning:
            item_id = event.item_id or ""
            if item_id in self._streamed and event.summary_index:
                self.view.stream("reasoning", item_id, " ")  # parts are sentences of one summary
        elif kind == "item/started":
            self._item_started(_dict(event.item))
        elif kind == "item/completed":
            self._item_completed(_dict(event.item))
        elif kind in _APPROVALS and event.request_id is not None:
            self._approval_requested(event)
        elif kind == "serverRequest/resolved":
            self._approval_resolved(event.request_id)
        elif kind == "thread/tokenUsage/updated":
            self._usage.add(_dict((event.token_usage or {}).get("last")))
        elif kind == "turn/started":
            self._started = time.monotonic()
            self._usage = _Usage()
            self.view.busy(WORKING, "working")
        elif kind == "turn/completed":
            self._turn_completed(event)
        elif kind == "error":
            if not event.params.get("willRetry"):
                self.view.block(Block("error", event.message_text or "error", ok=False))
        elif kind in _WARNINGS and event.message_text:
            self.view.block(Block("warning", event.message_text, ok=False))

    # -- items -------------------------------------------------------------------------------------------
    def _item_started(self, item: dict[str, Any]) -> None:
        item_type, item_id = item.get("type"), str(item.get("id") or "")
        if item_type == "userMessage" and self.show_prompt:
            texts = [str(_dict(c).get("text") or "") for c in item.get("content") or []]
            self.view.block(Block("prompt", " ".join(t for t in texts if t)))
        elif item_type == "commandExecution":
            self.view.busy(item_id, f"$ {self._command(item.get('command'))}")
        elif item_type == "fileChange":
            self._changes[item_id] = list(item.get("changes") or [])
        elif item_type in _TOOL_ITEMS:
            self.view.busy(item_id, self._tool_call(item))

    def _item_completed(self, item: dict[str, Any]) -> None:
        item_type, item_id = item.get("type"), str(item.get("id") or "")
        status = str(item.get("status") or "completed")
        unanswered = self._unanswered.pop(item_id, None)
        if unanswered is not None:  # nobody told us the decision: the item's outcome says it
            declined = status in _DECLINED
            self._show_approval(unanswered, "decline" if declined else "accept", None)
        if item_type == "agentMessage":
            self.view.stream_done("message", item_id, str(item.get("text") or ""))
        elif item_type == "reasoning":
            if self.show_reasoning:
                text = " ".join(str(s) for s in item.get("summary") or []) or " ".join(
                    str(s) for s in item.get("content") or []
                )
                if text or item_id in self._streamed:
                    self.view.stream_done("reasoning", item_id, text)
        elif item_type == "commandExecution":
            self.view.idle(item_id)
            self.view.block(self._command_block(item, status))
        elif item_type == "fileChange":
            self.view.block(self._file_block(item, status))
        elif item_type in _TOOL_ITEMS:
            self.view.idle(item_id)
            self.view.block(self._tool_block(item, status))

    def _command(self, command: Any) -> str:
        return _short(inner_command(str(command or "")), 160)

    def _path(self, path: Any) -> str:
        text = str(path or "?")
        prefix = self.cwd.rstrip(os.sep) + os.sep
        return text[len(prefix) :] if text.startswith(prefix) else text

    def _command_block(self, item: dict[str, Any], status: str) -> Block:
        exit_code, ms = item.get("exitCode"), item.get("durationMs")
        facts = [status] if status != "completed" else []
        if type(exit_code) is int:
            facts.append(f"exit {exit_code}")
        if isinstance(ms, (int, float)):
            facts.append(_seconds(ms))
        ok = status == "completed" and exit_code in (0, None)
        output = str(item.get("aggregatedOutput") or "").rstrip("\n")
        lines = output.splitlines()
        if len(lines) > _OUTPUT_LINES:
            more = len(lines) - _OUTPUT_LINES
            lines = [*lines[:_OUTPUT_LINES], f"... {more} more line{'s' if more > 1 else ''}"]
        return Block(
            "command", f"$ {self._command(item.get('command'))}", ok, ", ".join(facts), "\n".join(lines)
        )

    def _file_block(self, item: dict[str, Any], status: str) -> Block:
        changes = list(item.get("changes") or self._changes.pop(str(item.get("id") or ""), []))
        names, diffs, added, removed = [], [], 0, 0
        for change in changes:
            change = _dict(change)
            plus, minus = _change_counts(change)
            added, removed = added + plus, removed + minus
            kind = _change_kind(change)
            names.append(f"{self._path(change.get('path'))} ({kind})")
            diff = str(change.get("diff") or "")
            if kind == "add":
                diff = "".join(f"+{line}\n" for line in diff.splitlines())
            elif kind == "delete":
                diff = "".join(f"-{line}\n" for line in diff.splitlines())
            if len(changes) > 1:
                diff = f"--- {self._path(change.get('path'))}\n{diff}"
            diffs.append(diff.rstrip("\n"))
        verb = {"completed": "applied"}.get(status, status)
        title = f"edit {', '.join(names) or '(no files)'}"
        return Block("file_change", title, status == "completed", f"+{added} -{removed}, {verb}",
                     "\n".join(diffs), "diff")  # fmt: skip

    def _tool_call(self, item: dict[str, Any]) -> str:
        item_type = item.get("type")
        if item_type == "mcpToolCall":
            name = f"{item.get('server')}/{item.get('tool')}"
        elif item_type == "webSearch":
            return f"web search: {_short(item.get('query'), 100)}"
        elif item_type == "dynamicToolCall":
            namespace = item.get("namespace")
            name = f"{namespace}.{item.get('tool')}" if namespace else str(item.get("tool"))
        else:
            return str(item_type)
        args = item.get("arguments")
        if isinstance(args, dict):
            shown = ", ".join(f"{k}={json.dumps(v, ensure_ascii=False)}" for k, v in args.items())
        else:
            shown = "" if args is None else json.dumps(args, ensure_ascii=False)
        return f"{name}({_short(shown, 100)})"

    def _tool_block(self, item: dict[str, Any], status: str) -> Block:
        success = item.get("success")
        ok = status == "completed" and success is not False
        parts = []
        for content in item.get("contentItems") or []:
            content = _dict(content)
            parts.append(str(content.get("text") or f"[{content.get('type')}]"))
        result = item.get("result")
        if not parts and isinstance(result, dict):  # an MCP tool's result
            parts = [str(_dict(c).get("text") or "") for c in result.get("content") or []]
        error = _dict(item.get("error")).get("message")
        answer = _short(" ".join(parts), 160) if parts else (_short(error, 160) if error else "")
        ms = item.get("durationMs")
        facts = [] if status == "completed" and success is not False else [status if ok else "failed"]
        if isinstance(ms, (int, float)):
            facts.append(_seconds(ms))
        title = self._tool_call(item) + (f" -> {answer}" if answer else "")
        return Block("tool", title, ok, ", ".join(facts))

    # -- approvals ---------------------------------------------------------------------------------------
    def _approval_requested(self, event: ResponseEvent) -> None:
        kind = _APPROVALS[event.type]
        params = event.params
        if kind == "command":
            command = params.get("command")
            if isinstance(command, list):
                command = " ".join(str(c) for c in command)
            label = f"run `{self._command(command)}`"
        elif kind == "file_change":
            item_id = str(params.get("itemId") or "")
            paths = [self._path(_dict(c).get("path")) for c in self._changes.get(item_id, [])]
            label = f"edit {', '.join(paths)}" if paths else "apply a patch"
        elif kind == "permissions":
            label = "grant permissions"
        elif kind == "tool_user_input":
            questions = [str(_dict(q).get("question") or "") for q in params.get("questions") or []]
            label = f"answer {_short('; '.join(questions), 100)!r}"
        else:
            label = f"{params.get('serverName') or 'MCP server'}: {_short(params.get('message'), 100)}"
        reason = params.get("reason") or params.get("justification")
        if reason:
            label += f" ({_short(reason, 100)})"
        item = event.item_id or params.get("itemId")
        key = f"approval:{event.request_id}"
        approval = _Approval(kind, label, str(item) if item else None, key)
        self._pending[event.request_id] = approval
        self.view.busy(key, f"approval: {label}")

    def _approval_resolved(self, request_id: Any) -> None:
        approval = self._pending.pop(request_id, None)
        if approval is None:
            return
        self.view.idle(approval.key)
        decision = self._decisions.pop(request_id, None)
        if decision is not None:
            self._show_approval(approval, *decision)
        elif approval.item_id is not None:
            self._unanswered[approval.item_id] = approval
        else:
            self._show_approval(approval, "answered", None)

    def _show_approval(self, approval: _Approval, decision: str, by: str | None) -> None:
        ok = decision.split()[0].lower() not in _DECLINED
        self.view.block(
            Block("approval", f"approval: {approval.label}", ok, decision + (f", by {by}" if by else ""))
        )

    def _turn_completed(self, event: ResponseEvent) -> None:
        self.view.idle(WORKING)
        for approval in [*self._pending.values(), *self._unanswered.values()]:
            self.view.idle(approval.key)
            self._show_approval(approval, "no answer", None)
        self._pending.clear()
        self._unanswered.clear()
        turn = _dict(event.params.get("turn"))
        status = str(turn.get("status") or "completed")
        ms = turn.get("durationMs")
        if not isinstance(ms, (int, float)):
            ms = (time.monotonic() - self._started) * 1000 if self._started is not None else None
        facts = [status] + ([f"in {_seconds(ms)}"] if ms is not None else [])
        title = " ".join(facts) + " | " + self._usage.text()
        error = _dict(turn.get("error")).get("message")
        self.view.block(Block("footer", title, status == "completed", _short(error, 300) if error else ""))
