"""``CodexAgenticClient``: the sync facade over the async core.

The same methods as :class:`AsyncCodexAgenticClient`, blocking, generated from it (``_sync_methods``) so the
two cannot drift. All calls run on one private event loop thread; calls from several caller threads run
concurrently, so ``turn_interrupt`` from a second thread stops a ``responses_create`` in progress. Ctrl-C
in a blocking call cancels it on the loop, which interrupts its turn on the server.
"""

from __future__ import annotations

import atexit
import contextlib
import logging
import weakref
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, overload

from .._unset import UNSET, Unset
from ._async import AsyncCodexAgenticClient
from ._init import SyncClientInit
from ._options import HOOK_NAMES, ClientOptions
from ._sync_methods import SyncMethods

if TYPE_CHECKING:
    from typing_extensions import Unpack

    from .._transport import Transport
    from ..events import TypedEvent, Usage
    from ..hooks import (
        CommandApprovalHook,
        FileChangeApprovalHook,
        HookError,
        McpElicitationHook,
        PermissionsApprovalHook,
        ToolCallHook,
        UserInputHook,
    )
    from ..policy import PolicyEngine
    from ..protocol._base import JsonValue, Model
    from ..protocol._methods import SyncRpcMethods
    from ..protocol._models.rate_limit_snapshot import RateLimitSnapshot
    from ._portal import SyncStream
    from ._sync_handle import ThreadHandle
    from ._thread_options import ThreadResumeOptions, ThreadStartOptions

__all__ = ["CodexAgenticClient"]

logger = logging.getLogger("codex_python_sdk")

_LIVE: weakref.WeakSet[CodexAgenticClient] = weakref.WeakSet()
_FORWARDED = frozenset({*HOOK_NAMES, "on_hook_error", "policy_engine"})
_CLOSE_TIMEOUT = 15.0  # seconds for a graceful close on the loop before the process is killed outright


@atexit.register
def _close_live_clients() -> None:
    # A forgotten close() must not leave an app-server behind when the interpreter exits.
    for client in list(_LIVE):
        with contextlib.suppress(Exception):
            client.close()


