"""Print a turn's events the way ``codex exec`` does: the seed's ``ExecStyleRenderer`` format, kept.

::

    with create_client() as client:
        render_exec_style_events(client.responses_events(prompt="List the files"))

    async with create_async_client() as client:
        await render_exec_style_events(client.responses_events(prompt="List the files"))

:func:`render_exec_style_events` takes a sync iterable and renders at once, or an async iterable and then
returns a coroutine to ``await``. Either way the renderer's :meth:`~ExecStyleRenderer.finish` runs even
when the stream raises, and the event iterator is closed when rendering stops, so a turn abandoned by an
error is interrupted on the server.

Output lines carry literal tags: ``Thread:``, ``== Turn Started ==``, ``Assistant:``, ``[thinking]``,
``[tool.exec]``, ``[tool.output:exec]``, ``[tool.exec.done]``, ``[tool.patch]``, ``[tool.patch.file]``,
``[approval]``, ``[input]``, ``[auto-review]``, ``[model]``, ``[warning]``, ``[error]``, ``[turn.diff]``,
``[summary]``, ``== Turn Completed ==`` and, with ``show_system=True``, ``[usage]``, ``[turn.plan]``,
``[item]``, ``[event]`` and friends. Agent text, reasoning and command output are written inline as their
deltas arrive.

Colour: ``color="auto"`` (default) uses colour when ``NO_COLOR`` is unset or empty and either
``CLICOLOR_FORCE`` is set to anything but ``0`` or the stream is a terminal (``TERM=dumb`` turns it off).
``"soft"`` (plain ANSI), ``"vivid"`` (bold, bright) and ``"off"`` force a mode; ``"on"``/``"true"``/``True``
mean soft, ``"false"``/``"none"``/``False`` mean off, and an unknown value means auto.
"""

from __future__ import annotations

import os
import sys
from collections.abc import AsyncIterable, Callable, Coroutine, Iterable, Mapping
from typing import Any, TextIO, overload

from ..events import ResponseEvent
from ._drive import drive
from ._text import (
    _ITEM_STARTS,
    _LEGACY_DUPLICATES,
    _OK,
    _ONE_LINE,
    _PALETTES,
    _REQUESTS,
    _RESET,
    _SYSTEM,
    _TOOL_ITEMS,
    _change_counts,
    _change_kind,
    _dedup_key,
    _deprecation_text,
    _dict,
    _diff_counts,
    _review_result,
    _short,
    resolve_color_mode,
)

__all__ = ["ExecStyleRenderer", "render_exec_style_events", "resolve_color_mode"]


