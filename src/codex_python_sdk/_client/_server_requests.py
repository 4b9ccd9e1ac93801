"""Answering the app-server's requests (approvals, user input, tool calls, ...).

Every server request leaves the reader at once for its own task. The decision path, first match wins:

0. for ``item/tool/call``: a Python tool registered with the client or the thread (``tools=``);
1. the client's ``on_*`` hook for that request kind;
2. the policy engine (``policy_engine``, or the one built from ``policy_rubric``), if it has a method for
   that kind;
3. the built-in fail-closed default (decline / empty grant / empty answers / tool failure).

Hooks and engines get the typed params (a generated protocol model, which also answers
``params["wireName"]``) and, when they take a second argument, a :class:`RequestContext`. A result is
checked against the protocol's JSON schema of the answer (from the pinned binary) before it is sent; an
invalid result, an exception or a timeout (``approval_timeout_seconds``) is logged, recorded for the
caller (``client.hook_errors`` and the ``on_hook_error`` callback) and answered with the fail-closed
default instead, never passed through. While user code runs, the thread's turn stream does not count the
time as idleness. ``serverRequest/resolved`` withdraws a request whose hook is still running: the hook
is cancelled (a sync hook's thread finishes, its answer is dropped).

The legacy (v1) approvals ``execCommandApproval`` / ``applyPatchApproval`` go through the command /
file-change hooks and policies with v2-shaped params; their decisions are translated back.
"""

from __future__ import annotations

import asyncio
import collections
import functools
import inspect
import logging
import shlex
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .._rpc._connection import RpcConnection
from ..errors import CodexAgenticError
from ..protocol._schema_check import check
from ._routing import Router

__all__ = [
    "DEFAULT_RESULTS",
    "HookError",
    "RequestContext",
    "RequestKind",
    "ServerRequestDispatcher",
    "ToolHandler",
    "default_result",
    "validate_result",
]

logger = logging.getLogger("codex_python_sdk")


@dataclass(frozen=True)
class RequestKind:
    """How one server-request method is handled: its kind name, hook, engine method and default."""

    kind: str
    hook: str | None
    engine_method: str | None
    default: Callable[[Mapping[str, Any]], Any]


def _const(value: Any) -> Callable[[Mapping[str, Any]], Any]:
    return lambda _params: _copy(value)


def _copy(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_copy(v) for v in value]
    return value


def _no_tool(params: Mapping[str, Any]) -> dict[str, Any]:
    name = params.get("tool")
    text = (
        f"No handler for tool {name!r} is configured in this client."
        if name
        else "No tool-call handler configured."
    )
    return {"success": False, "contentItems": [{"type": "inputText", "text": text}]}


DEFAULT_COMMAND_APPROVAL_RESULT = {"decision": "decline"}
DEFAULT_FILE_CHANGE_APPROVAL_RESULT = {"decision": "decline"}
DEFAULT_PERMISSIONS_APPROVAL_RESULT = {"permissions": {}, "scope": "turn"}
DEFAULT_MCP_ELICITATION_RESULT = {"action": "decline"}
DEFAULT_TOOL_USER_INPUT_RESULT: dict[str, Any] = {"answers": {}}

