"""FakeModel: a scripted OpenAI Responses API server on loopback for driving the real codex binary.

The server is ``http.server`` on a daemon thread per connection (HTTP/1.1, keep-alive). A plain reply
is written as one pre-rendered body with a ``Content-Length`` (the connection may be reused); replies
that are slow, hang or are cut are written event by event with ``Connection: close`` and a body that
ends when the connection closes. Write errors (the client hung up, e.g. on ``turn/interrupt``) end the
handler quietly and mark the request ``disconnected``; a hanging stream also notices a hang-up.

The same port doubles as a dead-end HTTP proxy (:attr:`FakeModel.proxy_url`): codex tries to reach
github.com and chatgpt.com at start-up (plugin sync); pointed here through ``HTTPS_PROXY`` those
attempts are refused with 403 and listed in :attr:`FakeModel.network_attempts`, so nothing leaves the
machine.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import json
import select
import socket
import sys
import threading
import time
import traceback
from collections.abc import Callable
from types import TracebackType
from typing import TYPE_CHECKING, Any

from ._gate import Gate
from ._http import _Handler, _Server
from ._requests import ModelRequest, ModelRequestKind
from ._script import Reply

if TYPE_CHECKING:
    from ._wiring import AsyncFakeModelClient, FakeHome, FakeModelClient

__all__ = ["FakeModel", "Responder"]

Responder = Callable[[ModelRequest], Reply | None]
"""A function of the request returning the reply, or None to fall through to the next source."""

_GuardianSpec = Reply | str | Responder
_POLL = 0.05


class FakeModel:
    """A scripted fake of the OpenAI Responses API for running the real ``codex app-server`` offline.

    Use it as a context manager (sync or async); it listens on a free loopback port::

        with FakeModel() as model:
            shell = Reply.shell("echo hi")
            model.add(shell, Reply.text("done"))
            ...  # start codex with model.config_overrides() and model.env(), run a turn
            assert "hi" in (model.tool_output(shell.call_id) or "")

    Where a reply comes from, for each ``POST .../responses``:

    1. guardian review requests go to :meth:`on_guardian`'s handler, compaction requests to
       :meth:`on_compaction`'s, when set;
    2. then the :meth:`respond_with` function, if set and it returns a reply;
    3. then the FIFO queue filled by :meth:`add`;
    4. otherwise the request is *unscripted*: it is recorded, answered with HTTP ``unscripted_status``
       (default 500) and a body naming the problem, and reported on stderr, so a test fails loudly
       instead of hanging. Codex shows a canned text for a 500 and drops the body; pass
       ``unscripted_status=400`` to see the fake's message in the turn's error instead. Requests to
       other paths (codex 0.163.0 sends none) are answered 404 and recorded the same way.

    All methods are thread-safe; handlers run on the server's threads. Every request is recorded
    (:attr:`requests`). The constructor arguments are kept as public attributes of the same names.
    """

    def __init__(
        self,
        *,
        model: str = "gpt-5.5",
        provider: str = "mock",
        request_max_retries: int = 0,
        stream_max_retries: int = 0,
        host: str = "127.0.0.1",
        port: int = 0,
        unscripted_status: int = 500,
        api_key: str = "sk-test",
    ) -> None:
        """Configure the fake; nothing listens until :meth:`start` (or ``with``).

        ``model`` is the slug codex is told to use (``gpt-5.5`` has full tool metadata in 0.163.0);
        ``request_max_retries`` / ``stream_max_retries`` go into the provider config (0: exactly one
        request per model call, so failures are not retried).
        """
        self.model = model
        self.provider = provider
        self.request_max_retries = request_max_retries
        self.stream_max_retries = stream_max_retries
        self.unscripted_status = unscripted_status
        self.api_key = api_key
        self._host = host
        self._port = port
        self._lock = threading.Lock()
        self._arrived = threading.Condition(self._lock)
        self._queue: collections.deque[Reply] = collections.deque()
        self._responder: Responder | None = None
        self._guardian: _GuardianSpec | None = None
        self._compaction: _GuardianSpec | None = None
        self._requests: list[ModelRequest] = []
        self._network: list[str] = []
        self._gates: list[Gate] = []
        self._connections: set[socket.socket] = set()
        self._stopping = threading.Event()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> FakeModel:
        """Bind a loopback port and serve in a background thread; returns self."""
        if self._server is not None:
            raise RuntimeError("FakeModel already started")
        self._stopping.clear()
        server = _Server((self._host, self._port), _Handler)
        server.model = self
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": _POLL}, name="FakeModel", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving: end hanging streams, close every connection, free the port. Idempotent."""
        server, self._server = self._server, None
        if server is None:
            return
        self._stopping.set()
        server.shutdown()
        server.server_close()
        with self._lock:
            connections = list(self._connections)
        for conn in connections:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
        if self._thread is not None:
            self._thread.join(5)
            self._thread = None

    def __enter__(self) -> FakeModel:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    async def __aenter__(self) -> FakeModel:
        return self.start()

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await asyncio.get_running_loop().run_in_executor(None, self.stop)

    # ------------------------------------------------------------------ how codex reaches it

    @property
    def port(self) -> int:
        """The TCP port the server listens on (after start)."""
        if self._server is None:
            raise RuntimeError("FakeModel is not running; use `with FakeModel() as model:`")
        return int(self._server.server_address[1])

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT/v1`` — the provider base URL for codex."""
        return f"http://{self._host}:{self.port}/v1"

    def config_overrides(self) -> dict[str, str | int]:
        """Codex config overrides (``-c key=value`` pairs) that point codex at this fake."""
        prefix = f"model_providers.{self.provider}"
        return {
            "model_provider": self.provider,
            f"{prefix}.name": self.provider,
            f"{prefix}.base_url": self.base_url,
            f"{prefix}.wire_api": "responses",
            f"{prefix}.request_max_retries": self.request_max_retries,
            f"{prefix}.stream_max_retries": self.stream_max_retries,
            "model": self.model,
        }

    def config_args(self) -> list[str]:
        """:meth:`config_overrides` as command-line arguments: ``["-c", "key=<toml value>", ...]``."""
        from .._client._toml import encode_overrides  # the client's own TOML encoding

        return encode_overrides(self.config_overrides())

    def env(self) -> dict[str, str]:
        """Environment additions for the codex process (``OPENAI_API_KEY``)."""
        return {"OPENAI_API_KEY": self.api_key}

    @property
    def proxy_url(self) -> str:
        """``http://127.0.0.1:PORT``: this server as a proxy that refuses every outbound connection."""
        return f"http://{self._host}:{self.port}"

    def proxy_env(self) -> dict[str, str]:
        """Environment that routes codex's outbound HTTP(S) to :attr:`proxy_url` (loopback exempt)."""
        proxy = self.proxy_url
        no_proxy = "127.0.0.1,localhost,::1"
        env: dict[str, str] = {}
        for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"):
            env[name] = env[name.lower()] = proxy
        env["NO_PROXY"] = env["no_proxy"] = no_proxy
        return env

    # ------------------------------------------------------------------ clients

    def home(self, **options: Any) -> FakeHome:
        """A :class:`FakeHome` (temporary CODEX_HOME, HOME, workspace) for clients of this model.

        Use it when several clients share one home, e.g. to resume a thread in a new client::

            with model.home() as home, home.client() as first, home.client() as second: ...
        """
        from ._wiring import FakeHome

        return FakeHome(self, **options)

    def client(self, **client_kwargs: Any) -> FakeModelClient:
        """A sync client (real ``codex app-server``) wired to this model, in its own :class:`FakeHome`.

        The home is deleted when the client closes. ``client_kwargs`` are the client's keywords
        (hooks, ``default_thread_params``, ...) plus ``record=PATH`` to write a cassette; see
        :meth:`FakeHome.client_kwargs`. Use it as ``with model.client() as client:``.
        """
        from ._wiring import FakeHome

        home = FakeHome(self)
        home._auto = True
        try:
            return home.client(**client_kwargs)
        except BaseException:
            home.close()
            raise

    def async_client(self, **client_kwargs: Any) -> AsyncFakeModelClient:
        """Like :meth:`client`, async: ``async with model.async_client() as client:``."""
        from ._wiring import FakeHome

        home = FakeHome(self)
        home._auto = True
        try:
            return home.async_client(**client_kwargs)
        except BaseException:
            home.close()
            raise

    # ------------------------------------------------------------------ scripting

    def add(self, *replies: Reply) -> None:
        """Append replies to the FIFO queue; each model request pops the next one."""
        for reply in replies:
            if not isinstance(reply, Reply):
                raise TypeError(f"FakeModel.add() takes Reply objects, got {reply!r}")
            reply._prerender()  # in the caller's thread, so serving is one write
        with self._lock:
            self._queue.extend(replies)

    def respond_with(self, responder: Responder | None) -> None:
        """Decide replies with a function of the :class:`ModelRequest` (None: use the queue).

        The function runs on a server thread and is consulted before the queue; returning None falls
        through to the queue. If it raises, the request is answered 500 and recorded with the error.
        Example: answer once a tool output arrived::

            model.respond_with(lambda r: Reply.text("done") if r.has_tool_output(call) else None)
        """
        with self._lock:
            self._responder = responder

    def on_guardian(self, verdict: Reply | str | Responder | None) -> None:
        """Answer every guardian review request, apart from the main queue.

        ``verdict`` is a reply (e.g. :meth:`Reply.guardian`), ``"allow"`` / ``"deny"``, a function of
        the request, or None to route guardian requests through the normal sources again.
        """
        with self._lock:
            self._guardian = verdict

    def on_compaction(self, summary: Reply | str | Responder | None) -> None:
        """Answer every compaction request, apart from the main queue.

        ``summary`` is a reply, a summary text, a function of the request, or None to unset.
        """
        with self._lock:
            self._compaction = summary

    def release_all(self) -> None:
        """Release every hanging reply served so far (their streams then complete)."""
        with self._lock:
            gates = list(self._gates)
        for gate in gates:
            gate.release()

    def clear(self) -> None:
        """Forget the script and the record (e.g. between tests sharing a model).

        Drops queued replies, handlers, recorded requests and network attempts, and releases every
        hanging reply so no stream of an earlier test stays parked.
        """
        with self._lock:
            self._queue.clear()
            self._responder = self._guardian = self._compaction = None
            self._requests.clear()
            self._network.clear()
            gates, self._gates = self._gates, []
        for gate in gates:
            gate.release()

    @property
    def pending(self) -> list[Reply]:
        """Queued replies that no request has consumed yet."""
        with self._lock:
            return list(self._queue)

    # ------------------------------------------------------------------ inspection

    @property
    def requests(self) -> list[ModelRequest]:
        """A snapshot of every request received, in arrival order."""
        with self._lock:
            return list(self._requests)

    def requests_of(self, kind: ModelRequestKind) -> list[ModelRequest]:
        """The recorded requests of one kind: ``turn``, ``guardian``, ``compaction`` or ``other``."""
        return [request for request in self.requests if request.kind == kind]

    @property
    def turn_requests(self) -> list[ModelRequest]:
        """Model calls of normal turns (no guardian, compaction or non-model requests)."""
        return self.requests_of("turn")

    @property
    def guardian_requests(self) -> list[ModelRequest]:
        """Guardian review requests."""
        return self.requests_of("guardian")

    @property
    def compaction_requests(self) -> list[ModelRequest]:
        """Compaction requests."""
        return self.requests_of("compaction")

    @property
    def unscripted(self) -> list[ModelRequest]:
        """Requests that found no scripted reply (or whose responder raised)."""
        return [request for request in self.requests if request.unscripted or request.error]

    @property
    def network_attempts(self) -> list[str]:
        """Outbound connections codex tried through :attr:`proxy_url` (``host:port`` or URL), refused."""
        with self._lock:
            return list(self._network)

    @property
    def last_request(self) -> ModelRequest:
        """The most recent request; AssertionError if none arrived."""
        requests = self.requests
        if not requests:
            raise AssertionError("the fake model received no request")
        return requests[-1]

    def wait_for_requests(self, count: int, timeout: float = 10.0) -> list[ModelRequest]:
        """Block until at least ``count`` requests arrived; return them. TimeoutError otherwise."""
        deadline = time.monotonic() + timeout
        with self._arrived:
            while len(self._requests) < count:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError(
                        f"the fake model received {len(self._requests)} of {count} requests in {timeout}s"
                    )
                self._arrived.wait(remaining)
            return list(self._requests)

    def tool_output(self, call_id: str) -> str | None:
        """The output of tool call ``call_id`` in the latest request carrying it, or None."""
        for request in reversed(self.requests):
            output = request.tool_output(call_id)
            if output is not None:
                return output
        return None

    def assert_all_consumed(self) -> None:
        """AssertionError if queued replies are left or any request was unscripted."""
        problems = [f"unscripted/failed request: {r!r}: {r.error}" for r in self.unscripted]
        problems += [f"reply never requested: {reply!r}" for reply in self.pending]
        if problems:
            raise AssertionError("FakeModel script mismatch:\n  " + "\n  ".join(problems))

    # ------------------------------------------------------------------ server side

    def _track(self, conn: socket.socket, *, add: bool) -> None:
        with self._lock:
            if add:
                self._connections.add(conn)
            else:
                self._connections.discard(conn)

    def _record(self, handler: _Handler) -> ModelRequest:
        body = handler.read_body()
        parsed: Any = None
        if body:
            try:
                parsed = json.loads(body)
            except ValueError:
                parsed = None
        path, _, query = handler.path.partition("?")
        with self._arrived:
            request = ModelRequest(
                index=len(self._requests),
                method=handler.command,
                path=path,
                query=query,
                headers={name.lower(): value for name, value in handler.headers.items()},
                body=body,
                json=parsed,
                received_at=time.monotonic(),
            )
            self._requests.append(request)
            self._arrived.notify_all()
        return request

    def _special(self, spec: _GuardianSpec, request: ModelRequest, guardian: bool) -> Reply | None:
        if isinstance(spec, Reply):
            return spec
        if isinstance(spec, str):
            if guardian:
                if spec not in ("allow", "deny"):
                    raise ValueError(f"on_guardian() takes 'allow' or 'deny', got {spec!r}")
                return Reply.guardian("allow" if spec == "allow" else "deny")
            return Reply.text(spec)
        return spec(request)

    def _choose(self, request: ModelRequest) -> Reply | None:
        kind = request.kind
        with self._lock:
            special = (
                self._guardian if kind == "guardian" else self._compaction if kind == "compaction" else None
            )
            responder = self._responder
        if special is not None:
            reply = self._special(special, request, kind == "guardian")
            if reply is not None:
                return reply
        if responder is not None:
            reply = responder(request)
            if reply is not None:
                return reply
        with self._lock:
            return self._queue.popleft() if self._queue else None

    def _serve(self, handler: _Handler) -> None:
        if handler.command == "CONNECT" or handler.path.startswith(("http://", "https://")):
            self._refuse_proxying(handler)
            return
        request = self._record(handler)
        if request.kind == "other":
            self._fail(
                handler,
                request,
                404,
                f"FakeModel serves POST /v1/responses, not {request.method} {request.path}",
            )
            return
        try:
            reply = self._choose(request)
        except Exception as exc:
            detail = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
            self._fail(handler, request, 500, f"FakeModel responder raised: {exc!r}\n{detail}")
            return
        if reply is None:
            self._fail(
                handler,
                request,
                self.unscripted_status,
                f"FakeModel has no scripted reply for request #{request.index} ({request.kind}; "
                f"last user text {(request.last_user_text or '')[:80]!r})",
            )
            return
        request.reply = reply
        try:
            self._write_reply(handler, request, reply)
        except (ConnectionError, TimeoutError, OSError):
            request.disconnected = True
            handler.close_connection = True

    def _refuse_proxying(self, handler: _Handler) -> None:
        """Answer a proxy request (codex reaching for the internet) with 403 and note where it went."""
        with self._lock:
            self._network.append(handler.path)
        body = b"FakeModel: outbound network access is blocked in tests"
        with contextlib.suppress(OSError):
            handler.send_response(403)
            handler.send_header("Content-Type", "text/plain")
            handler.send_header("Content-Length", str(len(body)))
            handler.send_header("Connection", "close")
            handler.end_headers()
            handler.wfile.write(body)
        handler.close_connection = True

    def _fail(self, handler: _Handler, request: ModelRequest, status: int, message: str) -> None:
        request.unscripted = True
        request.error = message
        print(f"[FakeModel] {message}", file=sys.stderr, flush=True)
        error = {"message": message, "type": "fake_model_unscripted", "code": None}
        body = json.dumps({"error": error}).encode()
        try:
            self._send_head(handler, status, "application/json", (), len(body))
            handler.wfile.write(body)
        except OSError:
            handler.close_connection = True

    def _send_head(
        self,
        handler: _Handler,
        status: int,
        content_type: str,
        headers: tuple[tuple[str, str], ...],
        length: int | None,
    ) -> None:
        handler.send_response(status)
        handler.send_header("Content-Type", content_type)
        for name, value in headers:
            handler.send_header(name, value)
        if length is None:
            handler.send_header("Cache-Control", "no-cache")
            handler.send_header("Connection", "close")
            handler.close_connection = True
        else:
            handler.send_header("Content-Length", str(length))
        handler.end_headers()

    def _write_reply(self, handler: _Handler, request: ModelRequest, reply: Reply) -> None:
        if reply._body is not None:
            self._send_head(handler, reply._status, reply._content_type, reply._headers, len(reply._body))
            handler.wfile.write(reply._body)
            return
        if reply._streams_plainly:
            body = reply._rendered_body
            self._send_head(handler, 200, "text/event-stream", reply._headers, len(body))
            handler.wfile.write(body)
            return
        frames = reply._rendered
        last = len(frames) - 1
        hang_at = reply._hang_after if reply._hang_after is not None else last
        cut_at = None if reply._cut_after is None else (last if reply._cut_after < 0 else reply._cut_after)
        gate = reply._gate
        if gate is not None:
            with self._lock:
                self._gates.append(gate)
        self._send_head(handler, 200, "text/event-stream", reply._headers, None)
        for index, frame in enumerate(frames):
            if cut_at is not None and index >= cut_at:
                return
            if gate is not None and index == hang_at and not self._hold(handler, request, gate):
                return
            if reply._delay and self._stopping.wait(reply._delay):
                return
            handler.wfile.write(frame)
        if gate is not None and hang_at >= len(frames):
            self._hold(handler, request, gate)

    def _hold(self, handler: _Handler, request: ModelRequest, gate: Gate) -> bool:
        """Wait at a hang point; False if the model stops or the client hangs up first."""
        gate._arrive()
        conn = handler.connection
        while not gate._wait(_POLL):
            if self._stopping.is_set():
                return False
            try:
                readable, _, _ = select.select([conn], [], [], 0)
                if readable and conn.recv(1, socket.MSG_PEEK) == b"":
                    request.disconnected = True
                    return False
            except OSError:
                request.disconnected = True
                return False
        return not self._stopping.is_set()

    def __repr__(self) -> str:
        state = f"{self.base_url}" if self._server is not None else "stopped"
        return f"<FakeModel {state} requests={len(self._requests)} queued={len(self._queue)}>"
