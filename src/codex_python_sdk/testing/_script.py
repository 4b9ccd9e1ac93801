"""The scripting builder: what the fake model says on one request.

A :class:`Reply` is an immutable description of one HTTP answer to one model request. Most replies are
a Responses-API event stream framed by ``response.created`` ... ``response.completed`` and carrying one
or more *output items* (a message, a reasoning item, a tool call). Replies that carry items can be merged
with :meth:`Reply.items`; modifiers (:meth:`Reply.slow`, :meth:`Reply.hang`, :meth:`Reply.cut`,
:meth:`Reply.with_usage`) return new replies. Errors are replies too (:meth:`Reply.http_error`,
:meth:`Reply.failed`).

Ids (``msg_…``, ``rs_…``, ``call_…``, ``resp_…``) are assigned when a reply is built, unique within the
process, unless given explicitly; read them back with :attr:`Reply.call_id` / :attr:`Reply.call_ids`.
The event stream of a reply is rendered to bytes once and cached, so a reply with 20,000 deltas costs
the server one ``sendall``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from functools import cached_property
from typing import Any, Literal

from ._gate import Gate
from ._sse import _dumps, _Item, _next_id, _split, message_events, reasoning_events

__all__ = ["Reply"]

_DEFAULT_USAGE: Mapping[str, Any] = {
    "input_tokens": 10,
    "input_tokens_details": None,
    "output_tokens": 5,
    "output_tokens_details": None,
    "total_tokens": 15,
}


@dataclasses.dataclass(frozen=True, eq=False)
class Reply:
    """One scripted answer of the fake model to one request.

    Build replies with the class methods, never with the constructor::

        Reply.text("READY")                                # a message, streamed as one delta
        Reply.text("hello world", deltas=5)                # ... as 5 ``item/agentMessage/delta``
        Reply.shell("echo hi")                             # an ``exec_command`` call (login shell off)
        Reply.items(Reply.reasoning("Thinking"), Reply.shell("ls"), Reply.text("Running ls"))
        Reply.server_error()                               # HTTP 500
        Reply.text("partial", deltas=3).hang()             # stops before response.completed

    A reply is immutable; modifiers return a new reply. A reply may be served more than once (it then
    repeats its ids); replies made by :meth:`hang` share their :class:`Gate`.
    """

    _items: tuple[_Item, ...] = ()
    _response_id: str = ""
    _usage: Mapping[str, Any] = dataclasses.field(default_factory=lambda: dict(_DEFAULT_USAGE))
    _status: int = 200
    _body: bytes | None = None
    _content_type: str = "text/event-stream"
    _headers: tuple[tuple[str, str], ...] = ()
    _failure: Mapping[str, Any] | None = None
    _delay: float = 0.0
    _hang_after: int | None = None
    _gate: Gate | None = None
    _cut_after: int | None = None

    # ------------------------------------------------------------------ constructors: output items

    @classmethod
    def _of(cls, *items: _Item) -> Reply:
        return cls(_items=tuple(items), _response_id=_next_id("resp"))

    @classmethod
    def text(cls, text: str, *, deltas: int = 1, id: str | None = None) -> Reply:
        """An assistant message ``text``, streamed as ``deltas`` ``response.output_text.delta`` events.

        ``deltas=0`` sends the whole message only in ``response.output_item.done`` (no delta
        notifications reach the client). The client sees the item id ``id`` (default ``msg_<n>``).
        """
        if deltas < 0:
            raise ValueError("deltas must be >= 0")
        return cls.stream_text(_split(text, deltas) if deltas else [], id=id, text=text)

    @classmethod
    def stream_text(cls, chunks: Sequence[str], *, id: str | None = None, text: str | None = None) -> Reply:
        """An assistant message streamed as exactly these delta ``chunks`` (final text: their join).

        Pass ``text`` to make the final ``output_item.done`` text differ from the streamed chunks.
        """
        item_id = id or _next_id("msg")
        final = "".join(chunks) if text is None else text
        events = message_events(item_id, chunks, final)
        return cls._of(_Item(tuple(events), None, f"text({final[:30]!r})"))

    @classmethod
    def reasoning(
        cls,
        summary: str | Sequence[str] = (),
        *,
        text: str | None = None,
        deltas: int = 1,
        id: str | None = None,
    ) -> Reply:
        """A reasoning item: summary parts (``item/reasoning/summaryTextDelta``) and optional raw text.

        ``summary`` is one string or several parts; each part is streamed in ``deltas`` deltas. ``text``
        is the raw reasoning content (``item/reasoning/textDelta``). Combine with a message in one
        response via :meth:`items`.
        """
        item_id = id or _next_id("rs")
        parts = [summary] if isinstance(summary, str) else list(summary)
        events = reasoning_events(item_id, parts, text, deltas)
        return cls._of(_Item(tuple(events), None, f"reasoning({parts[:1]!r})"))

    @classmethod
    def tool_call(
        cls,
        name: str,
        arguments: Mapping[str, Any] | str | None = None,
        *,
        call_id: str | None = None,
        namespace: str | None = None,
    ) -> Reply:
        """A ``function_call`` of tool ``name`` — e.g. a client-defined dynamic tool.

        ``arguments`` is a mapping (JSON-encoded for you) or an already encoded JSON string.
        ``namespace`` names the tool's namespace, e.g. ``mcp__<server>`` for an MCP tool that a
        :meth:`tool_search` made visible (see :meth:`mcp_tool_call`).
        """
        cid = call_id or _next_id("call")
        args = arguments if isinstance(arguments, str) else _dumps(dict(arguments or {}))
        item: dict[str, Any] = {
            "type": "function_call",
            "id": _next_id("fc"),
            "call_id": cid,
            "name": name,
            "arguments": args,
        }
        if namespace is not None:
            item["namespace"] = namespace
        event = {"type": "response.output_item.done", "item": item}
        label = f"{namespace}.{name}" if namespace else name
        return cls._of(_Item((event,), cid, f"{label}({args[:40]})"))

    @classmethod
    def tool_search(cls, query: str, *, call_id: str | None = None, limit: int | None = None) -> Reply:
        """A client-executed ``tool_search_call``: codex searches its deferred tools for ``query``.

        Codex 0.163.0 defers every MCP tool behind ``tool_search``; the next request then carries a
        ``tool_search_output`` listing the matches (as ``namespace`` tools), after which the model may
        call them (:meth:`mcp_tool_call`).
        """
        cid = call_id or _next_id("call")
        arguments: dict[str, Any] = {"query": query}
        if limit is not None:
            arguments["limit"] = limit
        item = {
            "type": "tool_search_call",
            "call_id": cid,
            "execution": "client",
            "status": "completed",
            "arguments": arguments,
        }
        event = {"type": "response.output_item.done", "item": item}
        return cls._of(_Item((event,), cid, f"tool_search({query!r})"))

    @classmethod
    def mcp_tool_call(
        cls,
        server: str,
        tool: str,
        arguments: Mapping[str, Any] | str | None = None,
        *,
        call_id: str | None = None,
    ) -> Reply:
        """A call of tool ``tool`` of the MCP server configured as ``server`` (namespace ``mcp__<server>``).

        The tool must have been found by a :meth:`tool_search` earlier in the thread.
        """
        return cls.tool_call(tool, arguments, call_id=call_id, namespace=f"mcp__{server}")

    @classmethod
    def custom_tool_call(cls, name: str, input: str, *, call_id: str | None = None) -> Reply:
        """A ``custom_tool_call`` (freeform tool) of tool ``name`` with raw ``input`` text."""
        cid = call_id or _next_id("call")
        item = {
            "type": "custom_tool_call",
            "id": _next_id("ctc"),
            "call_id": cid,
            "name": name,
            "input": input,
        }
        event = {"type": "response.output_item.done", "item": item}
        return cls._of(_Item((event,), cid, f"{name}<custom>"))

    @classmethod
    def shell(
        cls,
        cmd: str,
        *,
        call_id: str | None = None,
        escalated: bool = False,
        justification: str | None = None,
        login: bool = False,
        workdir: str | None = None,
        yield_time_ms: int | None = None,
        **extra: Any,
    ) -> Reply:
        """An ``exec_command`` call running ``cmd`` in a shell.

        ``escalated=True`` sets ``sandbox_permissions="require_escalated"`` (with ``justification``),
        which makes codex ask the client for approval under ``approvalPolicy: "on-request"``.
        ``login`` defaults to False so host profile noise stays out of the output. ``extra`` keys are
        passed through as further tool arguments (``tty``, ``max_output_tokens``, ``prefix_rule`` ...).
        """
        args: dict[str, Any] = {"cmd": cmd, "login": login}
        if escalated:
            args["sandbox_permissions"] = "require_escalated"
            args["justification"] = justification or "the scripted test asks for escalation"
        elif justification is not None:
            args["justification"] = justification
        if workdir is not None:
            args["workdir"] = workdir
        if yield_time_ms is not None:
            args["yield_time_ms"] = yield_time_ms
        args.update(extra)
        return cls.tool_call("exec_command", args, call_id=call_id)

    @classmethod
    def apply_patch(cls, patch: str, *, call_id: str | None = None) -> Reply:
        """An ``apply_patch`` edit (custom tool form); ``patch`` is ``*** Begin Patch`` ... text.

        Relative paths resolve against the thread's cwd. See also :meth:`add_file`.
        """
        return cls.custom_tool_call("apply_patch", patch, call_id=call_id)

    @classmethod
    def add_file(cls, path: str, content: str, *, call_id: str | None = None) -> Reply:
        """An ``apply_patch`` that creates the file ``path`` with ``content``."""
        lines = content.splitlines() or [""]
        body = "".join(f"+{line}\n" for line in lines)
        return cls.apply_patch(
            f"*** Begin Patch\n*** Add File: {path}\n{body}*** End Patch\n", call_id=call_id
        )

    @classmethod
    def request_user_input(
        cls, questions: Sequence[Mapping[str, Any]], *, call_id: str | None = None
    ) -> Reply:
        """A ``request_user_input`` call with ``questions`` (``id``, ``header``, ``question``, ``options``).

        Codex only forwards it to the client (``item/tool/requestUserInput``) in Plan collaboration mode.
        """
        return cls.tool_call(
            "request_user_input", {"questions": [dict(q) for q in questions]}, call_id=call_id
        )

    @classmethod
    def ask(
        cls,
        question: str,
        options: Sequence[str] = (),
        *,
        id: str = "answer",
        header: str = "Question",
        call_id: str | None = None,
    ) -> Reply:
        """A ``request_user_input`` call with one question and plain option labels."""
        opts = [{"label": label, "description": label} for label in options]
        return cls.request_user_input(
            [{"id": id, "header": header, "question": question, "options": opts}], call_id=call_id
        )

    @classmethod
    def guardian(
        cls,
        outcome: Literal["allow", "deny"] = "allow",
        *,
        risk_level: Literal["low", "medium", "high", "critical"] = "low",
        user_authorization: Literal["unknown", "low", "medium", "high"] = "high",
        rationale: str = "scripted verdict",
    ) -> Reply:
        """The guardian (automatic approval reviewer) verdict as the JSON message codex expects."""
        verdict = {
            "outcome": outcome,
            "risk_level": risk_level,
            "user_authorization": user_authorization,
            "rationale": rationale,
        }
        return cls.text(_dumps(verdict), deltas=0)

    @classmethod
    def events(cls, *events: Mapping[str, Any]) -> Reply:
        """Arbitrary SSE events (each a dict with ``type``) between ``response.created`` and ``completed``."""
        for event in events:
            if "type" not in event:
                raise ValueError(f"SSE event without 'type': {event!r}")
        return cls._of(_Item(tuple(events), None, f"events({len(events)})"))

    @classmethod
    def items(cls, *replies: Reply) -> Reply:
        """One response carrying the output items of several item replies, in order.

        Codex surfaces messages at once and runs all tool calls (in parallel) after the stream ends;
        the next request then carries all the tool outputs. Only the items are taken from the parts
        (not their ``slow``/``hang``/``cut``/usage modifiers); apply modifiers to the merged reply.
        """
        merged: list[_Item] = []
        for reply in replies:
            if reply._status != 200 or reply._body is not None or reply._failure is not None:
                raise ValueError("Reply.items() takes item replies only (text, shell, tool_call, ...)")
            merged.extend(reply._items)
        return cls._of(*merged)

    # ------------------------------------------------------------------ constructors: failures

    @classmethod
    def http_error(
        cls,
        status: int = 500,
        body: Mapping[str, Any] | str | bytes | None = None,
        *,
        message: str = "scripted failure",
        type: str = "server_error",
        code: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Reply:
        """An HTTP error answer (no stream). ``body`` defaults to ``{"error": {message, type, code}}``."""
        if body is None:
            body = {"error": {"message": message, "type": type, "code": code, "param": None}}
        if isinstance(body, Mapping):
            raw = _dumps(body).encode()
            content_type = "application/json"
        else:
            raw = body.encode() if isinstance(body, str) else body
            content_type = "application/json" if raw[:1] in (b"{", b"[") else "text/plain"
        return cls(
            _status=status,
            _body=raw,
            _content_type=content_type,
            _headers=tuple((headers or {}).items()),
            _response_id=_next_id("resp"),
        )

    @classmethod
    def server_error(cls, message: str = "boom") -> Reply:
        """HTTP 500 ``server_error`` (codex shows a canned "high demand" message, not this text)."""
        return cls.http_error(500, message=message, type="server_error")

    @classmethod
    def rate_limited(
        cls, message: str = "Rate limit reached", *, retry_after: float | None = None, quota: bool = False
    ) -> Reply:
        """HTTP 429: ``rate_limit_exceeded``, or ``insufficient_quota`` with ``quota=True``."""
        code = "insufficient_quota" if quota else "rate_limit_exceeded"
        headers = {"retry-after": f"{retry_after:g}"} if retry_after is not None else None
        return cls.http_error(429, message=message, type=code, code=code, headers=headers)

    @classmethod
    def unauthorized(cls, message: str = "Incorrect API key provided") -> Reply:
        """HTTP 401 ``invalid_api_key``."""
        return cls.http_error(401, message=message, type="invalid_request_error", code="invalid_api_key")

    @classmethod
    def bad_request(cls, message: str = "bad request", *, code: str | None = None) -> Reply:
        """HTTP 400 ``invalid_request_error`` (codex shows the raw body as the error message)."""
        return cls.http_error(400, message=message, type="invalid_request_error", code=code)

    @classmethod
    def context_length_exceeded(cls) -> Reply:
        """HTTP 400 with code ``context_length_exceeded``."""
        return cls.bad_request(
            "Your input exceeds the context window of this model.", code="context_length_exceeded"
        )

    @classmethod
    def failed(cls, message: str = "model failed", *, code: str = "server_error") -> Reply:
        """A stream that ends with ``response.failed`` (``error: {code, message}``) instead of completed.

        To fail after some output, use :meth:`then_fail` on an item reply instead.
        """
        return cls._of().then_fail(message, code=code)

    @classmethod
    def raw(
        cls,
        body: bytes | str,
        *,
        status: int = 200,
        content_type: str = "text/event-stream",
        headers: Mapping[str, str] | None = None,
    ) -> Reply:
        """Exactly these bytes as the response body (e.g. malformed SSE such as ``data: {not json``)."""
        raw = body.encode() if isinstance(body, str) else body
        return cls(
            _status=status,
            _body=raw,
            _content_type=content_type,
            _headers=tuple((headers or {}).items()),
            _response_id=_next_id("resp"),
        )

    # ------------------------------------------------------------------ modifiers

    def slow(self, delay: float) -> Reply:
        """Sleep ``delay`` seconds before writing each SSE event (for steer tests)."""
        return dataclasses.replace(self, _delay=delay)

    def hang(self, after: int | None = None) -> Reply:
        """Stop writing after ``after`` events and hold the connection open until released.

        Events are counted including ``response.created``; the default stops just before the final
        ``response.completed``. Release with :meth:`release` (the stream then finishes normally) or
        :meth:`FakeModel.release_all`; stopping the model closes the connection instead. The returned
        reply owns a new :class:`Gate`, also reachable as :attr:`gate`.
        """
        return dataclasses.replace(self, _hang_after=after, _gate=Gate())

    def cut(self, after: int | None = None) -> Reply:
        """Close the connection after ``after`` events (default: all but ``response.completed``)."""
        return dataclasses.replace(self, _cut_after=after if after is not None else -1)

    def then_fail(self, message: str = "model failed", *, code: str = "server_error") -> Reply:
        """End this reply's stream with ``response.failed`` instead of ``response.completed``."""
        if self._body is not None:
            raise ValueError("then_fail() needs a streamed reply")
        return dataclasses.replace(self, _failure={"code": code, "message": message})

    def with_usage(
        self,
        input_tokens: int = 10,
        output_tokens: int = 5,
        *,
        cached_input_tokens: int = 0,
        reasoning_output_tokens: int = 0,
    ) -> Reply:
        """Report this token usage in ``response.completed`` (default 10 in / 5 out)."""
        usage = {
            "input_tokens": input_tokens,
            "input_tokens_details": {"cached_tokens": cached_input_tokens},
            "output_tokens": output_tokens,
            "output_tokens_details": {"reasoning_tokens": reasoning_output_tokens},
            "total_tokens": input_tokens + output_tokens,
        }
        return dataclasses.replace(self, _usage=usage)

    # ------------------------------------------------------------------ accessors

    @property
    def call_ids(self) -> tuple[str, ...]:
        """The call ids of the tool calls in this reply, in order."""
        return tuple(item.call_id for item in self._items if item.call_id is not None)

    @property
    def call_id(self) -> str:
        """The call id of the (first) tool call in this reply; ValueError if it has none."""
        ids = self.call_ids
        if not ids:
            raise ValueError(f"{self!r} contains no tool call")
        return ids[0]

    @property
    def gate(self) -> Gate | None:
        """The gate of a reply made by :meth:`hang`, else None."""
        return self._gate

    def release(self) -> None:
        """Release a hanging reply (see :meth:`hang`); ValueError if it does not hang."""
        if self._gate is None:
            raise ValueError("release() on a reply that does not hang; use Reply.hang()")
        self._gate.release()

    def wait_until_hanging(self, timeout: float = 10.0) -> bool:
        """Block until the server has parked this reply's stream at its hang point."""
        if self._gate is None:
            raise ValueError("wait_until_hanging() on a reply that does not hang; use Reply.hang()")
        return self._gate.wait_reached(timeout)

    @property
    def status(self) -> int:
        """The HTTP status this reply answers with."""
        return self._status

    def __repr__(self) -> str:
        if self._body is not None:
            return f"Reply(status={self._status}, body={self._body[:60]!r})"
        parts = [item.label for item in self._items]
        if self._failure is not None:
            parts.append(f"failed({self._failure['message']!r})")
        mods = []
        if self._delay:
            mods.append(f".slow({self._delay})")
        if self._gate is not None:
            mods.append(f".hang({self._hang_after})")
        if self._cut_after is not None:
            mods.append(f".cut({self._cut_after})")
        return f"Reply[{', '.join(parts)}]{''.join(mods)}"

    # ------------------------------------------------------------------ rendering (used by the server)

    def _event_list(self) -> list[Mapping[str, Any]]:
        rid = self._response_id or "resp_0"
        events: list[Mapping[str, Any]] = [
            {
                "type": "response.created",
                "response": {"id": rid, "object": "response", "status": "in_progress"},
            }
        ]
        for index, item in enumerate(self._items):
            for event in item.events:
                if event.get("type", "").startswith("response.output_") and "output_index" not in event:
                    event = {**event, "output_index": index}
                events.append(event)
        if self._failure is not None:
            events.append(
                {
                    "type": "response.failed",
                    "response": {"id": rid, "status": "failed", "error": self._failure},
                }
            )
        else:
            events.append(
                {
                    "type": "response.completed",
                    "response": {"id": rid, "status": "completed", "usage": self._usage},
                }
            )
        return events

    @cached_property
    def _rendered(self) -> tuple[bytes, ...]:
        """The SSE frames of this reply, one bytes object per event."""
        return tuple(
            f"event: {event['type']}\ndata: {_dumps(event)}\n\n".encode() for event in self._event_list()
        )

    @cached_property
    def _rendered_body(self) -> bytes:
        return b"".join(self._rendered)

    def _prerender(self) -> None:
        if self._body is None:
            _ = self._rendered_body if self._streams_plainly else self._rendered

    @property
    def _streams_plainly(self) -> bool:
        """True when the whole stream can be written at once with a Content-Length."""
        return self._delay == 0 and self._gate is None and self._cut_after is None