KINDS: dict[str, RequestKind] = {
    "item/commandExecution/requestApproval": RequestKind(
        "command", "on_command_approval", "on_command_approval", _const(DEFAULT_COMMAND_APPROVAL_RESULT)
    ),
    "item/fileChange/requestApproval": RequestKind(
        "file_change",
        "on_file_change_approval",
        "on_file_change_approval",
        _const(DEFAULT_FILE_CHANGE_APPROVAL_RESULT),
    ),
    "item/permissions/requestApproval": RequestKind(
        "permissions",
        "on_permissions_approval",
        "on_permissions_approval",
        _const(DEFAULT_PERMISSIONS_APPROVAL_RESULT),
    ),
    "item/tool/requestUserInput": RequestKind(
        "tool_user_input",
        "on_tool_request_user_input",
        "on_tool_request_user_input",
        _const(DEFAULT_TOOL_USER_INPUT_RESULT),
    ),
    "mcpServer/elicitation/request": RequestKind(
        "mcp_elicitation",
        "on_mcp_elicitation_request",
        "on_mcp_elicitation_request",
        _const(DEFAULT_MCP_ELICITATION_RESULT),
    ),
    "item/tool/call": RequestKind("tool_call", "on_tool_call", "on_tool_call", _no_tool),
    # The current time is a fact, not a decision.
    "currentTime/read": RequestKind(
        "current_time", None, None, lambda _p: {"currentTimeAt": int(time.time())}
    ),
}
DEFAULT_RESULTS = {method: spec.default({}) for method, spec in KINDS.items() if spec.hook}
"""The fail-closed answer of each request kind that has a hook (method -> result)."""

# Requests we cannot serve: answered with an error that says why (instead of hanging the server).
_UNSUPPORTED = {
    "account/chatgptAuthTokens/refresh": "this client does not manage external ChatGPT tokens",
    "attestation/generate": "this client does not provide attestation tokens",
}

_REJECTION = "declined by the client"


def default_result(method: str, params: Mapping[str, Any] | None = None) -> Any:
    """The fail-closed answer to server request ``method`` (None for a method without one)."""
    legacy = _LEGACY.get(method)
    if legacy is not None:
        return _legacy_result(KINDS[legacy[0]].default(params or {}))
    spec = KINDS.get(method)
    return spec.default(params or {}) if spec is not None else None


def validate_result(method: str, result: Any) -> str | None:
    """Why ``result`` is not a valid answer to server request ``method`` (None when it is).

    Checked against the JSON schema of the answer that the pinned codex binary publishes.
    """
    from ..protocol._server_request_schemas import DEFINITIONS, RESPONSES

    if hasattr(result, "to_wire"):
        result = result.to_wire()
    schema = RESPONSES.get(method)
    if schema is None:
        return None if isinstance(result, Mapping) else f"expected a dict, got {type(result).__name__}"
    if not isinstance(result, dict):
        return f"expected a dict, got {type(result).__name__}"
    return check(schema, result, DEFINITIONS)


# -- legacy (v1) approvals ---------------------------------------------------------------------------
def _legacy_exec_params(params: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any] | None]:
    command = params.get("command")
    text = shlex.join(str(c) for c in command) if isinstance(command, list) else str(command or "")
    view: dict[str, Any] = {
        "threadId": params.get("conversationId"),
        "itemId": params.get("callId"),
        "command": text,
        "cwd": params.get("cwd"),
        "reason": params.get("reason"),
        "commandActions": [],
        "proposedExecpolicyAmendment": None,
    }
    return view, None


def _legacy_patch_params(params: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any] | None]:
    view: dict[str, Any] = {
        "threadId": params.get("conversationId"),
        "itemId": params.get("callId"),
        "reason": params.get("reason"),
        "grantRoot": params.get("grantRoot"),
    }
    changes = params.get("fileChanges")
    paths = list(changes) if isinstance(changes, Mapping) else []
    item = {"type": "fileChange", "id": params.get("callId"), "changes": [{"path": p} for p in paths]}
    return view, item


_LEGACY: dict[
    str, tuple[str, Callable[[Mapping[str, Any]], tuple[dict[str, Any], dict[str, Any] | None]]]
] = {
    "execCommandApproval": ("item/commandExecution/requestApproval", _legacy_exec_params),
    "applyPatchApproval": ("item/fileChange/requestApproval", _legacy_patch_params),
}


