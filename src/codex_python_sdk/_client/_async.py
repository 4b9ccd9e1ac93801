"""``AsyncCodexAgenticClient``: the async core. Lifecycle, requests, threads and turns.

One client owns one app-server connection. Turns on different threads run concurrently over it; each
turn's events reach only that turn's stream. The seed's long tail of convenience methods lives in the
:class:`~codex_python_sdk._client._seed_methods.SeedMethods` mixin; every protocol method is on :attr:`rpc`.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from .._rpc._connection import RpcConnection
from .._transport import StdioTransport, Transport
from .._version import __version__
from ..errors import AppServerConnectionError, ClientClosedError, CodexAgenticError
from ..events import AgentResponse, ResponseEvent
from ..inputs import to_wire_input
from ._launch import plan_launch
from ._options import HOOK_NAMES, ClientOptions
from ._routing import EndOfQueue, Listener, Router
from ._seed_methods import SeedMethods
from ._server_requests import HookError, ServerRequestDispatcher
from ._turns import TurnAccumulator, TurnState, turn_messages

if TYPE_CHECKING:
    from ..protocol._methods import AsyncRpcMethods
    from ..tools import ToolRegistry

__all__ = ["AsyncCodexAgenticClient"]

logger = logging.getLogger("codex_python_sdk")

_UNSET: Any = object()
# Notifications the client itself acts on before routing them.
_WATCHED = frozenset(
    {"thread/closed", "thread/archived", "thread/deleted", "item/started", "serverRequest/resolved"}
)


class _Hooks(Mapping[str, Any]):
    """The client's ``on_*`` attributes, read at dispatch time so hooks can be swapped at runtime."""

    def __init__(self, client: AsyncCodexAgenticClient) -> None:
        self._client = client

    def __getitem__(self, key: str) -> Any:
        if key not in HOOK_NAMES:
            raise KeyError(key)
        return getattr(self._client, key)

    def __iter__(self) -> Any:
        return iter(HOOK_NAMES)

    def __len__(self) -> int:
        return len(HOOK_NAMES)


