"""JSON-RPC over a transport: request ids, pending futures with timeouts, and dispatch of what arrives.

Everything here runs on the event loop. :meth:`RpcConnection.message_received` is the reader: it parses a
message once, resolves a response future, or hands a notification / server request to the callbacks the
client installed. It never awaits, never runs user code and never raises: a line it cannot use (not JSON,
ids of the wrong type, a handler choking on its shape) is logged at WARNING with a short excerpt and
skipped, so it never costs the lines read with it. When the transport dies every pending request fails
with :class:`AppServerConnectionError` carrying the stderr tail.

Server requests are keyed apart from our own ids (the server numbers its requests from 0, so the same
number can be in flight in both directions) and are answered exactly once.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Callable
from typing import Any

import orjson

from .._redact import excerpt, redact
from .._transport import ConnectionLost, Transport
from .._unset import UNSET, Unset
from ..errors import (
    AppServerConnectionError,
    ClientClosedError,
    CodexAgenticError,
    RequestTimeoutError,
    RpcError,
    error_from_rpc,
)

__all__ = ["RpcConnection"]

logger = logging.getLogger("codex_python_sdk")
# A library logs; the application decides where logs go (no "No handlers" noise, no lastResort prints).
logger.addHandler(logging.NullHandler())


def _loads(data: bytes) -> Any:
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError:
        # orjson refuses lone surrogate escapes, NaN and out-of-range numbers that the stdlib accepts;
        # try before giving up. The stdlib recurses: a deeply nested line raises RecursionError there.
        return json.loads(data.decode("utf-8", "replace"))


# Ids of requests given up on (timed out, caller cancelled): a late reply to one of them is expected and
# dropped quietly; any other reply nobody waits for is the server's mistake and is logged as such.
_ABANDONED_KEPT = 1024


def _excerpt_value(value: Any) -> str:
    """A bounded excerpt of a (possibly huge or deeply nested) JSON value, for log and error messages."""
    try:
        return excerpt(orjson.dumps(value))
    except TypeError:  # what orjson cannot encode: big ints, lone surrogates, nesting past its limit
        return f"<{type(value).__name__}>"


class RpcConnection:
    """One JSON-RPC session over one transport."""

    def __init__(
        self,
        transport: Transport,
        *,
        on_notification: Callable[[str, dict[str, Any]], None],
        on_server_request: Callable[[dict[str, Any]], None],
        request_timeout: float | None = 60.0,
    ) -> None:
        self.transport = transport
        self._on_notification = on_notification
        self._on_server_request = on_server_request
        self.request_timeout = request_timeout
        self._next_id = 0
        self._pending: dict[int, tuple[asyncio.Future[Any], str]] = {}
        self._server_pending: dict[Any, str] = {}
        self._abandoned: dict[int, bool] = {}
        self._close_callbacks: list[Callable[[AppServerConnectionError], None]] = []
        self.close_error: AppServerConnectionError | None = None
        self._closing = False
        self._close_reason: AppServerConnectionError | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    async def start(self) -> None:
        """Start the transport; messages flow from then on."""
        self._loop = asyncio.get_running_loop()
        try:
            await self.transport.start(self)
        except OSError as exc:
            raise AppServerConnectionError(
                f"could not start {self.transport.describe()}: {exc}",
                stderr_tail=self.transport.stderr_tail(),
            ) from exc

    @property
    def closed(self) -> bool:
        """True once the transport is gone (the reason is in :attr:`close_error`)."""
        return self.close_error is not None

    def add_close_callback(self, callback: Callable[[AppServerConnectionError], None]) -> None:
        """Call ``callback(error)`` once when the connection dies (at once if it already has)."""
        if self.close_error is not None:
            callback(self.close_error)
        else:
            self._close_callbacks.append(callback)

    # -- reading (the reader: never blocks, never runs user code, never raises) ---------------------------
    def message_received(self, data: bytes) -> None:
        """Handle one line from the app-server.

        Never raises: a line that cannot be used is logged at WARNING with a short excerpt and skipped,
        so it never costs the lines that came in the same read.
        """
        try:
            msg = _loads(data)
        except (ValueError, RecursionError):  # RecursionError: nesting too deep for the stdlib fallback
            logger.warning("ignoring a line from the app-server that is not JSON: %s", excerpt(data))
            return
        if type(msg) is not dict:
            logger.warning("ignoring a JSON message that is not an object: %s", excerpt(data))
            return
        if logger.isEnabledFor(logging.DEBUG):
            _log_received(msg, data)
        method = msg.get("method")
        try:
            if method is None:
                self._on_response(msg, data)
            elif type(method) is not str:
                self._bad_method(msg, data)
            elif "id" in msg:
                self._server_request(method, msg, data)
            else:
                self._on_notification(method, msg)
        except Exception as exc:
            # The handlers above us trust the payload's shape; one they choke on is skipped, not fatal.
            logger.warning(
                "skipped a message from the app-server that could not be handled (%s: %.200s): %s",
                type(exc).__name__,
                exc,
                excerpt(data),
            )
            logger.debug("the handler's traceback", exc_info=True)
            self._unblock(msg)

    def _server_request(self, method: str, msg: dict[str, Any], data: bytes) -> None:
        rid = msg["id"]
        if type(rid) is not int and type(rid) is not str:  # unhashable, or True (which equals 1)
            logger.warning(
                "ignoring a server request whose id is not a number or a string (it cannot be answered): %s",
                excerpt(data),
            )
            return
        self._server_pending[rid] = method
        self._on_server_request(msg)

    def _bad_method(self, msg: dict[str, Any], data: bytes) -> None:
        rid = msg.get("id")
        if type(rid) is int or type(rid) is str:
            # The server waits for an answer to each of its requests: say this one was unreadable.
            logger.warning("answering a server request whose method is not a string: %s", excerpt(data))
            with contextlib.suppress(CodexAgenticError):  # the connection is gone: nobody waits any more
                self._send({"id": rid, "error": {"code": -32600, "message": "Invalid request: method"}})
        else:
            logger.warning("ignoring a message whose method is not a string: %s", excerpt(data))

    def _unblock(self, msg: dict[str, Any]) -> None:
        """A server request we failed to take on is answered with an error rather than left waiting."""
        rid = msg.get("id")
        if "method" in msg and (type(rid) is int or type(rid) is str):
            with contextlib.suppress(CodexAgenticError):  # the connection is gone: nobody waits any more
                self.respond_error(rid, -32603, "the client could not handle this request")

    def _on_response(self, msg: dict[str, Any], data: bytes) -> None:
        rid = msg.get("id")
        # ``type(...) is int``: a bool id equals 1 or 0 and must not answer those requests.
        entry = self._pending.pop(rid, None) if type(rid) is int else None
        if entry is None:
            self._stray_reply(rid, data)
            return
        future, method = entry
        if future.done():
            return
        error = msg.get("error")
        if error is not None:
            future.set_exception(_rpc_error(error, method))
        elif "result" in msg:
            future.set_result(msg["result"])  # whatever its shape: the caller decides what to make of it
        else:
            future.set_exception(
                RpcError(
                    f"{method}: malformed reply from the app-server, neither result nor error: "
                    f"{excerpt(data)}",
                    method=method,
                )
            )

    def _stray_reply(self, rid: Any, data: bytes) -> None:
        if type(rid) is int and self._abandoned.pop(rid, False):
            logger.debug("dropping a late reply to request %d (timed out or cancelled)", rid)
        elif type(rid) is int and 0 < rid <= self._next_id:
            logger.warning("dropping a second reply to request %d: %s", rid, excerpt(data))
        else:
            logger.warning("dropping a reply whose id matches no request of ours: %s", excerpt(data))

    def _abandon(self, rid: int) -> None:
        self._abandoned[rid] = True
        if len(self._abandoned) > _ABANDONED_KEPT:
            del self._abandoned[next(iter(self._abandoned))]

    def connection_lost(self, exc: BaseException | None) -> None:
        if self.close_error is not None:
            return
        code = self.transport.returncode
        if self._closing and self._close_reason is not None:
            error: AppServerConnectionError = self._close_reason
        elif self._closing:
            error = ClientClosedError(
                "the client was closed", stderr_tail=self.transport.stderr_tail(), returncode=code
            )
        else:
            if code is None and isinstance(exc, ConnectionLost):  # the transport said it in words
                what = str(exc)
            else:
                what = (
                    "app-server connection closed" if code is None else f"app-server exited with code {code}"
                )
                if exc is not None:
                    what += f" ({exc})"
            error = AppServerConnectionError(
                f"{what}; the client is closed: call reconnect() or create a new one",
                stderr_tail=self.transport.stderr_tail(),
                returncode=code,
            )
        self.close_error = error
        pending, self._pending = self._pending, {}
        for future, method in pending.values():
            if not future.done():
                future.set_exception(_with_method(error, method))
        self._server_pending.clear()
        callbacks, self._close_callbacks = self._close_callbacks, []
        for callback in callbacks:
            try:
                callback(error)
            except Exception:  # one failing listener must not stop the others from hearing
                logger.exception("error in connection-lost callback")

    # -- writing ---------------------------------------------------------------------------------------
    def _send(self, message: dict[str, Any]) -> None:
        if self.close_error is not None:
            raise self.close_error
        if logger.isEnabledFor(logging.DEBUG):
            logger.debug("-> %s", redact(message))
        try:
            self.transport.send(orjson.dumps(message))
        except ConnectionError as exc:
            raise AppServerConnectionError(
                f"could not write to the app-server: {exc}", stderr_tail=self.transport.stderr_tail()
            ) from exc

    def start_request(
        self, method: str, params: Any = None, *, timeout: float | Unset | None = UNSET
    ) -> asyncio.Future[Any]:
        """Send a request now and return the future of its result (for callers that must not await yet)."""
        return self._start(method, params, timeout)[1]

    def _start(self, method: str, params: Any, timeout: Any) -> tuple[int, asyncio.Future[Any]]:
        if self._loop is None:
            raise CodexAgenticError("connection not started")
        self._next_id += 1
        rid = self._next_id
        message: dict[str, Any] = {"id": rid, "method": method}
        if params is not None:
            message["params"] = params
        future: asyncio.Future[Any] = self._loop.create_future()
        self._send(message)
        self._pending[rid] = (future, method)
        limit = self.request_timeout if isinstance(timeout, Unset) else timeout
        if limit is not None:
            handle = self._loop.call_later(limit, self._expire, rid, method, limit)
            future.add_done_callback(lambda _f: handle.cancel())
        return rid, future

    def _expire(self, rid: int, method: str, limit: float) -> None:
        entry = self._pending.pop(rid, None)
        if entry is not None:
            self._abandon(rid)
        if entry is not None and not entry[0].done():
            entry[0].set_exception(
                RequestTimeoutError(f"{method}: no response within {limit:g} s", method=method)
            )

    async def request(self, method: str, params: Any = None, *, timeout: float | Unset | None = UNSET) -> Any:
        """Send a request and wait for its result; raises the classified error on an error reply.

        ``timeout`` (seconds, ``None`` for no limit) defaults to :attr:`request_timeout`.
        """
        rid, future = self._start(method, params, timeout)
        try:
            return await future
        finally:
            if not future.done():  # the caller was cancelled: forget the id, a late reply is dropped
                future.cancel()
                if self._pending.pop(rid, None) is not None:
                    self._abandon(rid)

    def notify(self, method: str, params: Any = None) -> None:
        """Send a notification (no reply)."""
        message: dict[str, Any] = {"method": method}
        if params is not None:
            message["params"] = params
        self._send(message)

    def withdraw_server_request(self, request_id: Any) -> bool:
        """Forget a server request the server resolved itself; a later answer is then not sent."""
        if type(request_id) is not int and type(request_id) is not str:  # the server named no request
            return False
        return self._server_pending.pop(request_id, None) is not None

    def respond(self, request_id: Any, result: Any) -> bool:
        """Answer a server request; returns False (sends nothing) if it was answered or withdrawn."""
        if self._server_pending.pop(request_id, None) is None:
            return False
        self._send({"id": request_id, "result": result})
        return True

    def respond_error(self, request_id: Any, code: int, message: str, data: Any = None) -> bool:
        """Answer a server request with a JSON-RPC error; False if it was answered or withdrawn."""
        if self._server_pending.pop(request_id, None) is None:
            return False
        error: dict[str, Any] = {"code": code, "message": message}
        if data is not None:
            error["data"] = data
        self._send({"id": request_id, "error": error})
        return True

    async def drain(self) -> None:
        """Wait for the transport's write buffer to drain."""
        await self.transport.drain()

    async def aclose(self, reason: AppServerConnectionError | None = None) -> None:
        """Close the transport (gracefully, then forcefully) and fail what is still pending with
        ``reason`` (default: :class:`ClientClosedError`)."""
        self._closing = True
        self._close_reason = reason
        await self.transport.aclose()
        self.connection_lost(None)


def _log_received(msg: dict[str, Any], data: bytes) -> None:
    try:
        shown = redact(msg)
    except RecursionError:  # the redactor recurses; orjson accepts deeper nesting than it can walk
        shown = excerpt(data)
    logger.debug("<- %s", shown)


def _rpc_error(error: Any, method: str) -> CodexAgenticError:
    """The caller's error for an error reply; one that is not a JSON-RPC error object still is one."""
    if type(error) is dict:
        try:
            return error_from_rpc(error, method=method)
        except Exception:  # e.g. a message too large an int to print: fall through to the generic one
            pass
    return RpcError(
        f"{method}: malformed error reply from the app-server: {_excerpt_value(error)}",
        data=error,
        method=method,
    )


def _with_method(error: AppServerConnectionError, method: str) -> AppServerConnectionError:
    clone = type(error)(
        f"{method}: {error.message}",
        stderr_tail=error.stderr_tail,
        returncode=error.returncode,
        method=method,
    )
    return clone
