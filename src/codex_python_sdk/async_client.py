"""The seed's ``codex_python_sdk.async_client`` module path: the async client and its module constants.

Importing it loads the client (asyncio, orjson), as the seed's module did; ``import codex_python_sdk``
alone does not. The constants keep the seed's names and values; where this SDK works differently the
docstring says what the value means now.
"""

from __future__ import annotations

from ._client._async import AsyncCodexAgenticClient
from ._client._options import (
    DEFAULT_APP_SERVER_ARGS,
    DEFAULT_CLI_COMMAND,
    DEFAULT_STREAM_IDLE_TIMEOUT_SECONDS,
    DEFAULT_THREAD_BASELINE,
)
from .errors import AppServerConnectionError, CodexAgenticError, NotAuthenticatedError, SessionNotFoundError
from .events import AgentResponse, CommandExecEvent, ResponseEvent
from .hooks import fail_closed_answer

__all__ = [
    "DEFAULT_APP_SERVER_ARGS",
    "DEFAULT_CLI_COMMAND",
    "DEFAULT_COMMAND_APPROVAL_RESULT",
    "DEFAULT_FILE_CHANGE_APPROVAL_RESULT",
    "DEFAULT_MCP_ELICITATION_RESULT",
    "DEFAULT_NOTIFICATION_BUFFER_LIMIT",
    "DEFAULT_PERMISSIONS_APPROVAL_RESULT",
    "DEFAULT_STDERR_BUFFER_LIMIT",
    "DEFAULT_STREAM_IDLE_TIMEOUT_SECONDS",
    "DEFAULT_THREAD_BASELINE",
    "AgentResponse",
    "AppServerConnectionError",
    "AsyncCodexAgenticClient",
    "CodexAgenticError",
    "CommandExecEvent",
    "NotAuthenticatedError",
    "ResponseEvent",
    "SessionNotFoundError",
]

DEFAULT_COMMAND_APPROVAL_RESULT = fail_closed_answer("command")
"""The answer to a command approval when no hook or policy decides (fail-closed: decline)."""
DEFAULT_FILE_CHANGE_APPROVAL_RESULT = fail_closed_answer("file_change")
"""The answer to a file-change approval when no hook or policy decides (decline)."""
DEFAULT_PERMISSIONS_APPROVAL_RESULT = fail_closed_answer("permissions")
"""The answer to a permissions request when no hook or policy decides (an empty grant)."""
DEFAULT_MCP_ELICITATION_RESULT = fail_closed_answer("mcp_elicitation")
"""The answer to an MCP elicitation when no hook or policy decides (decline)."""

DEFAULT_NOTIFICATION_BUFFER_LIMIT = 1024
"""The seed's cap on buffered notifications (the oldest were dropped silently). Not used here: a turn's
events are queued per turn without a cap, and listener queues fail loudly when full."""

DEFAULT_STDERR_BUFFER_LIMIT = 500
"""How many of the app-server's last stderr lines are kept (``client.stderr_tail()``)."""