class CodexAgenticClient(SyncClientInit, SyncMethods):
    """Sync client for ``codex app-server``; the keywords of :class:`ClientOptions`, like the async client.

    Use it as ``with CodexAgenticClient() as client:`` (or ``create_client()``). Hooks may be swapped at
    runtime (``client.on_command_approval = fn``); sync hooks run in worker threads, so a hook may block
    (e.g. ask a human) without stalling other turns. After :meth:`close` every call raises
    :class:`ClientClosedError`.
    """

    if TYPE_CHECKING:
        on_command_approval: CommandApprovalHook | None
        on_file_change_approval: FileChangeApprovalHook | None
        on_permissions_approval: PermissionsApprovalHook | None
        on_tool_request_user_input: UserInputHook | None
        on_mcp_elicitation_request: McpElicitationHook | None
        on_tool_call: ToolCallHook | None
        on_hook_error: Callable[[HookError], object] | None
        policy_engine: PolicyEngine | None

    @classmethod
    def from_options(cls, options: ClientOptions) -> CodexAgenticClient:
        """A client from a :class:`ClientOptions` (what the CLI and the test kit use)."""
        client = cls.__new__(cls)
        client._setup(options)
        return client

    def _setup(self, options: ClientOptions) -> None:
        from ._portal import Portal  # with the first client, not with the clients' import

        object.__setattr__(self, "_async", AsyncCodexAgenticClient.from_options(options))
        object.__setattr__(self, "_portal", Portal())
        object.__setattr__(self, "_rpc", None)
        _LIVE.add(self)

    # Hooks and the policy engine live on the async client, which reads them at dispatch time.
    def __getattr__(self, name: str) -> Any:
        if name in _FORWARDED:
            return getattr(self._async, name)
        raise AttributeError(f"{type(self).__name__!s} has no attribute {name!r}")

    def __setattr__(self, name: str, value: Any) -> None:
        if name in _FORWARDED:
            setattr(self._async, name, value)
        else:
            object.__setattr__(self, name, value)

    # -- lifecycle -------------------------------------------------------------------------------------
    def __enter__(self) -> CodexAgenticClient:
        try:
            self.connect()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def connect(self) -> None:
        """Start the app-server and initialize (otherwise done lazily by the first call)."""
        self._portal.call(self._async.connect())

    def close(self) -> None:
        """Stop the app-server and the client's loop thread (idempotent). Whatever state the loop is
        in, the app-server this client started does not outlive this call."""
        _LIVE.discard(self)
        try:
            if self._portal.alive and (not self._async.closed or self._async._conn is not None):
                self._portal.call(self._async.close(), timeout=_CLOSE_TIMEOUT)
        except Exception as exc:
            logger.debug("graceful close failed: %s", exc)
        finally:
            self._portal.stop()
            transport = self._async._transport
            if transport is not None:
                transport.kill_now()  # no-op when it already exited

    def wrap_transport(self, wrap: Callable[[Transport], Transport]) -> None:
        """Before the client connects: use ``wrap(transport)`` instead of the transport it would use
        (see ``AsyncCodexAgenticClient.wrap_transport``)."""
        self._async.wrap_transport(wrap)

    @property
    def closed(self) -> bool:
        """True after :meth:`close` or once the app-server connection died."""
        return self._async.closed or not self._portal.alive

    @property
    def options(self) -> ClientOptions:
        """The options this client was made with."""
        return self._async.options

    @property
    def server_info(self) -> dict[str, JsonValue]:
        """The ``initialize`` result."""
        return self._async.server_info

    @property
    def user_agent(self) -> str | None:
        """The server's user agent."""
        return self._async.user_agent

    @property
    def binary_path(self) -> str | None:
        """The codex executable in use."""
        return self._async.binary_path

    @property
    def hook_errors(self) -> list[HookError]:
        """Recent hooks, engines or tools that failed, with the fail-closed answer sent."""
        return self._async.hook_errors

    def stderr_tail(self) -> list[str]:
        """The app-server's last stderr lines."""
        return self._async.stderr_tail()

    if TYPE_CHECKING:  # overloads for type checkers only (at run time typing would keep them)

        @overload
        def thread(
            self,
            thread_id: None = None,
            *,
            params: Mapping[str, object] | None = None,
            **options: Unpack[ThreadStartOptions],
        ) -> ThreadHandle: ...
        @overload
        def thread(
            self,
            thread_id: str,
            *,
            params: Mapping[str, object] | None = None,
            **options: Unpack[ThreadResumeOptions],
        ) -> ThreadHandle: ...
        @overload
        def thread(
            self, thread_id: str | None, *, params: Mapping[str, object] | None = None
        ) -> ThreadHandle: ...

    def thread(
        self, thread_id: str | None = None, *, params: Mapping[str, object] | None = None, **options: object
    ) -> ThreadHandle:
        """A handle on one thread (see ``AsyncCodexAgenticClient.thread`` and
        :class:`~codex_python_sdk.ThreadHandle`); nothing is sent now."""
        from ._sync_handle import ThreadHandle

        return ThreadHandle(self, self._async._thread_handle(thread_id, params, options))

    @property
    def usage(self) -> Usage:
        """Tokens this client has seen used, on all its threads, since it was made."""
        return self._async.usage

    def thread_usage(self, thread_id: str) -> Usage | None:
        """A thread's token total as codex last reported it to this client (None: no report yet)."""
        return self._async.thread_usage(thread_id)

    @property
    def rate_limits(self) -> RateLimitSnapshot | None:
        """The latest ``account/rateLimits/updated`` snapshot (sparse updates merged), or None."""
        return self._async.rate_limits

    # -- raw and typed protocol access -----------------------------------------------------------------
    def request(
        self,
        method: str,
        params: Mapping[str, object] | Model | None = None,
        *,
        timeout: float | Unset | None = UNSET,
    ) -> JsonValue:
        """Send any JSON-RPC request and return its raw ``result`` (the escape hatch)."""
        return self._portal.call(self._async.request(method, params, timeout=timeout))

    def _rpc_call(self, method: str, params: Any, timeout: Any) -> Any:
        return self._portal.call(self._async._rpc_call(method, params, timeout))

    @property
    def rpc(self) -> SyncRpcMethods:
        """Every protocol method as a typed blocking call: ``client.rpc.thread_list(limit=10)``."""
        if self._rpc is None:
            from ..protocol._methods import SyncRpcMethods

            object.__setattr__(self, "_rpc", SyncRpcMethods(self._rpc_call))
        rpc: SyncRpcMethods = self._rpc
        return rpc

    def notifications(
        self,
        methods: list[str] | None = None,
        *,
        thread_id: str | Unset | None = UNSET,
        maxsize: int = 10_000,
    ) -> SyncStream[TypedEvent]:
        """Iterate over notifications (see ``AsyncCodexAgenticClient.notifications``)."""
        return self._portal.iterate(self._async.notifications(methods, thread_id=thread_id, maxsize=maxsize))
