"""What streams and turns hand back: ``ResponseEvent`` (and its typed subclasses), ``AgentResponse``,
``CommandExecEvent``, ``Usage``.

The names and fields are the seed's. Streams (``responses_events``, ``review_events``,
``notifications``) yield :data:`TypedEvent`: for each method of the pinned protocol a ``ResponseEvent``
subclass whose ``type`` is that method's literal and whose ``payload`` is the generated params model, plus
:class:`ThreadReadyEvent` and :class:`UnknownEvent`::

    async for event in client.responses_events(prompt="..."):
        if event.type == "item/agentMessage/delta":
            print(event.payload.delta, end="")  # an AgentMessageDeltaNotification
"""

from __future__ import annotations

from ._event import ResponseEvent, ThreadReadyEvent, UnknownEvent
from ._response import AgentResponse, CommandExecEvent, TurnStatus
from ._typed import *  # noqa: F403  (one class per method; the list is generated)
from ._typed import __all__ as _typed_names
from ._usage import Usage

__all__ = [
    "AgentResponse",
    "CommandExecEvent",
    "ResponseEvent",
    "ThreadReadyEvent",
    "TurnStatus",
    "UnknownEvent",
    "Usage",
    *_typed_names,
]
