"""What streams and turns hand back: ``ResponseEvent`` (and its typed subclasses), ``AgentResponse``,
``CommandExecEvent``.

The names and fields are the seed's. Streams (``responses_events``, ``review_events``,
``notifications``) yield :data:`TypedEvent`: for each method of the pinned protocol a ``ResponseEvent``
subclass whose ``type`` is that method's literal and whose ``payload`` is the generated params model, plus
:class:`ThreadReadyEvent` and :class:`UnknownEvent`::

    async for event in client.responses_events(prompt="..."):
        if event.type == "item/agentMessage/delta":
            print(event.payload.delta, end="")  # an AgentMessageDeltaNotification
"""

from __future__ import annotations

import importlib

# "X as X": re-exported for type checkers, which see no literal __all__ here.
from ._event import ResponseEvent as ResponseEvent
from ._event import ThreadReadyEvent as ThreadReadyEvent
from ._event import UnknownEvent as UnknownEvent

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from ._response import AgentResponse as AgentResponse
    from ._response import CommandExecEvent as CommandExecEvent
    from ._response import TurnStatus as TurnStatus
    from ._typed import *  # noqa: F403

# Importing the clients imports this package, so what they need only later loads on first access (PEP
# 562): the dataclasses of ``_response`` when a turn ends, the ~100 generated classes of ``_typed`` at the
# first event.
_RESPONSE_NAMES = ("AgentResponse", "CommandExecEvent", "TurnStatus")
_HAND_WRITTEN = [
    "AgentResponse",
    "CommandExecEvent",
    "ResponseEvent",
    "ThreadReadyEvent",
    "TurnStatus",
    "UnknownEvent",
]


def __getattr__(name: str) -> Any:
    if name in _RESPONSE_NAMES:
        value = getattr(importlib.import_module("._response", __name__), name)
    elif name.startswith("_") and name != "__all__":  # e.g. "_typed", asked for while it is imported
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    else:
        typed = importlib.import_module("._typed", __name__)
        if name == "__all__":
            value = [*_HAND_WRITTEN, *typed.__all__]
        elif name in typed.__all__:
            value = getattr(typed, name)
        else:
            raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    globals()[name] = value  # cache: later lookups are plain attribute hits
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__getattr__("__all__")))