class AsyncCodexAgenticClient(SeedMethods):
    """Async client for ``codex app-server``.

    Use it as ``async with AsyncCodexAgenticClient() as client:`` (or ``create_async_client()``); it
    connects lazily on the first call otherwise. The keywords are the seed's, with the same meaning:

    - ``codex_command``: the codex executable. When omitted: ``$CODEX_PYTHON_SDK_CODEX``, then the binary
      bundled with ``openai-codex-cli-bin``, then ``codex`` on PATH.
    - ``app_server_args``: arguments before the generated flags (default ``["app-server"]``).
    - ``env`` (default: this process's environment) and ``process_cwd`` (default: the current directory)
      of the app-server process.
    - ``default_thread_params`` / ``default_turn_params``: merged under each call's params. Thread params
      (and the baseline ``approvalPolicy=on-request``, ``sandbox=workspace-write``) apply when a thread is
      *started*; resuming a thread sends only what that call asked for.
    - ``automatic_approval_review``: route approvals to Codex's native reviewer (``approvalsReviewer:
      "auto_review"``). Your own ``on_command_approval`` / ``on_file_change_approval`` hook or policy always
      takes precedence: when one is configured, approvals keep coming to it (a warning says so).
    - ``enabled_features`` / ``disabled_features``: ``--enable`` / ``--disable`` flags.
    - ``enable_web_search``: live web search (``-c web_search="live"``); off by default.
    - ``server_config_overrides``: ``-c key=value`` flags, values encoded as TOML (``RawToml`` passes text).
    - ``stream_idle_timeout_seconds``: a turn stream with no event for this long is interrupted and raises
      :class:`StreamIdleTimeoutError`; time spent in your hooks does not count. ``None`` disables it.
    - ``turn_timeout_seconds`` (new): a whole-turn deadline (default none): past it the turn is interrupted
      and :class:`TurnTimeoutError` raised, even while events keep coming (codex retrying a lost network
      sends one every few seconds, forever).
    - ``on_command_approval``, ``on_file_change_approval``, ``on_permissions_approval``,
      ``on_tool_request_user_input``, ``on_mcp_elicitation_request``, ``on_tool_call``: hooks for the
      server's requests, ``(params)`` or ``(params, context)``, sync or async. Without a hook or policy
      the answer is fail-closed (decline, empty grant, empty answers, tool failure).
    - ``policy_engine`` / ``policy_rubric``: a policy consulted when no hook is set.

    New keywords: ``request_timeout_seconds`` (every request; default 120), ``approval_timeout_seconds``
    (a hook taking longer is answered fail-closed; default none), ``client_name`` (``clientInfo.name``),
    ``experimental_api`` (default True), ``opt_out_notification_methods``, ``on_hook_error`` (called with a
    :class:`HookError` whenever a hook result is rejected), ``transport`` (a custom :class:`Transport`),
    and ``tools`` (Python functions or :class:`~codex_python_sdk.Tool` objects the model can call on every
    thread this client starts; see :mod:`codex_python_sdk.tools`).
    """

    def __init__(
        self,
        *,
        codex_command: str | None = None,
        app_server_args: list[str] | None = None,
        env: Mapping[str, str] | None = None,
        process_cwd: str | os.PathLike[str] | None = None,
        default_thread_params: Mapping[str, Any] | None = None,
        default_turn_params: Mapping[str, Any] | None = None,
        automatic_approval_review: bool | None = None,
        enabled_features: list[str] | None = None,
        disabled_features: list[str] | None = None,
        enable_web_search: bool = False,
        server_config_overrides: Mapping[str, Any] | None = None,
        stream_idle_timeout_seconds: float | None = 60.0,
        turn_timeout_seconds: float | None = None,
        on_command_approval: Callable[..., Any] | None = None,
        on_file_change_approval: Callable[..., Any] | None = None,
        on_permissions_approval: Callable[..., Any] | None = None,
        on_tool_request_user_input: Callable[..., Any] | None = None,
        on_mcp_elicitation_request: Callable[..., Any] | None = None,
        on_tool_call: Callable[..., Any] | None = None,
        policy_engine: Any = None,
        policy_rubric: Any = None,
        request_timeout_seconds: float | None = 120.0,
        approval_timeout_seconds: float | None = None,
        client_name: str = "codex-python-sdk",
        experimental_api: bool = True,
        opt_out_notification_methods: list[str] | None = None,
        on_hook_error: Callable[[HookError], None] | None = None,
        transport: Transport | None = None,
        tools: Sequence[Any] | None = None,
    ) -> None:
        # First statement: every parameter, by name, for the options (which ignore the others).
        self._options = ClientOptions.from_kwargs(locals())
        self.on_command_approval = on_command_approval
        self.on_file_change_approval = on_file_change_approval
        self.on_permissions_approval = on_permissions_approval
        self.on_tool_request_user_input = on_tool_request_user_input
        self.on_mcp_elicitation_request = on_mcp_elicitation_request
        self.on_tool_call = on_tool_call
        self.on_hook_error = on_hook_error
        self._owns_policy_engine = False
        if policy_engine is None and policy_rubric is not None:
            from ..policy import build_policy_engine_from_rubric  # the one upward import: seed API

            policy_engine = build_policy_engine_from_rubric(policy_rubric)
            self._owns_policy_engine = True
        self.policy_engine = policy_engine
        self.policy_rubric = policy_rubric
        self._transport = transport
        self._tool_registry: ToolRegistry | None = None
        if tools:
            from ..tools import ToolRegistry  # features layer, imported only when tools are used

            self._tool_registry = ToolRegistry(tools)
        self._conn: RpcConnection | None = None
        self._router = Router()
        self._dispatcher: ServerRequestDispatcher | None = None
        self._connect_lock: asyncio.Lock | None = None
        self._closed = False
        self._dead: AppServerConnectionError | None = None
        self._server_info: dict[str, Any] = {}
        self._loaded_threads: set[str] = set()
        self._tasks: set[asyncio.Task[Any]] = set()
        self._rpc: AsyncRpcMethods | None = None
        self.binary_path: str | None = None
        """The codex executable in use (None until connected, or with a custom transport)."""

    # -- lifecycle -------------------------------------------------------------------------------------
    async def __aenter__(self) -> AsyncCodexAgenticClient:
        await self.connect()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    @property
    def closed(self) -> bool:
        """True after :meth:`close` or once the app-server connection died."""
        return self._closed or self._dead is not None

    async def connect(self) -> None:
        """Start the app-server and run the ``initialize`` handshake (idempotent)."""
        if self._conn is not None and self._dead is None and not self._closed:
            return
        self._check_open()
        if self._connect_lock is None:
            self._connect_lock = asyncio.Lock()
        async with self._connect_lock:
            if self._conn is not None:
                self._check_open()
                return
            await self._connect()

    def _transport_for_connect(self) -> Transport:
        if self._transport is not None:
            binary = getattr(self._transport, "binary", None)
            if binary is not None:
                self.binary_path = binary.path
            return self._transport
        plan = plan_launch(self._options)
        logger.debug("starting %s (%s)", plan.argv[0], plan.binary.source)
        self.binary_path = plan.binary.path
        return StdioTransport(plan.argv, env=plan.env, cwd=plan.cwd, binary=plan.binary)

    async def _connect(self) -> None:
        transport = self._transport_for_connect()
        conn = RpcConnection(
            transport,
            on_notification=self._on_notification,
            on_server_request=self._on_server_request,
            request_timeout=self._options.request_timeout_seconds,
        )
        self._dispatcher = ServerRequestDispatcher(
            conn,
            self._router,
            hooks=_Hooks(self),
            policy_engine=self.policy_engine,
            approval_timeout=self._options.approval_timeout_seconds,
            on_hook_error=self._report_hook_error,
            get_policy_engine=lambda: self.policy_engine,  # read at dispatch time: swappable at runtime
            tool_handler=self._tool_call_handler,
        )
        await conn.start()
        conn.add_close_callback(self._on_connection_lost)
        self._conn = conn
        capabilities: dict[str, Any] = {"experimentalApi": self._options.experimental_api}
        if self._options.opt_out_notification_methods:
            capabilities["optOutNotificationMethods"] = self._options.opt_out_notification_methods
        try:
            self._server_info = await conn.request(
                "initialize",
                {
                    "clientInfo": {"name": self._options.client_name, "title": None, "version": __version__},
                    "capabilities": capabilities,
                },
            )
            conn.notify("initialized")
        except BaseException as exc:
            await conn.aclose()
            self._conn = None
            if isinstance(exc, AppServerConnectionError):
                raise AppServerConnectionError(
                    f"app-server failed to start: {exc.message}",
                    stderr_tail=transport.stderr_tail(),
                    returncode=transport.returncode,
                ) from exc
            raise
        reviewer = self._approvals_reviewer()
        if self._options.automatic_approval_review and reviewer is None:
            logger.warning(
                "automatic_approval_review=True but an approval hook or policy is configured: approvals go "
                "to your hook/policy (it takes precedence), not to Codex's native reviewer"
            )

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
                "create a new client",
                stderr_tail=self._dead.stderr_tail,
                returncode=self._dead.returncode,
            )

    def _on_connection_lost(self, error: AppServerConnectionError) -> None:
        self._dead = error
        self._router.fail_all(error)
        if self._dispatcher is not None:
            self._dispatcher.cancel_all()
        if not self._closed:
            logger.error("%s", error.message)

    async def close(self) -> None:
        """Stop the app-server (stdin EOF, then SIGTERM, then SIGKILL) and fail anything still waiting."""
        if self._closed:
            return
        self._closed = True
        if self._dispatcher is not None:
            self._dispatcher.cancel_all()
        for task in list(self._tasks):
            task.cancel()
        if self._conn is not None:
            await self._conn.aclose()
        elif self._transport is not None:
            await self._transport.aclose()  # e.g. an app-server a factory started that was never used
        self._router.fail_all(ClientClosedError("the client is closed"))
        if self._owns_policy_engine:
            closer = getattr(self.policy_engine, "aclose", None) or getattr(self.policy_engine, "close", None)
            if callable(closer):
                result = closer()
                if asyncio.iscoroutine(result):
                    await result

    def _spawn(self, coro: Any) -> None:
        """Run a background coroutine tied to this client (kept referenced, cancelled on close)."""
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # -- facts about the connection --------------------------------------------------------------------
    @property
    def server_info(self) -> dict[str, Any]:
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
        """Recent hook/policy results that were rejected and answered fail-closed (newest last)."""
        return list(self._dispatcher.errors) if self._dispatcher is not None else []

    def _report_hook_error(self, record: HookError) -> None:
        if self.on_hook_error is not None:
            self.on_hook_error(record)

    # -- plumbing --------------------------------------------------------------------------------------
    def _on_notification(self, method: str, msg: dict[str, Any]) -> None:
        if method not in _WATCHED:  # the hot path: deltas and most events just get routed
            self._router.dispatch(method, msg)
            return
        if method in ("thread/closed", "thread/archived", "thread/deleted"):
            params = msg.get("params")
            if isinstance(params, dict):
                self._loaded_threads.discard(str(params.get("threadId")))
        elif method == "item/started" and self._dispatcher is not None:
            self._dispatcher.observe_item(msg)  # approvals that follow are given their item
        elif method == "serverRequest/resolved" and self._dispatcher is not None:
            params = msg.get("params")
            if isinstance(params, dict):
                self._dispatcher.withdraw(params.get("requestId"))
        self._router.dispatch(method, msg)

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

    async def request(self, method: str, params: Any = None, *, timeout: Any = _UNSET) -> Any:
        """Send any JSON-RPC request and return its raw ``result`` (the escape hatch).

        ``params`` is a dict or a generated params model; ``timeout`` in seconds (``None``: no limit).
        """
        conn = await self._connection()
        if hasattr(params, "to_wire"):
            params = params.to_wire()
        if timeout is _UNSET:
            result = await conn.request(method, params)
        else:
            result = await conn.request(method, params, timeout=timeout)
        self._track_threads(method, params, result)
        return result

    async def _rpc_call(self, method: str, params: Any, timeout: Any) -> Any:
        from ..protocol._base import UNSET

        return await self.request(method, params, timeout=_UNSET if timeout is UNSET else timeout)

    @property
    def rpc(self) -> AsyncRpcMethods:
        """Every protocol method as a typed call: ``await client.rpc.thread_list(limit=10)``."""
        if self._rpc is None:
            from ..protocol._methods import AsyncRpcMethods

            self._rpc = AsyncRpcMethods(self._rpc_call)
        return self._rpc

    def _track_threads(self, method: str, params: Any, result: Any) -> None:
        if method in ("thread/start", "thread/resume", "thread/fork") and isinstance(result, dict):
            thread = result.get("thread")
            if isinstance(thread, dict) and isinstance(thread.get("id"), str):
                self._loaded_threads.add(thread["id"])
        elif method in ("thread/unsubscribe", "thread/archive", "thread/delete") and isinstance(params, dict):
            # Not loaded any more: the next turn on it must resume (and so get the server's answer, e.g.
            # "archived"), even if the thread/closed or thread/archived notification has not arrived yet.
            self._loaded_threads.discard(str(params.get("threadId")))

    # -- notifications outside turns -------------------------------------------------------------------
    async def notifications(
        self, methods: list[str] | None = None, *, thread_id: Any = Listener._ALL, maxsize: int = 10_000
    ) -> AsyncIterator[ResponseEvent]:
        """Iterate over notifications as :class:`ResponseEvent` (independently of turn streams).

        ``methods`` filters by method; ``thread_id`` by thread (``None``: only notifications that belong to
        no thread, such as ``configWarning`` or ``account/updated``). A consumer that falls more than
        ``maxsize`` behind gets :class:`NotificationOverflowError` rather than silently missing events.
        """
        await self._connection()
        listener = self._router.add_listener(methods, thread_id, maxsize)
        try:
            while True:
                msg = await listener.queue.get()
                yield ResponseEvent.from_notification(msg)
        except EndOfQueue:  # the listener was closed: the iteration simply ends
            return
        finally:
            listener.close()

    # -- threads ---------------------------------------------------------------------------------------
    def _dynamic_tools(self) -> list[dict[str, Any]] | None:
        """Dynamic tool specs of the client's Python tools (``tools=``), registered on every thread start."""
        return self._tool_registry.specs() if self._tool_registry is not None else None

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

    def _tool_call_handler(self, params: Mapping[str, Any], context: Any) -> Any:
        return self._tool_registry.handler(params, context) if self._tool_registry is not None else None

    async def _start_thread_raw(self, params: Mapping[str, Any] | None) -> dict[str, Any]:
        merged = self._options.thread_start_params(params, reviewer=self._approvals_reviewer())
        bind_tools = self._prepare_tools(merged)
        result = await self.request("thread/start", merged)
        if not isinstance(result, dict) or not isinstance(result.get("thread"), dict):
            raise CodexAgenticError(f"thread/start returned no thread: {result!r}")
        bind_tools(str(result["thread"].get("id")))
        return result

    async def _resume_thread_raw(self, thread_id: str, params: Mapping[str, Any] | None) -> dict[str, Any]:
        # Only what the caller asked for: never re-send the baseline sandbox / approval settings.
        merged = {k: v for k, v in (params or {}).items() if v is not None}
        # codex 0.163 keeps a thread's dynamic tools with the thread and ignores dynamicTools on resume;
        # Python tools given here still answer the thread's calls to them from now on.
        bind_tools = self._prepare_tools(merged)
        merged["threadId"] = thread_id
        result = await self.request("thread/resume", merged)
        bind_tools(thread_id)
        return result  # type: ignore[no-any-return]

    async def _prepare_thread(self, thread_id: str | None, thread_params: Mapping[str, Any] | None) -> str:
        if thread_id is None:
            result = await self._start_thread_raw(thread_params)
            return str(result["thread"]["id"])
        if thread_id in self._loaded_threads and not thread_params:
            return thread_id  # already live on this connection: no extra round trip per turn
        await self._resume_thread_raw(thread_id, thread_params)
        return thread_id

    # -- responses -------------------------------------------------------------------------------------
    async def _turn(
        self,
        prompt: Any,
        thread_id: str | None,
        thread_params: Mapping[str, Any] | None,
        turn_params: Mapping[str, Any] | None,
    ) -> tuple[TurnState, AsyncIterator[dict[str, Any]]]:
        wire_input = to_wire_input(prompt)  # bad input fails before anything is started
        conn = await self._connection()
        resolved = await self._prepare_thread(thread_id, thread_params)
        state = TurnState(resolved)
        params = {**self._options.turn_params(turn_params), "input": wire_input}
        stream = turn_messages(
            conn,
            self._router,
            state,
            params,
            idle_timeout=self._options.stream_idle_timeout_seconds,
            turn_timeout=self._options.turn_timeout_seconds,
            spawn=self._spawn,
        )
        return state, stream

    async def responses_events(
        self,
        *,
        prompt: Any,
        thread_id: str | None = None,
        thread_params: Mapping[str, Any] | None = None,
        turn_params: Mapping[str, Any] | None = None,
    ) -> AsyncIterator[ResponseEvent]:
        """Run one turn and yield its events: ``thread/ready`` first, ``turn/completed`` last.

        Starts a thread when ``thread_id`` is None. Leaving the loop early (break, cancellation, idle
        timeout) interrupts the turn on the server. A failed turn raises :class:`TurnFailedError` after
        its ``turn/completed`` event.
        """
        state, stream = await self._turn(prompt, thread_id, thread_params, turn_params)
        yield ResponseEvent(
            "thread/ready", "system", thread_id=state.thread_id, raw={"threadId": state.thread_id}
        )
        from_notification = ResponseEvent.from_notification
        acc = TurnAccumulator(state.thread_id, keep_events=False)  # so a failure carries the partial result
        async with _closing(stream):
            async for msg in stream:
                event = from_notification(msg, state.thread_id)
                if event.type == "item/agentMessage/delta":  # the hot path: reuse what the event parsed
                    acc.add_delta(event.item_id, event.text_delta)
                else:
                    acc.add(msg)
                yield event
        if acc.raw is not None:  # turn/completed arrived
            acc.raise_if_failed()

    async def responses_stream_text(
        self,
        *,
        prompt: Any,
        thread_id: str | None = None,
        thread_params: Mapping[str, Any] | None = None,
        turn_params: Mapping[str, Any] | None = None,
    ) -> AsyncIterator[str]:
        """Run one turn and yield the agent's message text as it streams (no tool output, no reasoning)."""
        state, stream = await self._turn(prompt, thread_id, thread_params, turn_params)
        acc = TurnAccumulator(state.thread_id, keep_events=False)
        async with _closing(stream):
            async for msg in stream:
                if msg.get("method") == "item/agentMessage/delta":
                    delta = msg["params"].get("delta")
                    if delta:
                        yield delta
                elif msg.get("method") == "turn/completed":
                    acc.add(msg)
        acc.raise_if_failed()

    async def responses_create(
        self,
        *,
        prompt: Any,
        thread_id: str | None = None,
        thread_params: Mapping[str, Any] | None = None,
        turn_params: Mapping[str, Any] | None = None,
        include_events: bool = False,
    ) -> AgentResponse:
        """Run one turn to the end and return an :class:`AgentResponse`.

        ``status`` is ``completed`` or ``interrupted``; a failed turn raises :class:`TurnFailedError`
        (its ``response`` holds what was gathered). ``include_events=True`` keeps every event.
        """
        state, stream = await self._turn(prompt, thread_id, thread_params, turn_params)
        acc = TurnAccumulator(state.thread_id, keep_events=include_events)
        if acc.events is not None:
            acc.events.append(
                ResponseEvent(
                    "thread/ready", "system", thread_id=state.thread_id, raw={"threadId": state.thread_id}
                )
            )
        async with _closing(stream):
            async for msg in stream:
                acc.add(msg)
        if acc.turn_id is None:
            acc.turn_id = state.turn_id
        return acc.raise_if_failed()


class _closing:
    """``async with`` that closes an async generator (so its ``finally`` runs now, not at GC)."""

    def __init__(self, agen: Any) -> None:
        self._agen = agen

    async def __aenter__(self) -> Any:
        return self._agen

    async def __aexit__(self, *exc: object) -> None:
        await self._agen.aclose()
