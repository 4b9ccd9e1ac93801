"""Typed hooks: how your code answers the app-server's requests (approvals, user input, tool calls).

A hook is a plain function (or coroutine function) given to the client as ``on_<kind>=``. It receives the
request's params as the generated protocol model and returns the answer, which is checked against the
protocol's schema before it is sent::

    from codex_python_sdk import create_client
    from codex_python_sdk.protocol import CommandExecutionRequestApprovalParams

    def approve_ls(params: CommandExecutionRequestApprovalParams) -> CommandApprovalAnswer:
        return "accept" if (params.command or "").startswith("/bin/bash -lc 'ls") else "decline"

    client = create_client(on_command_approval=approve_ls)

What a hook may return, for every kind: the generated response model
(``CommandExecutionRequestApprovalResponse(decision="accept")``), a dict in wire form (the seed's hooks:
``{"decision": "accept"}``), or for the approval and elicitation kinds the bare decision (``"accept"``).

The request's :class:`RequestContext` (thread, turn, item, request id, the item the request is about) is
passed **explicitly and only when asked for**: a hook that declares a parameter named ``context`` gets it
as ``context=``, as does one whose second positional parameter is required. A defaulted second parameter
with another name keeps its default. Policy engines (``policy_engine=``) always get ``(params, context)``,
as in the seed's ``PolicyEngine`` protocol.

Whatever a hook does — raise, return garbage, hang past ``approval_timeout`` — the request is answered once
with the fail-closed answer (decline, empty grant, no answers, a failed tool call), the failure is logged
and recorded as a :class:`HookError` (``client.hook_errors``, ``on_hook_error=``) naming the hook.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, Protocol, TypeVar

if TYPE_CHECKING:
    from typing import TypeAlias

    from .protocol import (
        CommandExecutionApprovalDecision,
        CommandExecutionRequestApprovalParams,
        CommandExecutionRequestApprovalResponse,
        DynamicToolCallParams,
        DynamicToolCallResponse,
        FileChangeApprovalDecision,
        FileChangeRequestApprovalParams,
        FileChangeRequestApprovalResponse,
        McpServerElicitationAction,
        McpServerElicitationRequestParams,
        McpServerElicitationRequestResponse,
        PermissionsRequestApprovalParams,
        PermissionsRequestApprovalResponse,
        ToolRequestUserInputParams,
        ToolRequestUserInputResponse,
    )
    from .protocol._base import JsonObject, JsonValue

__all__ = [
    "CommandApprovalAnswer",
    "CommandApprovalHook",
    "FileChangeApprovalAnswer",
    "FileChangeApprovalHook",
    "HookError",
    "McpElicitationAnswer",
    "McpElicitationHook",
    "PermissionsApprovalAnswer",
    "PermissionsApprovalHook",
    "RequestContext",
    "RequestKind",
    "ToolCallAnswer",
    "ToolCallHook",
    "UserInputAnswer",
    "UserInputHook",
    "fail_closed_answer",
    "tool_failure",
]

RequestKind = Literal[
    "command", "file_change", "permissions", "tool_user_input", "mcp_elicitation", "tool_call", "current_time"
]
"""What a server request asks for (``RequestContext.kind``; the seed's ``request_type``)."""


def _now_iso() -> str:
    from datetime import datetime, timezone  # lazy: datetime is slow to import, and needed only here

    return datetime.now(timezone.utc).isoformat()


@dataclass
class RequestContext:
    """Where a server request comes from. Also the seed's ``PolicyContext`` (same fields, same order).

    ``request_type`` (also :attr:`kind`) is ``command``, ``file_change``, ``permissions``,
    ``tool_user_input``, ``mcp_elicitation`` or ``tool_call``. ``params`` are the typed params (a generated
    protocol model; ``params["wireName"]`` works too). ``timestamp`` is when the client received the
    request (ISO 8601, UTC). ``request_id`` is the JSON-RPC id of the request; ``item`` the thread item it
    is about, as announced by ``item/started`` just before (for a file change it lists the ``changes``
    with their paths), when the client saw it.

    Build one yourself to unit-test a hook or an engine::

        ctx = RequestContext(request_type="command", method="item/commandExecution/requestApproval",
                             thread_id="t1", turn_id="u1", item_id="c1", params=params)
    """

    request_type: str
    method: str
    thread_id: str | None = None
    turn_id: str | None = None
    item_id: str | None = None
    params: object = None
    timestamp: str = field(default_factory=_now_iso)
    request_id: str | int | None = None
    item: JsonObject | None = None
    received_at: float = field(default_factory=time.time, repr=False, compare=False)
    """``time.time()`` when the request arrived (for durations; :attr:`timestamp` is the same instant)."""
    policy_rule: str | None = field(default=None, repr=False, compare=False)
    """Set by the rule engines when they decide: the name of the rule that matched, ``"default"`` for the
    kind's default, ``"llm_judge"`` for the judge (traces and audits say who decided)."""

    @property
    def kind(self) -> str:
        """The request's kind (the same as :attr:`request_type`)."""
        return self.request_type


@dataclass(frozen=True)
class HookError:
    """A hook or policy answer that was rejected; the request was answered fail-closed instead.

    ``hook`` names who failed (``on_command_approval``, ``policy_engine.on_command_approval``, ``tool
    'get_weather'`` ...); ``error`` is what it raised, or why its answer was invalid, or a ``TimeoutError``
    when it did not answer within ``approval_timeout``; ``answered_with`` is what was sent instead.
    """

    context: RequestContext
    error: BaseException
    answered_with: dict[str, Any]
    hook: str = "hook"


# -- the fail-closed answers (the one place they are written) -------------------------------------------
def tool_failure(text: str) -> dict[str, JsonValue]:
    """A failed dynamic tool call whose output tells the model ``text``."""
    return {"success": False, "contentItems": [{"type": "inputText", "text": text}]}


def fail_closed_answer(kind: str, params: object = None) -> dict[str, JsonValue]:
    """What the client answers a request of ``kind`` when nothing (or only something broken) decides it:
    decline a command or file change, grant no permission, answer no question, decline an elicitation,
    fail a tool call saying that no handler exists. A new dict each time (callers may change it)."""
    if kind in ("command", "file_change"):
        return {"decision": "decline"}
    if kind == "permissions":
        return {"permissions": {}, "scope": "turn"}
    if kind == "tool_user_input":
        return {"answers": {}}
    if kind == "mcp_elicitation":
        return {"action": "decline"}
    if kind == "tool_call":
        get = getattr(params, "get", None)
        name = get("tool") if callable(get) else None
        if name:
            return tool_failure(f"No handler for tool {name!r} is configured in this client.")
        return tool_failure("No tool-call handler configured.")
    if kind == "current_time":  # a fact, not a decision
        return {"currentTimeAt": int(time.time())}
    raise ValueError(f"unknown request kind {kind!r}")


# -- answers -------------------------------------------------------------------------------------------
if TYPE_CHECKING:
    CommandApprovalAnswer: TypeAlias = (
        CommandExecutionRequestApprovalResponse | CommandExecutionApprovalDecision | Mapping[str, object]
    )
    """What a command-approval hook returns: the response model, a decision, or the seed's dict."""
    FileChangeApprovalAnswer: TypeAlias = (
        FileChangeRequestApprovalResponse | FileChangeApprovalDecision | Mapping[str, object]
    )
    """What a file-change-approval hook returns."""
    PermissionsApprovalAnswer: TypeAlias = PermissionsRequestApprovalResponse | Mapping[str, object]
    """What a permissions hook returns (``{"permissions": {...}, "scope": "turn"}``)."""
    UserInputAnswer: TypeAlias = ToolRequestUserInputResponse | Mapping[str, object]
    """What a user-input hook returns (``{"answers": {question_id: {"answers": [...]}}}``)."""
    McpElicitationAnswer: TypeAlias = (
        McpServerElicitationRequestResponse | McpServerElicitationAction | Mapping[str, object]
    )
    """What an MCP-elicitation hook returns: the response model, an action, or a dict."""
    ToolCallAnswer: TypeAlias = DynamicToolCallResponse | Mapping[str, object]
    """What a dynamic-tool hook returns (``{"success": True, "contentItems": [...]}``)."""
else:  # annotations only; importable at run time
    CommandApprovalAnswer = FileChangeApprovalAnswer = PermissionsApprovalAnswer = object
    UserInputAnswer = McpElicitationAnswer = ToolCallAnswer = object

_P_contra = TypeVar("_P_contra", contravariant=True)
_A_co = TypeVar("_A_co", covariant=True)


class _Hook(Protocol[_P_contra, _A_co]):
    def __call__(self, params: _P_contra, /) -> _A_co | Awaitable[_A_co]: ...


class _HookWithContext(Protocol[_P_contra, _A_co]):
    def __call__(self, params: _P_contra, /, *, context: RequestContext) -> _A_co | Awaitable[_A_co]: ...


class _HookWithPositionalContext(Protocol[_P_contra, _A_co]):
    def __call__(self, params: _P_contra, context: RequestContext, /) -> _A_co | Awaitable[_A_co]: ...


if TYPE_CHECKING:
    CommandApprovalHook: TypeAlias = (
        _Hook[CommandExecutionRequestApprovalParams, CommandApprovalAnswer]
        | _HookWithContext[CommandExecutionRequestApprovalParams, CommandApprovalAnswer]
        | _HookWithPositionalContext[CommandExecutionRequestApprovalParams, CommandApprovalAnswer]
    )
    """``on_command_approval``: ``(params) -> answer``, ``(params, *, context) -> answer`` or ``(params,
    context) -> answer``; sync or async."""
    FileChangeApprovalHook: TypeAlias = (
        _Hook[FileChangeRequestApprovalParams, FileChangeApprovalAnswer]
        | _HookWithContext[FileChangeRequestApprovalParams, FileChangeApprovalAnswer]
        | _HookWithPositionalContext[FileChangeRequestApprovalParams, FileChangeApprovalAnswer]
    )
    """``on_file_change_approval``."""
    PermissionsApprovalHook: TypeAlias = (
        _Hook[PermissionsRequestApprovalParams, PermissionsApprovalAnswer]
        | _HookWithContext[PermissionsRequestApprovalParams, PermissionsApprovalAnswer]
        | _HookWithPositionalContext[PermissionsRequestApprovalParams, PermissionsApprovalAnswer]
    )
    """``on_permissions_approval``."""
    UserInputHook: TypeAlias = (
        _Hook[ToolRequestUserInputParams, UserInputAnswer]
        | _HookWithContext[ToolRequestUserInputParams, UserInputAnswer]
        | _HookWithPositionalContext[ToolRequestUserInputParams, UserInputAnswer]
    )
    """``on_tool_request_user_input``."""
    McpElicitationHook: TypeAlias = (
        _Hook[McpServerElicitationRequestParams, McpElicitationAnswer]
        | _HookWithContext[McpServerElicitationRequestParams, McpElicitationAnswer]
        | _HookWithPositionalContext[McpServerElicitationRequestParams, McpElicitationAnswer]
    )
    """``on_mcp_elicitation_request``."""
    ToolCallHook: TypeAlias = (
        _Hook[DynamicToolCallParams, ToolCallAnswer]
        | _HookWithContext[DynamicToolCallParams, ToolCallAnswer]
        | _HookWithPositionalContext[DynamicToolCallParams, ToolCallAnswer]
    )
    """``on_tool_call``."""
else:
    CommandApprovalHook = FileChangeApprovalHook = PermissionsApprovalHook = _Hook
    UserInputHook = McpElicitationHook = ToolCallHook = _Hook
