"""Answering the app-server's requests (approvals, user input, tool calls, ...).

Every server request leaves the reader at once for its own task. The decision path, first match wins:

1. the client's ``on_*`` hook for that request kind;
2. the policy engine (``policy_engine``, or the one built from ``policy_rubric``), for the kinds it handles;
3. the built-in fail-closed default (decline / empty grant / empty answers / tool failure).

A hook or engine result is checked before it is sent; an invalid result, an exception or a timeout is
logged, recorded for the caller (``client.hook_errors`` and the ``on_hook_error`` callback) and answered
with the fail-closed default, never passed through. While user code runs, the thread's turn stream does
not count the time as idleness. ``serverRequest/resolved`` withdraws a request whose hook is still
running: its late answer is dropped.
"""

from __future__ import annotations

import asyncio
import collections
import functools
import inspect
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ._routing import Router
from ._rpc import RpcConnection
from .errors import CodexAgenticError

__all__ = ["DEFAULT_RESULTS", "HookError", "RequestContext", "RequestKind", "ServerRequestDispatcher"]

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


DEFAULT_COMMAND_APPROVAL_RESULT = {"decision": "decline"}
DEFAULT_FILE_CHANGE_APPROVAL_RESULT = {"decision": "decline"}
DEFAULT_PERMISSIONS_APPROVAL_RESULT = {"permissions": {}, "scope": "turn"}
DEFAULT_MCP_ELICITATION_RESULT = {"action": "decline"}
DEFAULT_TOOL_USER_INPUT_RESULT: dict[str, Any] = {"answers": {}}
DEFAULT_TOOL_CALL_RESULT = {
    "success": False,
    "contentItems": [{"type": "inputText", "text": "No tool-call handler configured."}],
}

KINDS: dict[str, RequestKind] = {
    "item/commandExecution/requestApproval": RequestKind(
        "command", "on_command_approval", "on_command_approval", _const(DEFAULT_COMMAND_APPROVAL_RESULT)
    ),
    "item/fileChange/requestApproval": RequestKind(
        "file_change", "on_file_change_approval", "on_file_change_approval", _const(DEFAULT_FILE_CHANGE_APPROVAL_RESULT)
    ),
    "item/permissions/requestApproval": RequestKind(
        "permissions", "on_permissions_approval", "on_permissions_approval", _const(DEFAULT_PERMISSIONS_APPROVAL_RESULT)
    ),
    "item/tool/requestUserInput": RequestKind(
        "tool_user_input", "on_tool_request_user_input", "on_tool_request_user_input", _const(DEFAULT_TOOL_USER_INPUT_RESULT)
    ),
    "mcpServer/elicitation/request": RequestKind(
        "mcp_elicitation", "on_mcp_elicitation_request", "on_mcp_elicitation_request", _const(DEFAULT_MCP_ELICITATION_RESULT)
    ),
    "item/tool/call": RequestKind("tool_call", "on_tool_call", "on_tool_call", _const(DEFAULT_TOOL_CALL_RESULT)),
    # Legacy (v1) approvals: no hook of their own; answered "denied", the fail-closed answer.
    "applyPatchApproval": RequestKind("legacy_patch", None, None, _const({"decision": "denied"})),
    "execCommandApproval": RequestKind("legacy_exec", None, None, _const({"decision": "denied"})),
    # The current time is a fact, not a decision.
    "currentTime/read": RequestKind("current_time", None, None, lambda _p: {"currentTimeAt": int(time.time())}),
}
DEFAULT_RESULTS = {method: spec.default({}) for method, spec in KINDS.items() if spec.hook}

# Requests we cannot serve: answered with an error that says why (instead of hanging the server).
_UNSUPPORTED = {
    "account/chatgptAuthTokens/refresh": "this client does not manage external ChatGPT tokens",
    "attestation/generate": "this client does not provide attestation tokens",
}

_COMMAND_DECISIONS = frozenset({"accept", "acceptForSession", "decline", "cancel"})
_FILE_DECISIONS = frozenset({"accept", "acceptForSession", "decline", "cancel"})


