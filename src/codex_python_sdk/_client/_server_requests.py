"""Answering the app-server's requests (approvals, user input, tool calls, ...): exactly once, always.

Every server request leaves the reader at once for its own task. The decision path, first match wins:

0. for ``item/tool/call``: a Python tool registered with the client or the thread (``tools=``);
1. the client's ``on_*`` hook for that request kind;
2. the policy engine (``policy_engine``, or the one built from ``policy_rubric``), if it has a method for
   that kind;
3. the fail-closed answer (:func:`codex_python_sdk.hooks.fail_closed_answer`).

User code runs through a :class:`~codex_python_sdk._callables.CallableRunner` (hooks and engines on one,
tools on another), so whatever it does — raise anything, ``KeyboardInterrupt`` included, return garbage,
never return — the request gets the fail-closed answer, once, and the failure is logged and recorded as a
:class:`~codex_python_sdk.hooks.HookError` naming the hook. Answers are normalized (a bare decision, a
model, the seed's dict) and checked against the answer schema of the pinned binary before they are sent.
While user code runs, the thread's turn stream does not count the time as idleness.
``serverRequest/resolved`` withdraws a request whose hook is still running: the hook is cancelled, its
answer dropped.

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
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .._callables import CallableFailed, CallableRunner, CallableTimedOut
from ..hooks import HookError, RequestContext, fail_closed_answer, tool_failure
from ..protocol._answers import validate_answer
from ._routing import Router

if TYPE_CHECKING:
    from .._rpc import RpcConnection
    from ..protocol._base import JsonValue

__all__ = [
    "DEFAULT_RESULTS",
    "SERVER_REQUEST_SPECS",
    "ServerRequestDispatcher",
    "ServerRequestSpec",
    "Decided",
    "ToolHandler",
    "default_result",
    "normalize_answer",
]

logger = logging.getLogger("codex_python_sdk")


@dataclass(frozen=True)
class ServerRequestSpec:
    """How one server-request method is decided: its kind, the client's hook, the engine's method."""

    kind: str
    hook: str | None = None
    engine_method: str | None = None


SERVER_REQUEST_SPECS: dict[str, ServerRequestSpec] = {
    "item/commandExecution/requestApproval": ServerRequestSpec(
        "command", "on_command_approval", "on_command_approval"
    ),
    "item/fileChange/requestApproval": ServerRequestSpec(
        "file_change", "on_file_change_approval", "on_file_change_approval"
    ),
    "item/permissions/requestApproval": ServerRequestSpec(
        "permissions", "on_permissions_approval", "on_permissions_approval"
    ),
    "item/tool/requestUserInput": ServerRequestSpec(
        "tool_user_input", "on_tool_request_user_input", "on_tool_request_user_input"
    ),
    "mcpServer/elicitation/request": ServerRequestSpec(
        "mcp_elicitation", "on_mcp_elicitation_request", "on_mcp_elicitation_request"
    ),
    "item/tool/call": ServerRequestSpec("tool_call", "on_tool_call", "on_tool_call"),
    "currentTime/read": ServerRequestSpec("current_time"),  # a fact, not a decision
}

DEFAULT_RESULTS = {
    method: fail_closed_answer(spec.kind) for method, spec in SERVER_REQUEST_SPECS.items() if spec.hook
}
"""The fail-closed answer of each request kind that has a hook (method -> answer)."""

# Requests we cannot serve: answered with an error that says why (instead of hanging the server).
_UNSUPPORTED = {
    "account/chatgptAuthTokens/refresh": "this client does not manage external ChatGPT tokens",
    "attestation/generate": "this client does not provide attestation tokens",
}

Decided = Callable[[RequestContext, dict[str, Any], str, str | None], None]
"""Told of every answer: (context, answer, who decided — ``tool``, ``hook``, ``policy_engine`` or
``fail_closed`` —, the hook's / engine method's / tool's name)."""

ToolHandler = Callable[[Mapping[str, Any], RequestContext], Callable[[], Awaitable[Any]] | None]
"""Given a tool call's params and context: a no-argument coroutine function running it, or None when the
tool is not one of the client's Python tools."""


def default_result(method: str, params: Mapping[str, Any] | None = None) -> dict[str, JsonValue] | None:
    """The fail-closed answer to server request ``method`` (None for a method without one)."""
    legacy = _LEGACY.get(method)
    if legacy is not None:
        return _legacy_result(fail_closed_answer(SERVER_REQUEST_SPECS[legacy[0]].kind))
    spec = SERVER_REQUEST_SPECS.get(method)
    return fail_closed_answer(spec.kind, params) if spec is not None else None


def normalize_answer(kind: str, answer: object) -> object:
    """A hook's answer in wire form: models become their dicts, a bare decision (``"accept"``) or action
    becomes ``{"decision": ...}`` / ``{"action": ...}``; anything else is returned for validation."""
    to_wire = getattr(answer, "to_wire", None)
    if callable(to_wire):
        return to_wire()
    if isinstance(answer, str):
        if kind in ("command", "file_change"):
            return {"decision": answer}
        if kind == "mcp_elicitation":
            return {"action": answer}
    if kind == "command" and isinstance(answer, Mapping) and "decision" not in answer and len(answer) == 1:
        return {"decision": dict(answer)}  # {"acceptWithExecpolicyAmendment": {...}} alone
    if isinstance(answer, Mapping) and not isinstance(answer, dict):
        return dict(answer)
    return answer


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
    return {"decision": {"denied": {"rejection": "declined by the client"}}}


# -- calling user code ---------------------------------------------------------------------------------
def _context_keyword(fn: Callable[..., Any]) -> str | None:
    """How a hook asks for the context: ``"context"`` (a parameter so named, or ``**kwargs``), ``""``
    (a required second positional parameter), or None (it does not take one).

    A defaulted second parameter with another name keeps its default: the context is passed only when
    the hook asks for it (the seed's hooks take ``(params)`` alone)."""
    try:
        sig = inspect.signature(fn)
    except (TypeError, ValueError):
        return None
    params = list(sig.parameters.values())
    if any(p.name == "context" and p.kind is not p.POSITIONAL_ONLY for p in params[1:]):
        return "context"
    positional = [p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    if len(positional) >= 2 and positional[1].default is inspect.Parameter.empty:
        return ""
    if any(p.kind is p.VAR_KEYWORD for p in params):
        return "context"
    return None


def _decode_params(method: str, params: dict[str, Any]) -> Any:
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
        get_hook: Callable[[str], Callable[..., Any] | None],
        get_policy_engine: Callable[[], Any],
        hook_runner: CallableRunner,
        tool_runner: CallableRunner,
        approval_timeout: float | None,
        on_hook_error: Callable[[HookError], object] | None = None,
        tool_handler: ToolHandler | None = None,
        on_decided: Decided | None = None,
    ) -> None:
        self._conn = conn
        self._router = router
        self._get_hook = get_hook  # read at dispatch time: hooks and engines are swappable at run time
        self._get_policy_engine = get_policy_engine
        self.hook_runner = hook_runner
        self.tool_runner = tool_runner
        self.approval_timeout = approval_timeout
        self.on_hook_error = on_hook_error
        self.tool_handler = tool_handler
        self.on_decided = on_decided
        self.errors: collections.deque[HookError] = collections.deque(maxlen=100)
        self._tasks: dict[Any, asyncio.Task[None]] = {}
        self._items: collections.OrderedDict[tuple[Any, Any], dict[str, Any]] = collections.OrderedDict()

    # -- entry points (called on the reader) -----------------------------------------------------------
    def handle(self, msg: dict[str, Any]) -> None:
        """Start handling one server request in its own task."""
        request_id = msg["id"]
        params = msg.get("params")
        thread_id = None
        if isinstance(params, dict):
            thread_id = params.get("threadId") or params.get("conversationId")
            if not isinstance(thread_id, str):
                thread_id = None
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
            key = (params.get("threadId"), item.get("id"))  # type: ignore[union-attr]
            if all(isinstance(k, (str, type(None))) for k in key):
                self._items[key] = item
                while len(self._items) > self._ITEM_CACHE:
                    self._items.popitem(last=False)

    def withdraw(self, request_id: Any) -> None:
        """The server resolved the request itself (``serverRequest/resolved``): stop waiting for a hook."""
        try:
            withdrawn = self._conn.withdraw_server_request(request_id)
        except TypeError:  # an unhashable id: nothing of ours
            return
        if withdrawn:
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
        spec = SERVER_REQUEST_SPECS.get(v2_method)
        if spec is None:
            logger.warning("unknown server request %s; answering method-not-found", method)
            self._respond_error(request_id, -32601, f"unsupported server request method: {method}")
            return
        thread_id = _str_or_none(params.get("threadId"))
        item_id = _str_or_none(params.get("itemId") or params.get("callId"))
        if item is None:
            item = self._items.pop((thread_id, item_id), None)
        ctx = RequestContext(
            request_type=spec.kind,
            method=method,
            thread_id=thread_id,
            turn_id=_str_or_none(params.get("turnId")),
            item_id=item_id,
            params=_decode_params(v2_method, params),
            request_id=request_id,
            item=item,
        )
        result, by, name = await self._decide(spec, v2_method, params, ctx)
        if self.on_decided is not None:
            try:
                self.on_decided(ctx, result, by, name)
            except Exception:  # telemetry must never change or delay an answer
                logger.exception("recording the decision of server request %r failed", request_id)
        if legacy is not None:
            result = _legacy_result(result)
        self._answer(ctx, result)

    async def _decide(
        self, spec: ServerRequestSpec, method: str, params: dict[str, Any], ctx: RequestContext
    ) -> tuple[dict[str, Any], str, str | None]:
        """The first decider's answer, normalized and checked, the fail-closed answer otherwise; with who
        gave it (see :data:`Decided`)."""
        fallback = fail_closed_answer(spec.kind, params)
        if spec.kind == "tool_call" and self.tool_handler is not None:
            run_tool = self.tool_handler(params, ctx)
            if run_tool is not None:  # a Python tool: it reports its own failures to the model
                answer = await self._run_tool(run_tool, ctx, fallback)
                return answer, "tool", _str_or_none(getattr(ctx.params, "get", lambda _k: None)("tool"))
        found = self._decider(spec)
        if found is None:
            return fallback, "fail_closed", None
        name, fn, is_engine = found
        by = "policy_engine" if is_engine else "hook"
        if is_engine:
            args: tuple[Any, ...] = (ctx.params, ctx)
            kwargs: dict[str, Any] = {}
        else:
            how = _context_keyword(fn)
            args = (ctx.params,) if how != "" else (ctx.params, ctx)
            kwargs = {"context": ctx} if how == "context" else {}
        try:
            answer = await self.hook_runner.run(fn, *args, timeout=self.approval_timeout, **kwargs)
        except CallableFailed as failure:
            timed_out = isinstance(failure, CallableTimedOut)
            return self._reject(ctx, name, failure.error, fallback, timed_out=timed_out), "fail_closed", name
        wire = normalize_answer(spec.kind, answer)
        problem = validate_answer(method, wire)
        if problem is not None:
            error = ValueError(f"invalid answer to {method}: {problem}: {_short(answer)}")
            return self._reject(ctx, name, error, fallback), "fail_closed", name
        assert isinstance(wire, dict)
        return wire, by, name

    async def _run_tool(
        self, run_tool: Callable[[], Awaitable[Any]], ctx: RequestContext, fallback: dict[str, Any]
    ) -> dict[str, Any]:
        name = f"tool {_str_or_none(getattr(ctx.params, 'get', lambda _k: None)('tool'))!r}"
        try:
            answer = await run_tool()
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # the tool wrapper never raises; if it does, fail closed all the same
            return self._reject(ctx, name, exc, fallback)
        problem = validate_answer("item/tool/call", answer)
        if problem is not None:
            return self._reject(ctx, name, ValueError(f"invalid tool answer: {problem}"), fallback)
        return dict(answer)

    def _decider(self, spec: ServerRequestSpec) -> tuple[str, Callable[..., Any], bool] | None:
        hook = self._get_hook(spec.hook) if spec.hook else None
        if hook is not None:
            return str(spec.hook), hook, False
        engine = self._get_policy_engine()
        if engine is not None and spec.engine_method:
            method = getattr(engine, spec.engine_method, None)
            if callable(method):
                return f"policy_engine.{spec.engine_method}", method, True
        return None

    def _answer(self, ctx: RequestContext, result: dict[str, Any]) -> None:
        try:
            if not self._conn.respond(ctx.request_id, result):
                logger.debug("server request %r already answered or withdrawn", ctx.request_id)
        except Exception as exc:  # the connection died meanwhile: nobody is left to answer
            logger.debug("could not answer server request %r: %s", ctx.request_id, exc)

    def _respond_error(self, request_id: Any, code: int, message: str) -> None:
        try:
            self._conn.respond_error(request_id, code, message)
        except Exception as exc:
            logger.debug("could not answer server request %r: %s", request_id, exc)

    def _reject(
        self,
        ctx: RequestContext,
        name: str,
        error: BaseException,
        fallback: dict[str, Any],
        *,
        timed_out: bool = False,
    ) -> dict[str, Any]:
        if ctx.method == "item/tool/call":
            # Tell the model the handler failed, not that none exists (the default's wording).
            fallback = tool_failure(f"The tool call failed in the client ({type(error).__name__}).")
        how = "did not answer in time" if timed_out else "failed"
        logger.error(
            "%s %s for %s request %r (thread %s): %s: %s; answered fail-closed with %r",
            name,
            how,
            ctx.method,
            ctx.request_id,
            ctx.thread_id,
            type(error).__name__,
            error,
            fallback,
        )
        record = HookError(ctx, error, fallback, name)
        self.errors.append(record)
        if self.on_hook_error is not None:
            try:
                self.on_hook_error(record)
            except Exception:
                logger.exception("on_hook_error callback failed")
        return fallback


def _str_or_none(value: object) -> str | None:
    return value if isinstance(value, str) else None


def _short(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 200 else text[:197] + "..."
