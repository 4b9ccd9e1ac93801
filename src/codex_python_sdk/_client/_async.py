"""``AsyncCodexAgenticClient``: the async core. Lifecycle, requests, notifications, and the wiring.

One client owns one app-server connection. Turns on different threads run concurrently over it; each
turn's events reach only that turn's stream. The turn methods live in :class:`Responses`, thread
preparation in :class:`Threads`, the seed's long tail of convenience methods in :class:`SeedMethods`;
every protocol method is on :attr:`rpc`. The constructor is generated from :class:`ClientOptions`
(``_init.py``).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from .._unset import UNSET, Unset
from ..errors import AppServerConnectionError, ClientClosedError, CodexAgenticError
from ._exec_methods import ExecMethods
from ._init import AsyncClientInit
from ._options import HOOK_NAMES, ClientOptions
from ._responses import Responses
from ._seed_methods import SeedMethods
from ._threads import Threads
from ._turns import TurnTracker
from ._usage import OBSERVED, UsageMethods

# Importing the clients must stay cheap (docs/performance.md): the runners of sync hooks and tools are
# imported when a client is made, the connection (orjson) and the transport when it first connects, the
# server-request machinery (hooks, answer schemas), the handshake and the turn loop once codex was started
# (_connect.py), the events with the first turn or subscription, reconnect()'s code when it is called.
if TYPE_CHECKING:
    from .._rpc import RpcConnection
    from .._transport import Transport
    from ..hooks import (
        CommandApprovalHook,
        FileChangeApprovalHook,
        HookError,
        McpElicitationHook,
        PermissionsApprovalHook,
        ToolCallHook,
        UserInputHook,
    )
    from ..policy import PolicyEngine, PolicyRubric
    from ..protocol._base import JsonValue, Model
    from ..protocol._methods import AsyncRpcMethods
    from ..tools import ToolRegistry
    from ._notifications import NotificationStream
    from ._reconnect import ReconnectReport
    from ._server_requests import ServerRequestDispatcher

__all__ = ["AsyncCodexAgenticClient"]

logger = logging.getLogger("codex_python_sdk")

# Notifications the client itself acts on before routing them.
_WATCHED = frozenset(
    {
        "thread/closed",
        "thread/archived",
        "thread/deleted",
        "item/started",
        "serverRequest/resolved",
        "turn/started",
        "turn/completed",
        *OBSERVED,
    }
)


class AsyncCodexAgenticClient(AsyncClientInit, Responses, Threads, SeedMethods, ExecMethods, UsageMethods):
    """Async client for ``codex app-server``.

    Use it as ``async with AsyncCodexAgenticClient() as client:`` (or ``create_async_client()``); it
    connects lazily on the first call otherwise. The keywords are those of :class:`ClientOptions` (the
    seed's, plus new ones), also accepted as one object: ``AsyncCodexAgenticClient.from_options(options)``.
    Hooks and the policy engine are attributes (``client.on_command_approval = fn``), read when a request
    arrives, so they may be swapped at run time.
    """

    on_command_approval: CommandApprovalHook | None
    on_file_change_approval: FileChangeApprovalHook | None
    on_permissions_approval: PermissionsApprovalHook | None
    on_tool_request_user_input: UserInputHook | None
    on_mcp_elicitation_request: McpElicitationHook | None
    on_tool_call: ToolCallHook | None
    on_hook_error: Callable[[HookError], object] | None
    policy_engine: PolicyEngine | None
    policy_rubric: PolicyRubric | Mapping[str, object] | None

    @classmethod
    def from_options(cls, options: ClientOptions) -> AsyncCodexAgenticClient:
        """A client from a :class:`ClientOptions` (what the CLI and the test kit use)."""
        client = cls.__new__(cls)
        client._setup(options)
        return client

    def _setup(self, options: ClientOptions) -> None:
        self._options = options
        for name in HOOK_NAMES:
            setattr(self, name, options.hooks[name])
        self.on_hook_error = options.on_hook_error
        self._owns_policy_engine = False
        engine = options.policy_engine
        if engine is None and options.policy_rubric is not None:
            from ..policy import build_policy_engine_from_rubric  # seed API: policy_rubric=

            engine = build_policy_engine_from_rubric(options.policy_rubric)
            self._owns_policy_engine = True
        self.policy_engine = engine
        self.policy_rubric = options.policy_rubric
        self._bind_engine(engine)
        self._transport = options.transport
        self._wrapped = False  # wrap_transport() was used: reconnect() could not rebuild the wrapping
        self._tool_registry: ToolRegistry | None = None
        if options.tools:
            from ..tools import ToolRegistry  # imported only when tools are used

            self._tool_registry = ToolRegistry(options.tools)
        # With the first client, not with the clients' import (docs/performance.md).
        from .._callables import CallableRunner
        from ._ledger import UsageLedger
        from ._routing import Router

        self._hook_runner = CallableRunner("codex-sdk-hook", options.hook_workers)
        self._tool_runner = CallableRunner("codex-sdk-tool", options.tool_workers)
        self._conn: RpcConnection | None = None
        self._router = Router()
        self._turns = TurnTracker()
        self._ledger = UsageLedger(options.budget, options.tracer_provider, options.capture_content)
        self._dispatcher: ServerRequestDispatcher | None = None
        self._connect_lock: asyncio.Lock | None = None
        self._closed = False
        self._dead: AppServerConnectionError | None = None
        self._server_info: dict[str, Any] = {}
        self._loaded_threads: set[str] = set()
        self._carried_hook_errors: list[HookError] = []
        self._tasks: set[asyncio.Task[Any]] = set()
        self._rpc: AsyncRpcMethods | None = None
        self.binary_path: str | None = None
        """The codex executable in use (None until connected, with url= or with a custom transport)."""

    def _bind_engine(self, engine: object) -> None:
        # An engine that needs a client of its own (the LLM judge) gets a factory, so that the policy
        # layer never imports the client.
        bind = getattr(engine, "bind_client_factory", None)
        if callable(bind):
            options = self._options

            def factory(**overrides: Any) -> AsyncCodexAgenticClient:
                return AsyncCodexAgenticClient.from_options(_judge_options(options, overrides))

            bind(factory)

    def __setattr__(self, name: str, value: Any) -> None:
        if name == "policy_engine" and "_options" in self.__dict__:
            self._bind_engine(value)
        object.__setattr__(self, name, value)

    # -- lifecycle -------------------------------------------------------------------------------------
    async def __aenter__(self) -> AsyncCodexAgenticClient:
        await self.connect()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    @property
    def closed(self) -> bool:
        """True after :meth:`close` or once the app-server connection died (until :meth:`reconnect`)."""
        return self._closed or self._dead is not None

    @property
    def options(self) -> ClientOptions:
        """The options this client was made with."""
        return self._options

    async def connect(self) -> None:
        """Start the app-server (or dial it, with ``url=``) and run the ``initialize`` handshake
        (idempotent). If that fails, the process is stopped and the client closed: callers waiting to
        connect get the error too. After the connection died, only :meth:`reconnect` connects again."""
        if self._conn is not None and self._dead is None and not self._closed:
            return
        self._check_open()
        if self._connect_lock is None:
            self._connect_lock = asyncio.Lock()
        async with self._connect_lock:
            self._check_open()  # a connect that failed while we waited: its process is gone for good
            if self._conn is not None:
                return
            await self._connect()

    def wrap_transport(self, wrap: Callable[[Transport], Transport]) -> None:
        """Before the client connects: replace the transport it will use by ``wrap(transport)`` — e.g. a
        recorder (``codex_python_sdk.testing.record``) or a proxy that logs. The stdio transport is built
        now (binary, command line, environment) so that ``wrap`` gets the real one."""
        if self._conn is not None:
            raise CodexAgenticError("wrap_transport() must be called before the client connects")
        self._transport = wrap(self._transport_for_connect())
        self._wrapped = True

    def _transport_for_connect(self) -> Transport:
        if self._transport is not None:
            binary = getattr(self._transport, "binary", None)
            if binary is not None:
                self.binary_path = binary.path
            return self._transport
        if self._options.endpoint is not None:
            from .._transport._websocket import WebSocketTransport

            self._transport = WebSocketTransport(
                self._options.endpoint,
                token=self._options.resolve_token(),  # token_env is read at each connect
                connect_timeout=self._options.connect_timeout,
            )
            return self._transport
        from .._transport import StdioTransport
        from ._launch import plan_launch

        plan = plan_launch(self._options)
        logger.debug("starting %s (%s)", plan.argv[0], plan.binary.source)
        self.binary_path = plan.binary.path
        transport = StdioTransport(plan.argv, env=plan.env, cwd=plan.cwd, binary=plan.binary)
        self._transport = transport
        return transport

    async def _connect(self) -> None:
        from .._rpc import RpcConnection

        transport = self._transport_for_connect()
        conn = RpcConnection(
            transport,
            on_notification=self._on_notification,
            on_server_request=self._on_server_request,
            request_timeout=self._options.request_timeout,
        )
        await conn.start()
        # The rest (the server-request machinery, the handshake) and what the first turn needs are imported
        # now, while codex boots (docs/performance.md).
        from ._connect import finish_connect

        await finish_connect(self, conn, transport)

    def _approvals_reviewer(self) -> str | None:
        # Read at each thread start, so hooks swapped at runtime count.
        hooks = self.on_command_approval or self.on_file_change_approval
        local = self.policy_engine is not None or bool(hooks)
        return self._options.approvals_reviewer(local_decider=local)

    def _check_open(self) -> None:
        if self._closed:
            raise ClientClosedError("the client is closed; create a new one")
        if self._dead is not None:
            raise ClientClosedError(
                f"the client is closed because the app-server connection died ({self._dead.message}); "
                "call reconnect() or create a new client",
                stderr_tail=self._dead.stderr_tail,
                returncode=self._dead.returncode,
            )

    def _on_connection_lost(self, conn: RpcConnection, error: AppServerConnectionError) -> None:
        if conn is not self._conn:  # an old connection that reconnect() replaced
            return
        self._dead = error
        self._router.fail_all(error)
        if self._dispatcher is not None:
            self._dispatcher.cancel_all()
        if not self._closed:
            logger.error("%s", error.message)

    async def close(self) -> None:
        """Stop the app-server (stdin EOF, then SIGTERM, then SIGKILL), fail anything still waiting with
        :class:`ClientClosedError`, and release the hook and tool threads (idempotent)."""
        if self._closed:
            return
        self._closed = True
        try:
            if self._dispatcher is not None:
                self._dispatcher.cancel_all()
            for task in list(self._tasks):
                task.cancel()
            if self._conn is not None:
                await self._conn.aclose()
            elif self._transport is not None:
                await self._transport.aclose()  # e.g. an app-server a factory started that was never used
        finally:
            self._router.fail_all(ClientClosedError("the client is closed"))
            self._hook_runner.close()
            self._tool_runner.close()
            if self._owns_policy_engine:
                await _close_engine(self.policy_engine)

    async def reconnect(self) -> ReconnectReport:
        """Replace the connection and resume the threads that were loaded on the old one.

        Explicit, never automatic: after :class:`AppServerConnectionError` the client stays closed until
        this is called. It closes the old connection (a client that started its own app-server stops
        it and starts a new one; with ``url=`` it dials the address again), runs ``initialize``, then
        ``thread/resume`` (with only the thread id) for every thread that was loaded, and returns a
        :class:`ReconnectReport` of the threads resumed and those that failed, with their errors. Turns
        and streams running on the old connection end with :class:`AppServerConnectionError`; none is
        replayed. Raises :class:`ClientClosedError` after :meth:`close`, and
        :class:`AppServerConnectionError` when the new connection cannot be made (call it again later).
        """
        from ._reconnect import reconnect  # loaded when used

        return await reconnect(self)

    def _spawn(self, coro: Any) -> None:
        """Run a background coroutine tied to this client (kept referenced, cancelled on close)."""
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # -- facts about the connection --------------------------------------------------------------------
    @property
    def server_info(self) -> dict[str, JsonValue]:
        """The ``initialize`` result (``userAgent``, ``codexHome``, ``platformFamily``, ``platformOs``)."""
        return dict(self._server_info)

    @property
    def user_agent(self) -> str | None:
        """The server's user agent, e.g. ``codex-python-sdk/0.163.0 (...)``; None before connecting."""
        value = self._server_info.get("userAgent")
        return value if isinstance(value, str) else None

    def stderr_tail(self) -> list[str]:
        """The app-server's last stderr lines (at most 500)."""
        return self._conn.transport.stderr_tail() if self._conn is not None else []

    @property
    def hook_errors(self) -> list[HookError]:
        """Recent hooks, engines or tools that failed, with the fail-closed answer sent (newest last)."""
        return list(self._dispatcher.errors) if self._dispatcher is not None else []

    def _report_hook_error(self, record: HookError) -> None:
        if self.on_hook_error is not None:
            self.on_hook_error(record)

    # -- plumbing --------------------------------------------------------------------------------------
    def _on_notification(self, method: str, msg: dict[str, Any]) -> None:
        if method not in _WATCHED:  # the hot path: deltas and most events just get routed
            self._router.dispatch(method, msg)
            return
        params = msg.get("params")
        if method in ("turn/started", "turn/completed"):
            self._turns.observe(method, params)
        elif method in ("thread/closed", "thread/archived", "thread/deleted"):
            if isinstance(params, dict) and isinstance(params.get("threadId"), str):
                self._loaded_threads.discard(params["threadId"])
                self._turns.forget_thread(params["threadId"])
        elif method == "item/started" and self._dispatcher is not None:
            self._dispatcher.observe_item(msg)  # approvals that follow are given their item
        elif method == "serverRequest/resolved" and self._dispatcher is not None and isinstance(params, dict):
            self._dispatcher.withdraw(params.get("requestId"))
        self._router.dispatch(method, msg)
        if method in OBSERVED:  # after routing: a budget's stop comes after the message that crossed it
            self._ledger.notification(method, params, self._turns)

    def _on_server_request(self, msg: dict[str, Any]) -> None:
        # Turn streams and listeners see the request too (UIs show approvals); the dispatcher answers it.
        self._router.dispatch(msg["method"], msg)
        assert self._dispatcher is not None
        self._dispatcher.handle(msg)

    async def _connection(self) -> RpcConnection:
        if self._conn is None or self._dead is not None or self._closed:
            await self.connect()
        assert self._conn is not None
        if self._conn._loop is not asyncio.get_running_loop():
            # Its pipes and futures belong to the loop it connected on; another loop would hang.
            raise CodexAgenticError(
                "this client is bound to the event loop it connected on; create one client per loop "
                "(or use the sync client, which runs its own loop)"
            )
        return self._conn

    async def request(
        self,
        method: str,
        params: Mapping[str, object] | Model | None = None,
        *,
        timeout: float | Unset | None = UNSET,
    ) -> JsonValue:
        """Send any JSON-RPC request and return its raw ``result`` (the escape hatch).

        ``params`` is a dict or a generated params model; ``timeout`` in seconds (``None``: no limit;
        default: ``request_timeout``).
        """
        result: JsonValue = await self._request(method, params, timeout=timeout)
        return result

    async def _request(self, method: str, params: Any = None, *, timeout: Any = UNSET) -> Any:
        conn = await self._connection()
        to_wire = getattr(params, "to_wire", None)
        wire = to_wire() if callable(to_wire) else params
        if isinstance(timeout, Unset):
            result = await conn.request(method, wire)
        else:
            result = await conn.request(method, wire, timeout=timeout)
        self._track_threads(method, wire, result)
        return result

    async def _rpc_call(self, method: str, params: Any, timeout: Any) -> Any:
        return await self._request(method, params, timeout=timeout)

    @property
    def rpc(self) -> AsyncRpcMethods:
        """Every protocol method as a typed call: ``await client.rpc.thread_list(limit=10)``."""
        if self._rpc is None:
            from ..protocol._methods import AsyncRpcMethods

            self._rpc = AsyncRpcMethods(self._rpc_call)
        return self._rpc

    # -- notifications outside turns -------------------------------------------------------------------
    def notifications(
        self,
        methods: list[str] | None = None,
        *,
        thread_id: str | Unset | None = UNSET,
        maxsize: int = 10_000,
    ) -> NotificationStream:
        """Notifications as :class:`ResponseEvent`, independently of turn streams.

        The subscription starts *now*, at the call, so nothing that happens between this call and the
        first read is missed (``async for event in client.notifications(...)``). ``methods`` filters by
        method; ``thread_id`` by thread (``None``: only notifications that belong to no thread, such as
        ``configWarning`` or ``account/updated``). A consumer that falls more than ``maxsize`` behind gets
        :class:`NotificationOverflowError` rather than silently missing events. ``aclose()`` ends it.
        """
        self._check_open()
        from ._notifications import NotificationStream  # with the events it yields (see the imports)
        from ._routing import Listener

        which = Listener._ALL if isinstance(thread_id, Unset) else thread_id
        return NotificationStream(self, self._router.add_listener(methods, which, maxsize))


def _judge_options(options: ClientOptions, overrides: Mapping[str, Any]) -> ClientOptions:
    """Options for a judge's own client: the same codex and environment (or the same running app-server),
    no hooks, no policy, no tools."""
    base: dict[str, Any] = {"request_timeout": options.request_timeout}
    if options.url is not None:
        token = options._token.reveal() if options._token is not None else None
        base.update(url=options.url, token=token, token_env=options.token_env)
        base["connect_timeout"] = options.connect_timeout
    else:
        base.update(
            codex_command=options.codex_command,
            app_server_args=options.app_server_args,
            env=options.env,
            process_cwd=options.process_cwd,
            server_config_overrides=options.server_config_overrides,
        )
    base.update(overrides)
    return ClientOptions(**base)


async def _close_engine(engine: object) -> None:
    closer = getattr(engine, "aclose", None) or getattr(engine, "close", None)
    if callable(closer):
        try:
            result = closer()
            if asyncio.iscoroutine(result):
                await result
        except Exception:
            logger.exception("closing the policy engine failed")