@dataclass(frozen=True)
class RequestContext:
    """Where a server request comes from; given to hooks that take a second argument."""

    method: str
    request_id: Any
    kind: str
    thread_id: str | None
    turn_id: str | None
    item_id: str | None
    params: Mapping[str, Any]
    received_at: float = field(default_factory=time.time)


@dataclass(frozen=True)
class HookError:
    """A hook or policy result that was rejected (and answered fail-closed instead)."""

    context: RequestContext
    error: BaseException
    answered_with: Any


def validate_result(method: str, result: Any) -> str | None:
    """Why ``result`` is not a valid answer to ``method`` (None when it is)."""
    if not isinstance(result, Mapping):
        return f"expected a dict, got {type(result).__name__}"
    if method == "item/commandExecution/requestApproval":
        decision = result.get("decision")
        if isinstance(decision, str):
            return None if decision in _COMMAND_DECISIONS else f"unknown decision {decision!r}"
        if isinstance(decision, Mapping) and len(decision) == 1:
            key = next(iter(decision))
            if key in ("acceptWithExecpolicyAmendment", "applyNetworkPolicyAmendment"):
                return None
        return f"invalid decision {decision!r}"
    if method == "item/fileChange/requestApproval":
        decision = result.get("decision")
        return None if decision in _FILE_DECISIONS else f"invalid decision {decision!r}"
    if method == "item/permissions/requestApproval":
        if not isinstance(result.get("permissions"), Mapping):
            return "'permissions' must be a dict"
        return None if result.get("scope", "turn") in ("turn", "session") else "scope must be 'turn' or 'session'"
    if method == "item/tool/requestUserInput":
        answers = result.get("answers")
        if not isinstance(answers, Mapping):
            return "'answers' must be a dict of question id -> {'answers': [str, ...]}"
        for qid, answer in answers.items():
            values = answer.get("answers") if isinstance(answer, Mapping) else None
            if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
                return f"answer for {qid!r} must be {{'answers': [str, ...]}}"
        return None
    if method == "mcpServer/elicitation/request":
        return None if result.get("action") in ("accept", "decline", "cancel") else "invalid 'action'"
    if method == "item/tool/call":
        if not isinstance(result.get("success"), bool):
            return "'success' must be a bool"
        items = result.get("contentItems")
        if not isinstance(items, list) or not all(isinstance(i, Mapping) and "type" in i for i in items):
            return "'contentItems' must be a list of content items"
        return None
    return None


def _wants_context(fn: Callable[..., Any]) -> bool:
    """Seed hooks take ``(params)``; new-style hooks and engines take ``(params, context)``."""
    try:
        sig = inspect.signature(fn)
    except (TypeError, ValueError):
        return False
    positional = [
        p
        for p in sig.parameters.values()
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) and p.default is p.empty
    ]
    has_varargs = any(p.kind is p.VAR_POSITIONAL for p in sig.parameters.values())
    return len(positional) >= 2 or has_varargs