def _legacy_result(result: Mapping[str, Any]) -> dict[str, Any]:
    """A v2 approval decision as the v1 ``ReviewDecision``."""
    decision = result.get("decision")
    simple = {"accept": "approved", "acceptForSession": "approved_for_session", "cancel": "abort"}
    if isinstance(decision, str) and decision in simple:
        return {"decision": simple[decision]}
    if isinstance(decision, Mapping):
        amendment = decision.get("acceptWithExecpolicyAmendment")
        if isinstance(amendment, Mapping):
            rule = amendment.get("execpolicy_amendment")
            return {"decision": {"approved_execpolicy_amendment": {"proposed_execpolicy_amendment": rule}}}
        network = decision.get("applyNetworkPolicyAmendment")
        if isinstance(network, Mapping):
            return {"decision": {"network_policy_amendment": dict(network)}}
    return {"decision": {"denied": {"rejection": _REJECTION}}}


# -- context -------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class RequestContext:
    """Where a server request comes from; given to hooks and engines that take a second argument.

    ``kind`` is ``command``, ``file_change``, ``permissions``, ``tool_user_input``, ``mcp_elicitation``
    or ``tool_call``. ``item`` is the thread item the request is about, as announced by ``item/started``
    just before (for a file change it lists the ``changes`` with their paths), when the client saw it.
    ``params`` are the typed params (a generated protocol model; ``params["wireName"]`` works).
    """

    method: str
    request_id: Any
    kind: str
    thread_id: str | None
    turn_id: str | None
    item_id: str | None
    params: Any
    item: Mapping[str, Any] | None = None
    received_at: float = field(default_factory=time.time)

    @property
    def request_type(self) -> str:
        """The seed's name for :attr:`kind`."""
        return self.kind

    @property
    def timestamp(self) -> float:
        """The seed's name for :attr:`received_at` (seconds since the epoch)."""
        return self.received_at


@dataclass(frozen=True)
class HookError:
    """A hook or policy result that was rejected (and answered fail-closed instead)."""

    context: RequestContext
    error: BaseException
    answered_with: Any


ToolHandler = Callable[[Mapping[str, Any], RequestContext], Callable[[], Awaitable[Any]] | None]
"""Given a tool call's params and context: a no-argument coroutine function running it, or None when the
tool is not one of the client's Python tools."""


def _wants_context(fn: Callable[..., Any]) -> bool:
    """Seed hooks take ``(params)``; new-style hooks and engines take ``(params, context)``."""
    try:
        sig = inspect.signature(fn)
    except (TypeError, ValueError):
        return False
    # A second positional parameter, even an optional one (``context=None``), receives the context.
    kinds = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    positional = [p for p in sig.parameters.values() if p.kind in kinds]
    has_varargs = any(p.kind is p.VAR_POSITIONAL for p in sig.parameters.values())
    return len(positional) >= 2 or has_varargs


def _typed(method: str, params: dict[str, Any]) -> Any:
    from ..protocol._registry import decode_server_request

    return decode_server_request(method, params)


