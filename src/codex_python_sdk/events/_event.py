"""``ResponseEvent``: one notification (or server request) of a turn stream, normalized.

``ResponseEvent.from_notification`` runs once per notification on the hot path, so the event is a slotted
object that copies a handful of keys and computes nothing else: the ISO ``timestamp`` and the typed
``payload`` are worked out only when someone reads them. It returns the generated subclass for the method
(``events/_typed.py``: ``type`` a literal, ``payload`` the params model), which adds no per-instance cost.
"""

from __future__ import annotations

import time

from ._text import DELTA_METHODS, message_text, phase

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, ClassVar, Literal

    from ..protocol._base import JsonObject
    from ._typed import TypedEvent

__all__ = ["ResponseEvent", "ThreadReadyEvent", "UnknownEvent"]


def _str(value: Any) -> str | None:
    return value if type(value) is str else None


class ResponseEvent:
    """One normalized notification of a turn (or of a listener).

    ``type`` is the JSON-RPC method (``"thread/ready"`` is the one synthetic event, first in every
    ``responses_events`` stream). ``raw`` is the full notification. ``phase`` is one of ``assistant``,
    ``planning``, ``tool``, ``system``, ``error``, ``completed``. ``message_text`` is the event's human
    text when its kind has one (the agent's message, an error or warning, a plan summary ...).

    Streams yield the subclass for each method (see :data:`~codex_python_sdk.events.TypedEvent`);
    ``ResponseEvent(...)`` built directly stays a plain ``ResponseEvent`` and compares equal to a
    subclass instance with the same fields.
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
    _payload_model: ClassVar[str | None] = None
    """Name of the generated model ``payload`` decodes to (set by the generated subclasses)."""

    # Declared here rather than inferred from __init__, whose parameters take ``object`` instead of
    # ``Any``: a class whose constructor mentions ``Any`` is an ``Any`` expression to
    # ``--disallow-any-expr`` (in ``isinstance(event, UnknownEvent)``, say).
    type: str
    phase: str
    text_delta: str | None
    message_text: str | None
    request_id: str | int | None
    thread_id: str | None
    turn_id: str | None
    item_id: str | None
    summary_index: int | None
    thread_name: str | None
    token_usage: dict[str, Any] | None
    plan: list[Any] | None
    diff: str | None
    raw: Any
    received_at: float

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
        token_usage: dict[str, object] | None = None,
        plan: list[object] | None = None,
        diff: str | None = None,
        raw: object = None,
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
    def from_notification(cls, msg: dict[str, Any], thread_id: str | None = None) -> TypedEvent:
        """Normalize one notification message (``{"method", "params", ...}``) into the event class of
        its method (:class:`UnknownEvent` for a method this protocol version does not know).

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
                return _DeltaEvent(
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
        delta = _str(params.get("delta")) if method in DELTA_METHODS else None
        # A server request shown in the stream carries its own id; serverRequest/resolved names it.
        request_id = params.get("requestId") if method == "serverRequest/resolved" else msg.get("id")
        summary_index = params.get("summaryIndex")
        token_usage = params.get("tokenUsage")
        plan = params.get("plan")
        return _EVENT_CLASSES.get(method, UnknownEvent)(
            method,
            phase(method, params),
            delta,
            delta if delta is not None else message_text(method, params),
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
        """Alias of :attr:`type` (a plain ``str`` for type checkers, also on :class:`UnknownEvent`)."""
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
        """The params as the generated typed model for this method (raw dict for unknown methods).

        The subclasses streams yield type it exactly (``AgentMessageDeltaNotification`` for an
        ``item/agentMessage/delta`` event ...).
        """
        from ..protocol import _registry  # lazy: the generated models load on first use

        model = self._payload_model
        if model is not None:
            return _registry.decode(model, self.params)
        raw = self.raw
        if isinstance(raw, dict) and "id" in raw:  # a server request shown in the stream
            return _registry.decode_server_request(self.type, self.params)
        return _registry.decode_notification(self.type, self.params)

    @property
    def timestamp(self) -> str:
        """ISO-8601 UTC time: the server's ``emittedAtMs`` when present, else when the SDK received it."""
        from datetime import datetime, timezone  # lazy: rarely read, and datetime is slow to import

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
        # A repr ends up in logs and bug reports: a key the server echoed in a message must not.
        from .._redact import redact_text

        return redact_text(f"{type(self).__name__}({shown})")

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ResponseEvent):
            return NotImplemented
        return all(
            getattr(self, n) == getattr(other, n) for n in ResponseEvent.__slots__ if n != "received_at"
        )

    __hash__ = None  # type: ignore[assignment]


class UnknownEvent(ResponseEvent):
    """An event whose method this version of the protocol does not know (a newer server's, or the
    legacy ``codex/event/*`` ones); :attr:`payload` is its raw ``params`` dict.

    At run time ``type`` is the method as sent. For type checkers it is the placeholder
    ``Literal["<unknown>"]``: mypy narrows a union by ``event.type == "..."`` only when every member's
    ``type`` is a literal. Recognize these events with ``isinstance(event, UnknownEvent)`` and read
    :attr:`method` (a plain ``str``); comparing ``event.type`` with a method this version does not know is
    then a type error rather than a silent never-true branch.
    """

    __slots__ = ()

    if TYPE_CHECKING:
        type: Literal["<unknown>"]

    @property
    def payload(self) -> JsonObject:
        """The raw ``params`` dict."""
        return self.params


class ThreadReadyEvent(ResponseEvent):
    """The synthetic first event of ``responses_events`` and ``review_events``: the thread is started or
    resumed and the turn about to start; :attr:`thread_id` names the thread. :attr:`payload` is
    ``{"threadId": ...}``."""

    __slots__ = ()

    if TYPE_CHECKING:
        type: Literal["thread/ready"]

    @property
    def payload(self) -> JsonObject:
        """``{"threadId": thread_id}``."""
        raw = self.raw
        return raw if isinstance(raw, dict) else {"threadId": self.thread_id}


# The generated subclasses build on the classes above, so they are imported after them.
from ._typed import EVENT_CLASSES as _EVENT_CLASSES  # noqa: E402
from ._typed import ItemAgentMessageDeltaEvent as _DeltaEvent  # noqa: E402
