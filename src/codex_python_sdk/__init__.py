"""codex-python-sdk: a typed, fast Python SDK for OpenAI Codex agents over ``codex app-server``.

Quick start::

    from codex_python_sdk import create_client

    with create_client() as client:
        result = client.responses_create(prompt="Reply with exactly: READY")
        print(result.thread_id, result.text)

Every public name is listed here and imported lazily on first use, so ``import codex_python_sdk`` stays
cheap (no asyncio, no JSON library, no generated models until something needs them).
"""

from __future__ import annotations

import importlib

from ._version import __version__

# Not ``typing.TYPE_CHECKING``: importing typing costs ~9 ms, and the cold start runs this module before
# it starts codex. Type checkers treat any name TYPE_CHECKING as true.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

# name -> module that defines it (relative to this package)
_EXPORTS: dict[str, str] = {
    # clients
    "AsyncCodexAgenticClient": "._client._async",
    "CodexAgenticClient": "._client._sync",
    "create_client": "._client._create",
    "create_async_client": "._client._create",
    "DEFAULT_CLI_COMMAND": "._client._options",
    "DEFAULT_APP_SERVER_ARGS": "._client._options",
    "DEFAULT_THREAD_BASELINE": "._client._options",
    "DEFAULT_STREAM_IDLE_TIMEOUT_SECONDS": "._client._options",
    "ThreadPage": "._client._seed_methods",
    "RawToml": "._client._toml",
    "ClientOptions": "._client._options",
    "SyncStream": "._client._portal",
    "HookError": ".hooks",
    "RequestContext": ".hooks",
    # results and events
    "AgentResponse": ".events",
    "ResponseEvent": ".events",
    "CommandExecEvent": ".events",
    "TypedEvent": ".events",
    "ThreadReadyEvent": ".events",
    "UnknownEvent": ".events",
    # inputs
    "TextInput": ".inputs",
    "ImageInput": ".inputs",
    "LocalImageInput": ".inputs",
    "AudioInput": ".inputs",
    "LocalAudioInput": ".inputs",
    "SkillInput": ".inputs",
    "MentionInput": ".inputs",
    "Prompt": ".inputs",
    "JsonValue": ".protocol._base",
    # errors
    "CodexAgenticError": ".errors",
    "AppServerConnectionError": ".errors",
    "SessionNotFoundError": ".errors",
    "NotAuthenticatedError": ".errors",
    "ClientClosedError": ".errors",
    "RpcError": ".errors",
    "MethodNotFoundError": ".errors",
    "InvalidParamsError": ".errors",
    "InputTooLargeError": ".errors",
    "InternalRpcError": ".errors",
    "ServerOverloadedError": ".errors",
    "ConfigWriteError": ".errors",
    "ThreadNotFoundError": ".errors",
    "AuthRequiredError": ".errors",
    "RequestTimeoutError": ".errors",
    "StreamIdleTimeoutError": ".errors",
    "NotificationOverflowError": ".errors",
    "TurnFailedError": ".errors",
    "TurnTimeoutError": ".errors",
    "TurnStoppedError": ".errors",
    "TurnInProgressError": ".errors",
    "StreamOverflowError": ".errors",
    "TurnAuthError": ".errors",
    # policy (the seed's names)
    "PolicyEngine": ".policy",
    "PolicyContext": ".policy",
    "PolicyRubric": ".policy",
    "DEFAULT_POLICY_RUBRIC": ".policy",
    "DefaultPolicyEngine": ".policy",
    "RuleBasedPolicyEngine": ".policy",
    "build_policy_engine_from_rubric": ".policy",
    "LlmRubricPolicyEngine": ".policy",
    "PolicyJudgeConfig": ".policy",
    "PolicyRubricError": ".policy",
    "ToolError": ".tools",
    # Python tools
    "tool": ".tools",
    "Tool": ".tools",
    # rendering
    "ExecStyleRenderer": ".render",
    "render_exec_style_events": ".render",
    # many turns over several app-servers
    "AgentPool": ".pool",
    "SyncAgentPool": ".pool",
    "PoolTask": ".pool",
    "PoolResult": ".pool",
    "PoolResults": ".pool",
    "PoolSummary": ".pool",
    "PoolBatch": ".pool",
    "SyncPoolBatch": ".pool",
    "PoolCancelledError": ".pool",
    # transports
    "Transport": "._transport",
    "StdioTransport": "._transport",
    "MemoryTransport": "._transport",
    "WebSocketTransport": "._transport",
    "ReconnectReport": "._client._reconnect",
    # one thread as an object
    "AsyncThreadHandle": "._client._handle",
    "ThreadHandle": "._client._sync_handle",
    # structured output
    "ParsedResponse": ".events._parsed",
    "OutputValidationError": ".events._parsed",
    # usage and budgets
    "Usage": ".events",
    "Budget": "._client._usage",
    "BudgetExceededError": ".errors",
}