class ServerRequestDispatcher:
    """Runs the decision path for each server request and answers it exactly once."""

    _ITEM_CACHE = 256  # items remembered for the requests that follow their item/started

    def __init__(
        self,
        conn: RpcConnection,
        router: Router,
        *,
        hooks: Mapping[str, Callable[..., Any] | None],
        policy_engine: Any = None,
        approval_timeout: float | None = None,
        on_hook_error: Callable[[HookError], None] | None = None,
        get_policy_engine: Callable[[], Any] | None = None,
        tool_handler: ToolHandler | None = None,
    ) -> None:
        self._conn = conn
        self._router = router
        self.hooks = hooks
        self.policy_engine = policy_engine
        self._get_policy_engine = get_policy_engine
        self.approval_timeout = approval_timeout
        self.on_hook_error = on_hook_error
        self.tool_handler = tool_handler
        self.errors: collections.deque[HookError] = collections.deque(maxlen=100)
        self._tasks: dict[Any, asyncio.Task[None]] = {}
        self._items: collections.OrderedDict[tuple[Any, Any], dict[str, Any]] = collections.OrderedDict()

    # -- entry points (called on the reader) -----------------------------------------------------------
    def handle(self, msg: dict[str, Any]) -> None:
        """Start handling one server request in its own task."""
        request_id = msg["id"]
        params = msg.get("params")
        thread_id = (
            params.get("threadId") or params.get("conversationId") if isinstance(params, dict) else None
        )
        # Counted from now (not from when the task first runs), so the idle timer never sees a gap.
        self._router.hook_started(thread_id)
        task = asyncio.get_running_loop().create_task(
            self._decide_and_answer(msg), name=f"codex-server-request-{request_id}"
        )
        self._tasks[request_id] = task
        # A done callback, not a ``finally``: it also runs for a task cancelled before it ever started
        # (withdrawn in the same read, client closing), so the idle timer is never left paused.
        task.add_done_callback(functools.partial(self._finished, request_id, thread_id))

    def _finished(self, request_id: Any, thread_id: str | None, task: asyncio.Task[None]) -> None:
        if self._tasks.get(request_id) is task:
            del self._tasks[request_id]
        self._router.hook_finished(thread_id)
        if not task.cancelled() and task.exception() is not None:
            logger.error("answering server request %r failed", request_id, exc_info=task.exception())

    def observe_item(self, msg: dict[str, Any]) -> None:
        """Remember a command / file-change item from ``item/started`` for the approval that follows it."""
        params = msg.get("params")
        item = params.get("item") if isinstance(params, dict) else None
        if isinstance(item, dict) and item.get("type") in ("commandExecution", "fileChange"):
            self._items[(params.get("threadId"), item.get("id"))] = item  # type: ignore[union-attr]
            while len(self._items) > self._ITEM_CACHE:
                self._items.popitem(last=False)

    def withdraw(self, request_id: Any) -> None:
        """The server resolved the request itself (``serverRequest/resolved``): stop waiting for a hook."""
        if self._conn.withdraw_server_request(request_id):
            task = self._tasks.get(request_id)
            if task is not None and not task.done():
                logger.info(
                    "server request %r was withdrawn by the server; its hook's answer is dropped", request_id
                )
                task.cancel()

    def cancel_all(self) -> None:
        """Cancel every running handler (client closing)."""
        for task in list(self._tasks.values()):
            task.cancel()

    # -- the decision path -----------------------------------------------------------------------------
    async def _decide_and_answer(self, msg: dict[str, Any]) -> None:
        method: str = msg["method"]
        request_id = msg["id"]
        params = msg.get("params")
        if not isinstance(params, dict):
            params = {}
        if method in _UNSUPPORTED:
            self._respond_error(request_id, -32601, f"{method} is not supported: {_UNSUPPORTED[method]}")
            return
        legacy = _LEGACY.get(method)
        item: dict[str, Any] | None = None
        if legacy is not None:
            v2_method, translate = legacy
            params, item = translate(params)
        else:
            v2_method = method
        spec = KINDS.get(v2_method)
        if spec is None:
            logger.warning("unknown server request %s; answering method-not-found", method)
            self._respond_error(request_id, -32601, f"unsupported server request method: {method}")
            return
        thread_id = params.get("threadId")
        item_id = params.get("itemId") or params.get("callId")
        if item is None:
            item = self._items.pop((thread_id, item_id), None)
        ctx = RequestContext(
            method=method,
            request_id=request_id,
            kind=spec.kind,
            thread_id=thread_id,
            turn_id=params.get("turnId"),
            item_id=item_id,
            params=_typed(v2_method, params),
            item=item,
        )
        result = await self._decide(spec, v2_method, params, ctx)
        if legacy is not None:
            result = _legacy_result(result)
        self._answer(ctx, result)

    async def _decide(
        self, spec: RequestKind, method: str, params: dict[str, Any], ctx: RequestContext
    ) -> Any:
        """The first decider's answer, checked; the default when there is no decider or it fails."""
        run: Callable[[], Awaitable[Any]] | None = None
        if spec.kind == "tool_call" and self.tool_handler is not None:
            run = self.tool_handler(params, ctx)  # a Python tool: its own timeout, no approval timeout
        if run is None:
            decider = self._decider(spec)
            if decider is None:
                return spec.default(params)
            run = functools.partial(self._call, decider, ctx)
        try:
            result = await run()
        except asyncio.CancelledError:
            raise
        except asyncio.TimeoutError:
            return self._reject(
                ctx, TimeoutError(f"no decision within {self.approval_timeout:g} s"), spec.default(params)
            )
        except Exception as exc:
            return self._reject(ctx, exc, spec.default(params))
        if hasattr(result, "to_wire"):
            result = result.to_wire()
        problem = validate_result(method, result)
        if problem is not None:
            error = CodexAgenticError(f"invalid result for {method}: {problem}: {result!r}")
            return self._reject(ctx, error, spec.default(params))
        return result

    def _decider(self, spec: RequestKind) -> Callable[..., Any] | None:
        hook = self.hooks.get(spec.hook) if spec.hook else None
        if hook is not None:
            return hook
        engine = self._get_policy_engine() if self._get_policy_engine is not None else self.policy_engine
        if engine is not None and spec.engine_method:
            method = getattr(engine, spec.engine_method, None)
            if callable(method):
                return method  # type: ignore[no-any-return]
        return None

    async def _call(self, fn: Callable[..., Any], ctx: RequestContext) -> Any:
        args = (ctx.params, ctx) if _wants_context(fn) else (ctx.params,)
        call_method = inspect.getattr_static(type(fn), "__call__", None)  # an object with async __call__
        if inspect.iscoroutinefunction(fn) or inspect.iscoroutinefunction(call_method):
            awaitable = fn(*args)
        else:
            # Plain functions run in a worker thread: a blocking hook (a terminal prompt) must not stall
            # the loop, which also carries every other turn's events.
            loop = asyncio.get_running_loop()
            awaitable = loop.run_in_executor(None, functools.partial(fn, *args))
        return await asyncio.wait_for(_resolve(awaitable), self.approval_timeout)

    def _answer(self, ctx: RequestContext, result: Any) -> None:
        try:
            if not self._conn.respond(ctx.request_id, result):
                logger.debug("server request %r already answered or withdrawn", ctx.request_id)
        except CodexAgenticError as exc:  # the connection died meanwhile: nobody is left to answer
            logger.debug("could not answer server request %r: %s", ctx.request_id, exc)

    def _respond_error(self, request_id: Any, code: int, message: str) -> None:
        try:
            self._conn.respond_error(request_id, code, message)
        except CodexAgenticError as exc:
            logger.debug("could not answer server request %r: %s", request_id, exc)

    def _reject(self, ctx: RequestContext, error: BaseException, fallback: Any) -> Any:
        if ctx.method == "item/tool/call":
            # Tell the model the handler failed, not that none exists (the default's wording).
            text = f"The tool call failed in the client ({type(error).__name__})."
            fallback = {"success": False, "contentItems": [{"type": "inputText", "text": text}]}
        logger.error(
            "%s handler failed for request %r (thread %s): %s; answered fail-closed with %r",
            ctx.method,
            ctx.request_id,
            ctx.thread_id,
            error,
            fallback,
        )
        record = HookError(ctx, error, fallback)
        self.errors.append(record)
        if self.on_hook_error is not None:
            try:
                self.on_hook_error(record)
            except Exception:
                logger.exception("on_hook_error callback failed")
        return fallback


async def _resolve(value: Any) -> Any:
    """Await ``value`` and keep awaiting while a (sync) hook handed back an awaitable."""
    while inspect.isawaitable(value):
        value = await value
    return value
