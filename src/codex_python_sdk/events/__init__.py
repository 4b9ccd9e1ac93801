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

import importlib

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    # "X as X": re-exported for type checkers, which see no literal __all__ here.
    from ._event import ResponseEvent as ResponseEvent
    from ._event import ThreadReadyEvent as ThreadReadyEvent
    from ._event import UnknownEvent as UnknownEvent
    from ._response import AgentResponse as AgentResponse
    from ._response import CommandExecEvent as CommandExecEvent
    from ._response import TurnStatus as TurnStatus
    from ._typed import *  # noqa: F403
    from ._usage import Usage as Usage

# Every name loads on first access (PEP 562), so that each part comes when it is first needed: the
# AgentResponse dataclass when a turn ends, the event classes (with the ~100 generated ones of ``_typed``)
# when a stream starts. The client modules import the submodule they need where they need it.
_HAND_WRITTEN = {
    "AgentResponse": "._response",
    "CommandExecEvent": "._response",
    "ResponseEvent": "._event",
    "ThreadReadyEvent": "._event",
    "TurnStatus": "._response",
    "UnknownEvent": "._event",
    "Usage": "._usage",
}


def __getattr__(name: str) -> Any:
    module = _HAND_WRITTEN.get(name)
    if module is not None:
        value = getattr(importlib.import_module(module, __name__), name)
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