class ServerRequestDispatcher:
    """Runs the decision path for each server request and answers it exactly once."""

    def __init__(
        self,
        conn: RpcConnection,
        router: Router,
        *,
        hooks: Mapping[str, Callable[..., Any] | None],
        policy_engine: Any,
        approval_timeout: float | None,
        on_hook_error: Callable[[HookError], None] | None = None,
    ) -> None:
        self._conn = conn
        self._router = router
        self.hooks = hooks
        self.policy_engine = policy_engine
        self.approval_timeout = approval_timeout
        self.on_hook_error = on_hook_error
        self.errors: collections.deque[HookError] = collections.deque(maxlen=100)
        self._tasks: dict[Any, asyncio.Task[None]] = {}

    # -- entry points (called on the reader) -----------------------------------------------------------
    def handle(self, msg: dict[str, Any]) -> None:
        """Start handling one server request in its own task."""
        request_id = msg["id"]
        task = asyncio.get_running_loop().create_task(self._run(msg), name=f"codex-server-request-{request_id}")
        self._tasks[request_id] = task
        task.add_done_callback(lambda _t, rid=request_id: self._tasks.pop(rid, None))

    def withdraw(self, request_id: Any) -> None:
        """The server resolved the request itself (``serverRequest/resolved``): stop waiting for a hook."""
        if self._conn.withdraw_server_request(request_id):
            task = self._tasks.get(request_id)
            if task is not None and not task.done():
                logger.info("server request %r was withdrawn by the server; its hook's answer is dropped", request_id)
                task.cancel()

    def cancel_all(self) -> None:
        """Cancel every running handler (client closing)."""
        for task in list(self._tasks.values()):
            task.cancel()

    # -- the decision path -----------------------------------------------------------------------------
    async def _run(self, msg: dict[str, Any]) -> None:
        method: str = msg["method"]
        request_id = msg["id"]
        params = msg.get("params")
        if not isinstance(params, dict):
            params = {}
        if method in _UNSUPPORTED:
            self._conn.respond_error(request_id, -32601, f"{method} is not supported: {_UNSUPPORTED[method]}")
            return
        spec = KINDS.get(method)
        if spec is None:
            logger.warning("unknown server request %s; answering method-not-found", method)
            self._conn.respond_error(request_id, -32601, f"unsupported server request method: {method}")
            return
        ctx = RequestContext(
            method=method,
            request_id=request_id,
            kind=spec.kind,
            thread_id=params.get("threadId"),
            turn_id=params.get("turnId"),
            item_id=params.get("itemId") or params.get("callId"),
            params=params,
        )
        decider = self._decider(spec)
        if decider is None:
            self._answer(ctx, spec.default(params))
            return
        self._router.hook_started(ctx.thread_id)
        try:
            result = await self._call(decider, params, ctx)
        except asyncio.CancelledError:
            raise
        except asyncio.TimeoutError:
            self._reject(ctx, TimeoutError(f"no decision within {self.approval_timeout:g} s"), spec.default(params))
            return
        except Exception as exc:
            self._reject(ctx, exc, spec.default(params))
            return
        finally:
            self._router.hook_finished(ctx.thread_id)
        if hasattr(result, "to_wire"):
            result = result.to_wire()
        problem = validate_result(method, result)
        if problem is not None:
            self._reject(ctx, CodexAgenticError(f"invalid result for {method}: {problem}: {result!r}"), spec.default(params))
            return
        self._answer(ctx, result)

    def _decider(self, spec: RequestKind) -> Callable[..., Any] | None:
        hook = self.hooks.get(spec.hook) if spec.hook else None
        if hook is not None:
            return hook
        engine = self.policy_engine
        if engine is not None and spec.engine_method:
            method = getattr(engine, spec.engine_method, None)
            if callable(method):
                return method  # type: ignore[no-any-return]
        return None

    async def _call(self, fn: Callable[..., Any], params: dict[str, Any], ctx: RequestContext) -> Any:
        args = (params, ctx) if _wants_context(fn) else (params,)
        if inspect.iscoroutinefunction(fn) or inspect.iscoroutinefunction(getattr(fn, "__call__", None)):
            awaitable = fn(*args)
        else:
            # Plain functions run in a worker thread: a blocking hook (a terminal prompt) must not stall
            # the loop, which also carries every other turn's events.
            loop = asyncio.get_running_loop()
            awaitable = loop.run_in_executor(None, functools.partial(fn, *args))
        result = await asyncio.wait_for(_resolve(awaitable), self.approval_timeout)
        return result

    def _answer(self, ctx: RequestContext, result: Any) -> None:
        if not self._conn.respond(ctx.request_id, result):
            logger.debug("server request %r already answered or withdrawn", ctx.request_id)

    def _reject(self, ctx: RequestContext, error: BaseException, fallback: Any) -> None:
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
        self._answer(ctx, fallback)


async def _resolve(value: Any) -> Any:
    """Await ``value`` and keep awaiting while a (sync) hook handed back an awaitable."""
    while inspect.isawaitable(value):
        value = await value
    return value
