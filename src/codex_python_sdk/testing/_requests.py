"""Recorded model requests and helpers to assert on what reached the model."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from ._script import Reply

__all__ = ["COMPACTION_PROMPT_PREFIX", "ModelRequest", "ModelRequestKind"]

ModelRequestKind = Literal["turn", "guardian", "compaction", "other"]
"""What a recorded request is for: a normal turn step, a guardian review, a compaction, or anything else."""

COMPACTION_PROMPT_PREFIX = "You are performing a CONTEXT CHECKPOINT COMPACTION"
"""How the user text of codex's (local) compaction request starts."""


def _content_text(content: Any) -> str:
    """The text of a message ``content`` or a tool ``output`` (a string or a list of content parts)."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(
            str(part.get("text", "")) for part in content if isinstance(part, Mapping) and "text" in part
        )
    return "" if content is None else json.dumps(content)


@dataclasses.dataclass(eq=False)
class ModelRequest:
    """One HTTP request the fake model received, with helpers for the Responses API body.

    The request fields are set on arrival; ``reply``, ``unscripted``, ``error`` and ``disconnected`` are
    filled in by the server while it answers.
    """

    index: int
    """0-based position among all requests this model received."""
    method: str
    """HTTP method (``POST`` for model calls)."""
    path: str
    """Request path without the query string, e.g. ``/v1/responses``."""
    query: str
    """Raw query string ("" if none)."""
    headers: Mapping[str, str]
    """Request headers, names lower-cased."""
    body: bytes
    """Raw request body."""
    json: Any
    """The parsed JSON body, or None if the body is empty or not JSON."""
    received_at: float
    """``time.monotonic()`` at arrival."""
    reply: Reply | None = None
    """The :class:`Reply` that answered this request (None if unscripted)."""
    unscripted: bool = False
    """True when nothing was scripted for this request and the model answered with a failure."""
    error: str | None = None
    """Why the request failed on the fake's side (unscripted, a responder raised ...), else None."""
    disconnected: bool = False
    """True when the client closed the connection before the reply was completely written."""

    # ------------------------------------------------------------------ classification

    @property
    def is_responses(self) -> bool:
        """Whether this is a ``POST .../responses`` model call."""
        return self.method == "POST" and self.path.rstrip("/").endswith("/responses")

    @property
    def body_dict(self) -> Mapping[str, Any]:
        """The JSON body if it is an object, else an empty mapping."""
        return self.json if isinstance(self.json, Mapping) else {}

    @property
    def turn_metadata(self) -> Mapping[str, Any]:
        """The parsed ``x-codex-turn-metadata`` header (``request_kind``, ``turn_id``, ...) or {}."""
        raw = self.headers.get("x-codex-turn-metadata")
        if not raw:
            return {}
        try:
            value = json.loads(raw)
        except ValueError:
            return {}
        return value if isinstance(value, Mapping) else {}

    @property
    def text_format(self) -> Mapping[str, Any] | None:
        """``text.format`` of the body (set for structured output and guardian reviews), else None."""
        text = self.body_dict.get("text")
        fmt = text.get("format") if isinstance(text, Mapping) else None
        return fmt if isinstance(fmt, Mapping) else None

    @property
    def is_guardian(self) -> bool:
        """Whether this is a guardian (automatic approval review) request.

        Recognised by the ``x-openai-subagent: guardian`` header codex sends, or else by its JSON-schema
        output format (name ``codex_output_schema``, an ``outcome`` property) with no tools.
        """
        if self.headers.get("x-openai-subagent") == "guardian":
            return True
        fmt = self.text_format
        return (
            fmt is not None
            and fmt.get("type") == "json_schema"
            and fmt.get("name") == "codex_output_schema"
            and not self.body_dict.get("tools")
            and "outcome" in json.dumps(fmt.get("schema", {}))
        )

    @property
    def is_compaction(self) -> bool:
        """Whether this is a compaction request (``thread/compact/start`` or automatic compaction)."""
        if self.turn_metadata.get("request_kind") == "compaction" or self.path.endswith("/compact"):
            return True
        last = self.last_user_text
        return last is not None and last.startswith(COMPACTION_PROMPT_PREFIX)

    @property
    def kind(self) -> ModelRequestKind:
        """``turn``, ``guardian``, ``compaction`` or ``other`` (not a model call)."""
        if not self.is_responses and not self.path.endswith("/compact"):
            return "other"
        if self.is_compaction:
            return "compaction"
        if self.is_guardian:
            return "guardian"
        return "turn"

    # ------------------------------------------------------------------ body helpers

    @property
    def model(self) -> str | None:
        """The ``model`` the request asks for."""
        value = self.body_dict.get("model")
        return value if isinstance(value, str) else None

    @property
    def thread_id(self) -> str | None:
        """The codex thread id (``thread-id`` header, else the turn metadata)."""
        value = self.headers.get("thread-id") or self.turn_metadata.get("thread_id")
        return str(value) if value else None

    @property
    def turn_id(self) -> str | None:
        """The codex turn id from the turn metadata header."""
        value = self.turn_metadata.get("turn_id")
        return str(value) if value else None

    @property
    def input(self) -> list[Mapping[str, Any]]:
        """The ``input`` items of the body (messages, tool calls, tool outputs, ...)."""
        items = self.body_dict.get("input")
        return [item for item in items if isinstance(item, Mapping)] if isinstance(items, list) else []

    @property
    def tools(self) -> list[Mapping[str, Any]]:
        """The ``tools`` offered to the model."""
        tools = self.body_dict.get("tools")
        return [tool for tool in tools if isinstance(tool, Mapping)] if isinstance(tools, list) else []

    @property
    def tool_names(self) -> list[str]:
        """Names of the offered tools (the ``type`` for unnamed tools such as ``web_search``)."""
        return [str(tool.get("name") or tool.get("type")) for tool in self.tools]

    def messages(self, role: str) -> list[str]:
        """Texts of the input messages with this ``role`` (``user``, ``developer``, ``assistant``)."""
        return [
            _content_text(item.get("content"))
            for item in self.input
            if item.get("type", "message") == "message" and item.get("role") == role
        ]

    @property
    def user_texts(self) -> list[str]:
        """Texts of all user messages in the input, in order.

        The first user messages codex sends are context (``<environment_context>``, AGENTS.md, ...);
        see :attr:`prompts` for only what a client typed.
        """
        return self.messages("user")

    @property
    def prompts(self) -> list[str]:
        """User texts without codex's injected context messages (those starting with ``<`` or ``#``)."""
        return [text for text in self.user_texts if not text.lstrip().startswith(("<", "# AGENTS.md"))]

    @property
    def last_user_text(self) -> str | None:
        """The text of the last user message in the input, or None."""
        texts = self.user_texts
        return texts[-1] if texts else None

    @property
    def tool_calls(self) -> list[Mapping[str, Any]]:
        """The model's earlier tool calls echoed in the input (``function_call`` / ``custom_tool_call``)."""
        return [item for item in self.input if item.get("type") in ("function_call", "custom_tool_call")]

    @property
    def tool_outputs(self) -> dict[str, str]:
        """Tool outputs in the input as text, keyed by call id.

        Covers ``function_call_output`` (shell, dynamic tools, request_user_input) and
        ``custom_tool_call_output`` (apply_patch). A declined command reads like
        ``exec_command failed: ... Rejected("rejected by user") ...``.
        """
        out: dict[str, str] = {}
        for item in self.input:
            if str(item.get("type", "")).endswith("_call_output") and "call_id" in item:
                out[str(item["call_id"])] = _content_text(item.get("output"))
        return out

    def tool_output(self, call_id: str) -> str | None:
        """The output of tool call ``call_id`` as text, or None if this request does not carry it."""
        return self.tool_outputs.get(call_id)

    def has_tool_output(self, call_id: str) -> bool:
        """Whether this request carries the output of tool call ``call_id``."""
        return call_id in self.tool_outputs

    def __repr__(self) -> str:
        extra = " unscripted" if self.unscripted else ""
        return f"<ModelRequest #{self.index} {self.method} {self.path} kind={self.kind}{extra}>"
