"""The seed's ``codex_python_sdk.sync_client`` module path: ``CodexAgenticClient``, re-exported.

Importing it loads the client (asyncio, orjson), as the seed's module did; ``import codex_python_sdk``
alone does not. ``AsyncCodexAgenticClient`` is here too, as in the seed's module, so code that patches
``codex_python_sdk.sync_client.AsyncCodexAgenticClient.connect`` reaches the class the facade drives.
"""

from __future__ import annotations

from ._client._async import AsyncCodexAgenticClient
from ._client._sync import CodexAgenticClient
from .errors import CodexAgenticError
from .events import AgentResponse, CommandExecEvent, ResponseEvent

__all__ = [
    "AgentResponse",
    "AsyncCodexAgenticClient",
    "CodexAgenticClient",
    "CodexAgenticError",
    "CommandExecEvent",
    "ResponseEvent",
]
