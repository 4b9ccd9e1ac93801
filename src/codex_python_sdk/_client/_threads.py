"""Threads under the turn methods: start, resume (only when needed), Python tools bound to threads.

A thread started by this client gets the baseline (``approvalPolicy=on-request``, ``sandbox=workspace-
write``), ``default_thread_params`` and the call's params; a thread resumed gets only what the call asked
for, so a read-only thread never becomes writable behind the user's back. A thread already loaded on
this connection is used as is: no extra round trip per turn.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any, overload

from ..errors import CodexAgenticError

if TYPE_CHECKING:
    from typing_extensions import Unpack

    from .._callables import CallableRunner
    from ..hooks import RequestContext
    from ..tools import ToolRegistry
    from ._handle import AsyncThreadHandle
    from ._ledger import UsageLedger
    from ._options import ClientOptions
    from ._thread_options import ThreadResumeOptions, ThreadStartOptions

__all__ = ["Threads"]

_LOADING = frozenset({"thread/start", "thread/resume", "thread/fork"})
_UNLOADING = frozenset({"thread/unsubscribe", "thread/archive", "thread/delete"})


class Threads:
    """Mixin: thread preparation and Python tools; the client supplies ``request`` and the options."""

    if TYPE_CHECKING:
        _options: ClientOptions
        _loaded_threads: set[str]
        _ledger: UsageLedger
        _tool_registry: ToolRegistry | None
        _tool_runner: CallableRunner

        async def _request(self, method: str, params: Any = None, *, timeout: Any = ...) -> Any: ...
        def _approvals_reviewer(self) -> str | None: ...

    def _track_threads(self, method: str, params: object, result: object) -> None:
        if method in _LOADING and isinstance(result, dict):
            thread = result.get("thread")
            if isinstance(thread, dict) and isinstance(thread.get("id"), str):
                self._loaded_threads.add(thread["id"])
                self._ledger.thread_loaded(result)  # the model and provider, for traces
        elif method in _UNLOADING and isinstance(params, Mapping):
            # Not loaded any more: the next turn on it must resume (and so get the server's answer, e.g.
            # "archived"), even if the thread/closed or thread/archived notification has not arrived yet.
            self._loaded_threads.discard(str(params.get("threadId")))

    # -- Python tools ----------------------------------------------------------------------------------
    def _prepare_tools(self, params: dict[str, Any]) -> Callable[[str], None]:
        """Turn Python tools in ``params["dynamicTools"]`` into specs (with the client's own tools first);
        returns what binds the thread's own tools to its id once it is known."""
        given = params.get("dynamicTools")
        has_python = isinstance(given, (list, tuple)) and any(not isinstance(t, Mapping) for t in given)
        if self._tool_registry is None:
            if not has_python:
                return lambda _thread_id: None
            from ..tools import ToolRegistry

            self._tool_registry = ToolRegistry()
        return self._tool_registry.prepare(params)

    def _tool_call_handler(
        self, params: Mapping[str, Any], context: RequestContext
    ) -> Callable[[], Awaitable[Any]] | None:
        if self._tool_registry is None:
            return None
        return self._tool_registry.handler(
            params, context, runner=self._tool_runner, default_timeout=self._options.approval_timeout
        )

    # -- handles ---------------------------------------------------------------------------------------
    if TYPE_CHECKING:  # overloads for type checkers only (at run time typing would keep them)

        @overload
        def thread(
            self,
            thread_id: None = None,
            *,
            params: Mapping[str, object] | None = None,
            **options: Unpack[ThreadStartOptions],
        ) -> AsyncThreadHandle: ...
        @overload
        def thread(
            self,
            thread_id: str,
            *,
            params: Mapping[str, object] | None = None,
            **options: Unpack[ThreadResumeOptions],
        ) -> AsyncThreadHandle: ...
        @overload
        def thread(
            self, thread_id: str | None, *, params: Mapping[str, object] | None = None
        ) -> AsyncThreadHandle: ...

    def thread(
        self, thread_id: str | None = None, *, params: Mapping[str, object] | None = None, **options: object
    ) -> AsyncThreadHandle:
        """A handle on one thread: ``run``, ``stream``, ``events``, ``steer``, ``interrupt``, ``fork``,
        ``revert``, ``compact``, ``archive``, ``read`` (see :class:`~codex_python_sdk.AsyncThreadHandle`).

        Without ``thread_id`` the thread is started on first use, with ``options`` (the snake_case fields
        of ``ThreadStartParams``: ``model=``, ``sandbox=``, ``approval_policy=`` ...) on top of ``params``
        (wire names), as ``thread_start(params=...)`` would. With ``thread_id``, options given are sent
        with ``thread/resume`` on first use (those of ``ThreadResumeParams``). Nothing is sent now.
        """
        return self._thread_handle(thread_id, params, options)

    def _thread_handle(
        self, thread_id: str | None, params: Mapping[str, object] | None, options: Mapping[str, object]
    ) -> AsyncThreadHandle:
        from ._handle import AsyncThreadHandle, wire_options  # loaded on first use

        model = "ThreadStartParams" if thread_id is None else "ThreadResumeParams"
        return AsyncThreadHandle(self, thread_id, wire_options(model, params, options))  # type: ignore[arg-type]

    # -- start / resume --------------------------------------------------------------------------------
    async def _start_thread_raw(self, params: Mapping[str, object] | None) -> dict[str, Any]:
        merged = self._options.thread_start_params(params, reviewer=self._approvals_reviewer())
        bind_tools = self._prepare_tools(merged)
        result = await self._request("thread/start", merged)
        thread = result.get("thread") if isinstance(result, dict) else None
        thread_id = thread.get("id") if isinstance(thread, dict) else None
        if not isinstance(result, dict) or not isinstance(thread_id, str):
            raise CodexAgenticError(f"thread/start returned no thread id: {str(result)[:300]}")
        bind_tools(thread_id)
        return result

    async def _resume_thread_raw(self, thread_id: str, params: Mapping[str, object] | None) -> dict[str, Any]:
        _check_thread_id(thread_id)
        # Only what the caller asked for: never re-send the baseline sandbox / approval settings.
        merged: dict[str, Any] = {k: v for k, v in (params or {}).items() if v is not None}
        # codex 0.163 keeps a thread's dynamic tools with the thread and ignores dynamicTools on resume;
        # Python tools given here still answer the thread's calls to them from now on.
        bind_tools = self._prepare_tools(merged)
        merged["threadId"] = thread_id
        result = await self._request("thread/resume", merged)
        if not isinstance(result, dict):
            raise CodexAgenticError(f"thread/resume returned no thread: {str(result)[:300]}")
        bind_tools(thread_id)
        return result

    async def _prepare_thread(self, thread_id: str | None, thread_params: Mapping[str, object] | None) -> str:
        if thread_params is not None and not isinstance(thread_params, Mapping):
            raise TypeError(f"thread_params must be a dict, got {type(thread_params).__name__}")
        if thread_id is None:
            result = await self._start_thread_raw(thread_params)
            return str(result["thread"]["id"])
        _check_thread_id(thread_id)
        if thread_id in self._loaded_threads and not thread_params:
            return thread_id  # already live on this connection: no extra round trip per turn
        await self._resume_thread_raw(thread_id, thread_params)
        return thread_id


def _check_thread_id(thread_id: object) -> None:
    if not isinstance(thread_id, str):
        raise TypeError(f"thread_id must be a string, got {type(thread_id).__name__}")
    if not thread_id.strip():
        raise ValueError("thread_id is empty")