class ExecStyleRenderer:
    """Writes :class:`ResponseEvent` objects (or raw notification dicts) as ``codex exec``-style text.

    Call :meth:`render` for each event and :meth:`finish` at the end (it ends a half-written line and
    resets colours; calling it twice is harmless). Options:

    - ``stream``: where to write (default ``sys.stdout``, looked up when the renderer is made);
    - ``show_reasoning``: inline ``[thinking]`` text;
    - ``show_system``: bookkeeping events too (usage, plans, diffs, item lifecycle, unknown events);
    - ``show_tool_output``: command and patch output as it streams;
    - ``show_turn_summary``: the ``[summary] status=…, tools=N, errors=M`` line at the end of a turn;
    - ``color``: see :func:`resolve_color_mode`.

    Each event costs a dict lookup and at most one ``write`` and one ``flush``; an agent text delta
    continuing the current line is written as is. ``tool_count``, ``error_count`` and ``approval_count``
    count the current turn.
    """

    def __init__(
        self,
        stream: TextIO | None = None,
        *,
        show_reasoning: bool = True,
        show_system: bool = False,
        show_tool_output: bool = True,
        show_turn_summary: bool = True,
        color: str | bool | None = "auto",
    ) -> None:
        self.stream: TextIO = stream if stream is not None else sys.stdout
        self.show_reasoning = show_reasoning
        self.show_system = show_system
        self.show_tool_output = show_tool_output
        self.show_turn_summary = show_turn_summary
        self.color_mode = resolve_color_mode(color, self.stream)
        spec = _PALETTES.get(self.color_mode, "")
        self._palette = {role: f"\x1b[{code}m" for role, _, code in (p.partition("=") for p in spec.split())}
        self.tool_count = self.error_count = self.approval_count = 0
        self._inline_kind: str | None = None  # "assistant", "thinking", "plan" or "output"
        self._inline_item: Any = None
        self._inline_reset = ""
        self._at_bol = True
        self._turn_open = self._finished = False
        self._turn_diff: str | None = None
        self._item_labels: dict[str, str] = {}
        self._streamed_agent_items: set[Any] = set()
        self._streamed_output_items: set[Any] = set()
        self._patch_files: dict[str, set[str]] = {}
        self._deprecations: set[str] = set()
        self._cwd = os.getcwd() + os.sep
        self._handlers: dict[str, Callable[[ResponseEvent], None]] = {
            "thread/ready": lambda e: self._line("turn", "Thread:", str(e.thread_id or "")),
            "turn/started": self._turn_started,
            "turn/completed": self._turn_completed,
            "item/started": self._item_started,
            "item/completed": self._item_completed,
            "item/reasoning/summaryTextDelta": self._thinking_delta,
            "item/reasoning/textDelta": self._thinking_delta,
            "item/reasoning/summaryPartAdded": self._summary_part,
            "item/commandExecution/outputDelta": self._output_delta,
            "item/fileChange/outputDelta": self._output_delta,
            "item/fileChange/patchUpdated": self._patch_updated,
            "item/plan/delta": self._plan_delta,
            "turn/diff/updated": self._turn_diff_updated,
            "error": self._error,
            "deprecationNotice": self._deprecation,
            "item/autoApprovalReview/completed": self._review_completed,
        }

    # -- output primitives -----------------------------------------------------------------------------
    def _paint(self, role: str, text: str) -> str:
        code = self._palette.get(role)
        return f"{code}{text}{_RESET}" if code else text

    def _end_inline(self) -> str:
        """Text that closes the open inline segment (colour reset and a newline if needed)."""
        out = self._inline_reset + ("" if self._at_bol else "\n")
        self._inline_kind = self._inline_item = None
        self._inline_reset = ""
        self._at_bol = True
        return out

    def _emit(self, text: str) -> None:
        stream = self.stream
        stream.write(text)
        stream.flush()

    def _line(self, role: str, tag: str, text: str = "", *, blank_before: bool = False) -> None:
        head = self._end_inline() + ("\n" if blank_before else "")
        body = f"{self._paint(role, tag)} {text}" if text else self._paint(role, tag)
        self._emit(f"{head}{body}\n")

    def _inline(self, kind: str, item: Any, prefix: str, role: str, delta: str) -> None:
        """Write ``delta`` inline, starting a new ``prefix``-ed segment when kind or item changes."""
        if self._inline_kind == kind and self._inline_item == item:
            self._at_bol = delta.endswith("\n")
            self._emit(delta)
            return
        head = self._end_inline()
        if role == "thinking" and self._palette:
            # Reasoning text stays dim until the segment ends (one code per segment, not per delta).
            head += self._palette["thinking"] + prefix
            self._inline_reset = _RESET
        elif prefix:
            head += self._paint(role, prefix)
        self._inline_kind, self._inline_item = kind, item
        self._at_bol = delta.endswith("\n") if delta else not prefix
        self._emit(head + delta)

    def _system(self, tag: str, text: str = "") -> None:
        if self.show_system:
            self._line("system", tag, text)

    def _path(self, path: Any) -> str:
        text = str(path or "")
        return text[len(self._cwd) :] if text.startswith(self._cwd) else text

    # -- public API ------------------------------------------------------------------------------------
    def render(self, event: ResponseEvent | Mapping[str, Any]) -> None:
        """Render one event (a :class:`ResponseEvent`, or a raw notification / server-request dict)."""
        if not isinstance(event, ResponseEvent):
            event = ResponseEvent.from_notification(dict(event))
        kind = event.type
        if kind == "item/agentMessage/delta":  # the hot path: most events of a turn
            delta = event.text_delta or ""
            item = event.item_id
            if self._inline_kind == "assistant" and self._inline_item == item:
                self._at_bol = delta.endswith("\n")
                self._emit(delta)
            else:
                self._streamed_agent_items.add(item)
                self._inline("assistant", item, "Assistant: ", "assistant", delta)
            return
        handler = self._handlers.get(kind)
        if handler is not None:
            handler(event)
        elif kind in _ONE_LINE:
            role, tag, text = _ONE_LINE[kind]
            self._line(role, tag, text(event.params))
        elif kind in _REQUESTS:
            tag, text = _REQUESTS[kind]
            self.approval_count += 1
            self._line("approval", tag, text(event.params))
        elif kind in _SYSTEM:
            if self.show_system:
                tag, system_text = _SYSTEM[kind]
                self._line("system", tag, system_text(event))
        elif isinstance(event.raw, dict) and "id" in event.raw:  # a server request this SDK does not know
            self.approval_count += 1
            self._line("approval", "[request]", kind)
        elif kind.startswith("codex/event/"):  # pre-v2 servers only; codex 0.163 sends none
            self._legacy(kind[12:], event)
        elif kind.startswith("account/"):
            self._system("[account]", _short(event.message_text or kind))
        elif self.show_system:
            self._line("system", "[event]", f"{kind} {_short(event.message_text)}".rstrip())

    def finish(self) -> None:
        """End the output: close a half-written line, reset colours, and flush. Idempotent.

        If a turn started but its ``turn/completed`` never came (the stream raised), a ``[summary]`` line
        with ``status=incomplete`` says so.
        """
        if self._finished:
            return
        self._finished = True
        if self._turn_open and self.show_turn_summary:
            self._turn_open = False
            self._line("warning", "[summary]", self._summary_text("incomplete"), blank_before=True)
        else:
            self._emit(self._end_inline())

    # -- turn lifecycle --------------------------------------------------------------------------------
    def _turn_started(self, event: ResponseEvent) -> None:
        self.tool_count = self.error_count = self.approval_count = 0
        self._turn_open = True
        self._turn_diff = None
        self._item_labels.clear()
        self._streamed_agent_items.clear()
        self._streamed_output_items.clear()
        self._patch_files.clear()
        self._line("turn", "== Turn Started ==", blank_before=True)

    def _summary_text(self, status: str) -> str:
        return f"status={status}, tools={self.tool_count}, errors={self.error_count}"

    def _turn_completed(self, event: ResponseEvent) -> None:
        turn = event.params.get("turn")
        turn = turn if isinstance(turn, dict) else {}
        status = str(turn.get("status") or "completed")
        error = turn.get("error")
        if status == "failed" and self.error_count == 0 and isinstance(error, dict):
            self.error_count += 1  # no ``error`` notification told the user why: say it here
            self._line("error", "[error]", _short(error.get("message") or "turn failed", 500))
        if self._turn_diff:
            added, removed = _diff_counts(self._turn_diff)
            files = sum(1 for ln in self._turn_diff.splitlines() if ln.startswith("+++ "))
            self._line("tool", "[turn.diff]", f"{files} file(s) changed, +{added} -{removed}")
        self._turn_open = False
        if self.show_turn_summary:
            role = "summary" if status == "completed" else "warning"
            self._line(role, "[summary]", self._summary_text(status), blank_before=True)
            self._line("turn", "== Turn Completed ==")
        else:
            self._line("turn", "== Turn Completed ==", blank_before=True)

    # -- items -----------------------------------------------------------------------------------------
    def _item_started(self, event: ResponseEvent) -> None:
        item = event.item or {}
        kind = str(item.get("type") or "")
        start = _ITEM_STARTS.get(kind)
        if start is None:
            self._system("[item]", f"{kind} started")
            return
        tag, label, text_of = start
        text = text_of(item)
        self.tool_count += kind in _TOOL_ITEMS
        # An output header names its tool: "exec", "patch", "web", or "mcp:server/tool" / "call:name".
        self._item_labels[str(item.get("id") or "")] = label + text if label.endswith(":") else label
        text = self._path(text) if kind == "imageView" else text
        self._line("turn" if tag == "[review]" else "tool", tag, text)
        if kind == "fileChange":
            self._patch_files_seen(item.get("id"), item.get("changes"))

    def _item_completed(self, event: ResponseEvent) -> None:
        item = event.item or {}
        kind = str(item.get("type") or "")
        item_id = item.get("id")
        status = str(item.get("status") or "completed")
        role = "ok" if status in _OK else "fail"
        if kind == "agentMessage":
            if self._inline_kind == "assistant" and self._inline_item == item_id:
                self._emit(self._end_inline())
            elif item_id not in self._streamed_agent_items and item.get("text"):
                self._line("assistant", "Assistant:", str(item.get("text")))
        elif kind == "commandExecution":
            output = item.get("aggregatedOutput")
            if self.show_tool_output and output and item_id not in self._streamed_output_items:
                self._replay_output(output)  # short commands often finish without any outputDelta
            exit_code = item.get("exitCode")
            role = "ok" if status == "completed" and exit_code in (0, None) else "fail"
            shown = "?" if exit_code is None else exit_code
            text = f"{status}, exit={shown}, {item.get('durationMs') or 0}ms"
            self._line(role, "[tool.exec.done]", text)
        elif kind == "mcpToolCall":
            error = item.get("error")
            message = error.get("message") if isinstance(error, dict) else None
            self._line(role, "[tool.mcp.done]", f"{status}: {_short(message)}" if message else status)
        elif kind == "fileChange":
            changes = item.get("changes")
            self._patch_files_seen(item_id, changes)
            text = status
            if isinstance(changes, list) and changes:
                counts = [_change_counts(c) for c in changes if isinstance(c, dict)]
                added, removed = sum(a for a, _ in counts), sum(r for _, r in counts)
                text += f", {len(counts)} file(s), +{added} -{removed}"
            self._line(role, "[tool.patch.done]", text)
        elif kind == "dynamicToolCall":
            self._line(role, "[tool.call.done]", status)
        elif kind == "exitedReviewMode":
            self._line("turn", "[review]", "finished")
        elif kind == "reasoning" and self._inline_kind == "thinking" and self._inline_item == item_id:
            self._emit(self._end_inline())
        else:
            self._system("[item]", f"{kind} completed")

    def _patch_files_seen(self, item_id: Any, changes: Any) -> None:
        """One ``[tool.patch.file]`` line per file, the first time the item mentions it (patches stream)."""
        if not isinstance(changes, list):
            return
        seen = self._patch_files.setdefault(str(item_id or ""), set())
        for change in changes:
            if not isinstance(change, dict):
                continue
            path = self._path(change.get("path"))
            if path not in seen:
                seen.add(path)
                added, removed = _change_counts(change)
                text = f"{_change_kind(change)} {path} (+{added} -{removed})"
                self._line("tool", "[tool.patch.file]", text)

    def _patch_updated(self, event: ResponseEvent) -> None:
        self._patch_files_seen(event.item_id, event.params.get("changes"))

    # -- streamed text ---------------------------------------------------------------------------------
    def _thinking_delta(self, event: ResponseEvent) -> None:
        if self.show_reasoning:
            self._inline("thinking", event.item_id, "[thinking] ", "thinking", event.text_delta or "")

    def _summary_part(self, event: ResponseEvent) -> None:
        # A new summary part starts a new [thinking] line; the marker itself is bookkeeping.
        if self.show_reasoning and self.show_system:
            self._line("thinking", "[thinking]", f"summary part #{event.summary_index}")
        elif self._inline_kind == "thinking":
            self._emit(self._end_inline())

    def _plan_delta(self, event: ResponseEvent) -> None:
        if self.show_system:
            self._inline("plan", event.item_id, "[plan] ", "system", event.text_delta or "")

    def _output_delta(self, event: ResponseEvent) -> None:
        if not self.show_tool_output:
            return
        item = event.item_id
        delta = event.text_delta or ""
        if self._inline_kind == "output" and self._inline_item == item:
            self._at_bol = delta.endswith("\n")
            self._emit(delta)
            return
        default = "exec" if event.type == "item/commandExecution/outputDelta" else "patch"
        self._line("tool", f"[tool.output:{self._item_labels.get(str(item), default)}]")
        self._streamed_output_items.add(item)
        self._inline("output", item, "", "tool", delta)

    def _replay_output(self, output: str, limit: int = 40) -> None:
        lines = output.splitlines()
        more = f"… {len(lines) - limit} more lines\n" if len(lines) > limit else ""
        self._line("tool", "[tool.output:exec]")
        self._emit("\n".join(lines[:limit]) + "\n" + more)

    # -- errors, warnings, reviews ---------------------------------------------------------------------
    def _error(self, event: ResponseEvent) -> None:
        message = _short(event.message_text or "error", 500)
        if event.params.get("willRetry") is True:
            # A transient failure the server retries by itself: a warning, not a turn error.
            self._line("warning", "[warning]", f"{message} (retrying)")
            return
        self.error_count += 1
        self._line("error", "[error]", message)

    def _deprecation(self, event: ResponseEvent, fallback: str = "") -> None:
        params = event.params
        notice = _dict(params.get("msg")) or params  # the legacy codex/event/* spelling wraps it in "msg"
        text = _deprecation_text(notice.get("summary") or event.message_text or fallback, params)
        if text is None:
            return  # nothing actionable (no text, nothing named): the seed drops these too
        key = _dedup_key(text)
        if key in self._deprecations:
            return  # repeated per thread and per start, and in both spellings: once is enough
        self._deprecations.add(key)
        details = notice.get("details")
        self._line("warning", "[warning]", f"{text}: {_short(details)}" if details else text)

    def _review_completed(self, event: ResponseEvent) -> None:
        review = event.params.get("review")
        status = review.get("status") if isinstance(review, dict) else None
        self._line("ok" if status in _OK else "fail", "[auto-review]", _review_result(event.params))

    def _legacy(self, suffix: str, event: ResponseEvent) -> None:
        msg = _dict(event.params.get("msg"))
        text = _short(event.message_text or msg.get("message") or msg.get("text"))
        if suffix == "stream_error":
            self.error_count += 1
            self._line("error", "[error]", text)
        elif suffix == "deprecation_notice":
            self._deprecation(event, text)
        elif not suffix.endswith(_LEGACY_DUPLICATES) and not suffix.startswith("task_"):
            self._system(f"[codex.{suffix}]", text)

    def _turn_diff_updated(self, event: ResponseEvent) -> None:
        self._turn_diff = event.diff or None
        self._system("[turn.diff]", event.message_text or "")