# Literal, so type checkers see the re-exports; a unit test keeps it equal to _EXPORTS.
__all__ = [
    "__version__",
    "AgentPool",
    "AgentResponse",
    "AppServerConnectionError",
    "AsyncCodexAgenticClient",
    "AsyncThreadHandle",
    "AudioInput",
    "AuthRequiredError",
    "Budget",
    "BudgetExceededError",
    "ClientClosedError",
    "ClientOptions",
    "CodexAgenticClient",
    "CodexAgenticError",
    "CommandExecEvent",
    "ConfigWriteError",
    "DEFAULT_APP_SERVER_ARGS",
    "DEFAULT_CLI_COMMAND",
    "DEFAULT_POLICY_RUBRIC",
    "DEFAULT_STREAM_IDLE_TIMEOUT_SECONDS",
    "DEFAULT_THREAD_BASELINE",
    "DefaultPolicyEngine",
    "ExecStyleRenderer",
    "HookError",
    "ImageInput",
    "InputTooLargeError",
    "InternalRpcError",
    "InvalidParamsError",
    "JsonValue",
    "LlmRubricPolicyEngine",
    "LocalAudioInput",
    "LocalImageInput",
    "MemoryTransport",
    "MentionInput",
    "MethodNotFoundError",
    "NotAuthenticatedError",
    "NotificationOverflowError",
    "OutputValidationError",
    "ParsedResponse",
    "PolicyContext",
    "PolicyEngine",
    "PolicyJudgeConfig",
    "PolicyRubric",
    "PolicyRubricError",
    "PoolBatch",
    "PoolCancelledError",
    "PoolResult",
    "PoolResults",
    "PoolSummary",
    "PoolTask",
    "Prompt",
    "RawToml",
    "ReconnectReport",
    "RequestContext",
    "RequestTimeoutError",
    "ResponseEvent",
    "RpcError",
    "RuleBasedPolicyEngine",
    "ServerOverloadedError",
    "SessionNotFoundError",
    "SkillInput",
    "StdioTransport",
    "StreamIdleTimeoutError",
    "StreamOverflowError",
    "SyncAgentPool",
    "SyncPoolBatch",
    "SyncStream",
    "TextInput",
    "ThreadHandle",
    "ThreadNotFoundError",
    "ThreadPage",
    "ThreadReadyEvent",
    "Tool",
    "ToolError",
    "Transport",
    "TurnAuthError",
    "TurnFailedError",
    "TurnInProgressError",
    "TurnStoppedError",
    "TurnTimeoutError",
    "TypedEvent",
    "UnknownEvent",
    "Usage",
    "WebSocketTransport",
    "build_policy_engine_from_rubric",
    "create_async_client",
    "create_client",
    "render_exec_style_events",
    "tool",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        if name == "asyncio":  # the seed re-exported the stdlib module; kept reachable, not in __all__
            return importlib.import_module("asyncio")
        raise AttributeError(f"module 'codex_python_sdk' has no attribute {name!r}")
    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value  # cache: later lookups are plain attribute hits
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))


if TYPE_CHECKING:
    from ._client._async import AsyncCodexAgenticClient
    from ._client._create import create_async_client, create_client
    from ._client._handle import AsyncThreadHandle
    from ._client._options import (
        DEFAULT_APP_SERVER_ARGS,
        DEFAULT_CLI_COMMAND,
        DEFAULT_STREAM_IDLE_TIMEOUT_SECONDS,
        DEFAULT_THREAD_BASELINE,
        ClientOptions,
    )
    from ._client._portal import SyncStream
    from ._client._reconnect import ReconnectReport
    from ._client._seed_methods import ThreadPage
    from ._client._sync import CodexAgenticClient
    from ._client._sync_handle import ThreadHandle
    from ._client._toml import RawToml
    from ._client._usage import Budget
    from ._transport import MemoryTransport, StdioTransport, Transport, WebSocketTransport
    from .errors import (
        AppServerConnectionError,
        AuthRequiredError,
        BudgetExceededError,
        ClientClosedError,
        CodexAgenticError,
        ConfigWriteError,
        InputTooLargeError,
        InternalRpcError,
        InvalidParamsError,
        MethodNotFoundError,
        NotAuthenticatedError,
        NotificationOverflowError,
        RequestTimeoutError,
        RpcError,
        ServerOverloadedError,
        SessionNotFoundError,
        StreamIdleTimeoutError,
        StreamOverflowError,
        ThreadNotFoundError,
        TurnAuthError,
        TurnFailedError,
        TurnInProgressError,
        TurnStoppedError,
        TurnTimeoutError,
    )
    from .events import (
        AgentResponse,
        CommandExecEvent,
        ResponseEvent,
        ThreadReadyEvent,
        TypedEvent,
        UnknownEvent,
        Usage,
    )
    from .events._parsed import OutputValidationError, ParsedResponse
    from .hooks import HookError, RequestContext
    from .inputs import (
        AudioInput,
        ImageInput,
        LocalAudioInput,
        LocalImageInput,
        MentionInput,
        Prompt,
        SkillInput,
        TextInput,
    )
    from .policy import (
        DEFAULT_POLICY_RUBRIC,
        DefaultPolicyEngine,
        LlmRubricPolicyEngine,
        PolicyContext,
        PolicyEngine,
        PolicyJudgeConfig,
        PolicyRubric,
        PolicyRubricError,
        RuleBasedPolicyEngine,
        build_policy_engine_from_rubric,
    )
    from .pool import (
        AgentPool,
        PoolBatch,
        PoolCancelledError,
        PoolResult,
        PoolResults,
        PoolSummary,
        PoolTask,
        SyncAgentPool,
        SyncPoolBatch,
    )
    from .protocol._base import JsonValue
    from .render import ExecStyleRenderer, render_exec_style_events
    from .tools import Tool, ToolError, tool
