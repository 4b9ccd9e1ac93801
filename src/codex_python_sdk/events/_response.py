"""What turns and command streams hand back: ``AgentResponse`` and ``CommandExecEvent``."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping
    from typing import Any

    from ..protocol._models.thread_item import ThreadItem
    from ..protocol._models.thread_token_usage import ThreadTokenUsage
    from ._event import ResponseEvent
    from ._usage import Usage

__all__ = ["AgentResponse", "CommandExecEvent", "TurnStatus"]

TurnStatus = str
"""``"completed"``, ``"interrupted"`` or ``"failed"`` (a newer server may add values; kept as given)."""


def _now_iso() -> str:
    from datetime import datetime, timezone  # lazy: only command streams need it, and it is slow to import

    return datetime.now(timezone.utc).isoformat()


def _typed(type_name: str, value: Any) -> Any:
    """A wire dict (or other mapping) as the generated model ``type_name``; a model is kept as it is."""
    if value is None:
        return None
    from ..protocol import _registry  # lazy: the generated models load on first use
    from ..protocol._base import Model

    if isinstance(value, Model):
        return value
    return _registry.decode(type_name, value if type(value) is dict else dict(value))


@dataclass(init=False, repr=False)
class AgentResponse:
    """The outcome of one turn (``responses_create``).

    ``text`` is the agent's final message only (never command output, reasoning or usage summaries).
    ``status`` is ``completed``, ``interrupted`` or ``failed``; ``error`` the turn's error dict when it
    failed; ``usage`` the last ``thread/tokenUsage/updated`` token usage (a ``ThreadTokenUsage``: the
    whole thread's ``total`` and the ``last`` model request's); ``turn_usage`` this turn's own tokens (a
    :class:`~codex_python_sdk.Usage`, None when codex reported none); ``items`` every completed item of
    the turn in order (``ThreadItem`` models: ``AgentMessageThreadItem``, ``CommandExecutionThreadItem``
    ...); ``diff`` the last unified diff of the turn; ``events`` all events when ``include_events=True``.

    ``usage`` and ``items`` are dict-backed views of the wire data: ``response.usage["total"]`` and
    ``response.items[0]["type"]`` read the raw JSON as before, and they compare equal to the dicts they
    wrap. Dicts given to the constructor are wrapped.
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
    usage: ThreadTokenUsage | None = None
    items: list[ThreadItem] = field(default_factory=list)
    diff: str | None = None
    turn_usage: Usage | None = None

    def __init__(
        self,
        text: str,
        thread_id: str,
        request_id: str | None = None,
        tool_name: str = "app-server",
        raw: Any = None,
        events: list[ResponseEvent] | None = None,
        turn_id: str | None = None,
        status: TurnStatus = "completed",
        error: dict[str, Any] | None = None,
        usage: ThreadTokenUsage | Mapping[str, Any] | None = None,
        items: Iterable[ThreadItem | Mapping[str, Any]] | None = None,
        diff: str | None = None,
        turn_usage: Usage | None = None,
    ) -> None:
        # Hand-written (the dataclass keeps fields, repr and eq) so that wire dicts are accepted and wrapped.
        self.text = text
        self.thread_id = thread_id
        self.request_id = request_id
        self.tool_name = tool_name
        self.raw = raw
        self.events = events
        self.turn_id = turn_id
        self.status = status
        self.error = error
        self.usage = _typed("ThreadTokenUsage", usage)
        self.items = [_typed("ThreadItem", item) for item in items] if items is not None else []
        self.diff = diff
        self.turn_usage = turn_usage

    def __repr__(self) -> str:
        # The dataclass fields, with secrets a server may echo (in an error, a command's output) redacted:
        # a repr ends up in logs and bug reports.
        from .._redact import redact_text

        fields = ", ".join(f"{f.name}={getattr(self, f.name)!r}" for f in dataclasses.fields(self))
        return redact_text(f"AgentResponse({fields})")

    @property
    def session_id(self) -> str:
        """Alias of :attr:`thread_id` (the seed's PyPI page used this name)."""
        return self.thread_id

    @property
    def typed_items(self) -> list[ThreadItem]:
        """:attr:`items` as the generated ``ThreadItem`` models (``AgentMessageThreadItem``,
        ``CommandExecutionThreadItem``, ...; an unknown item type gives the base ``ThreadItem``); a dict
        appended to :attr:`items` later is wrapped too."""
        return [_typed("ThreadItem", item) for item in self.items]

    @property
    def final_message(self) -> dict[str, Any] | None:
        """The completed ``agentMessage`` item :attr:`text` came from (its wire dict), if any."""
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
    timestamp: str = field(default_factory=_now_iso)