@overload
def render_exec_style_events(
    events: Iterable[ResponseEvent],
    *, stream: TextIO | None = ..., show_reasoning: bool = ..., show_system: bool = ...,
    show_tool_output: bool = ..., show_turn_summary: bool = ..., color: str | bool | None = ...,
) -> None: ...  # fmt: skip
@overload
def render_exec_style_events(
    events: AsyncIterable[ResponseEvent],
    *, stream: TextIO | None = ..., show_reasoning: bool = ..., show_system: bool = ...,
    show_tool_output: bool = ..., show_turn_summary: bool = ..., color: str | bool | None = ...,
) -> Coroutine[Any, Any, None]: ...  # fmt: skip
def render_exec_style_events(
    events: Iterable[ResponseEvent] | AsyncIterable[ResponseEvent],
    *,
    stream: TextIO | None = None,
    show_reasoning: bool = True,
    show_system: bool = False,
    show_tool_output: bool = True,
    show_turn_summary: bool = True,
    color: str | bool | None = "auto",
) -> Coroutine[Any, Any, None] | None:
    """Render every event of ``events`` with an :class:`ExecStyleRenderer` (options as its constructor).

    A sync iterable (``client.responses_events(...)`` of the sync client) is rendered now and None is
    returned. An async iterable (the async client's) gives a coroutine: ``await`` it. ``finish()`` runs
    even when the stream or the output raises, and the iterator is closed afterwards (for a turn stream
    that is left early, that interrupts the turn).
    """
    renderer = ExecStyleRenderer(
        stream, show_reasoning=show_reasoning, show_system=show_system, show_tool_output=show_tool_output,
        show_turn_summary=show_turn_summary, color=color,
    )  # fmt: skip
    return drive(renderer, events)
