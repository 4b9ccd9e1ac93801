"""JSON-RPC over a transport: request ids, pending futures with timeouts, and dispatch of what arrives.

Everything here runs on the event loop. :meth:`RpcConnection.message_received` is the reader: it parses a
message once, resolves a response future, or hands a notification / server request to the callbacks the
client installed. It never awaits and never runs user code. When the transport dies every pending request
fails with :class:`AppServerConnectionError` carrying the stderr tail.

Server requests are keyed apart from our own ids (the server numbers its requests from 0, so the same
number can be in flight in both directions) and are answered exactly once.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable
from typing import Any

import orjson

from .._redact import redact
from .._transport import Transport
from ..errors import (
    AppServerConnectionError,
    ClientClosedError,
    CodexAgenticError,
    RequestTimeoutError,
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
        # orjson refuses lone surrogate escapes that the stdlib accepts; try before giving up.
        return json.loads(data.decode("utf-8", "replace"))


_NO_TIMEOUT = object()


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
        self._close_callbacks: list[Callable[[AppServerConnectionError], None]] = []
        self.close_error: AppServerConnectionError | None = None
        self._closing = False
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

    # -- reading (the reader: never blocks, never runs user code) ---------------------------------------
    def message_received(self, data: bytes) -> None:
        try:
            msg = _loads(data)
        except ValueError:
            logger.warning("ignoring a line from the app-server that is not JSON (%d bytes)", len(data))
            return
        if type(msg) is not dict:
            logger.warning("ignoring a JSON message that is not an object: %.200r", msg)
            return
        if logger.isEnabledFor(logging.DEBUG):
            logger.debug("<- %s", redact(msg))
        method = msg.get("method")
        if method is None:
            self._on_response(msg)
        elif "id" in msg:
            self._server_pending[msg["id"]] = method
            self._on_server_request(msg)
        else:
            self._on_notification(method, msg)

    def _on_response(self, msg: dict[str, Any]) -> None:
        rid = msg.get("id")
        entry = self._pending.pop(rid, None) if isinstance(rid, int) else None
        if entry is None:
            logger.debug("response for unknown or expired request id %r", rid)
            return
        future, method = entry
        if future.done():
            return
        error = msg.get("error")
        if error is not None:
            if not isinstance(error, dict):
                error = {"message": str(error)}
            future.set_exception(error_from_rpc(error, method=method))
        else:
            future.set_result(msg.get("result"))

    def connection_lost(self, exc: BaseException | None) -> None:
        if self.close_error is not None:
            return
        code = self.transport.returncode
        if self._closing:
            error: AppServerConnectionError = ClientClosedError(
                "the client was closed", stderr_tail=self.transport.stderr_tail(), returncode=code
            )
        else:
            what = "app-server connection closed" if code is None else f"app-server exited with code {code}"
            if exc is not None:
                what += f" ({exc})"
            error = AppServerConnectionError(
                f"{what}; the client is closed, create a new one",
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
        self, method: str, params: Any = None, *, timeout: Any = _NO_TIMEOUT
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
        limit = self.request_timeout if timeout is _NO_TIMEOUT else timeout
        if limit is not None:
            handle = self._loop.call_later(limit, self._expire, rid, method, limit)
            future.add_done_callback(lambda _f: handle.cancel())
        return rid, future

    def _expire(self, rid: int, method: str, limit: float) -> None:
        entry = self._pending.pop(rid, None)
        if entry is not None and not entry[0].done():
            entry[0].set_exception(
                RequestTimeoutError(f"{method}: no response within {limit:g} s", method=method)
            )

    async def request(self, method: str, params: Any = None, *, timeout: Any = _NO_TIMEOUT) -> Any:
        """Send a request and wait for its result; raises the classified error on an error reply.

        ``timeout`` (seconds, ``None`` for no limit) defaults to :attr:`request_timeout`.
        """
        rid, future = self._start(method, params, timeout)
        try:
            return await future
        finally:
            if not future.done():  # the caller was cancelled: forget the id, a late reply is dropped
                future.cancel()
                self._pending.pop(rid, None)

    def notify(self, method: str, params: Any = None) -> None:
        """Send a notification (no reply)."""
        message: dict[str, Any] = {"method": method}
        if params is not None:
            message["params"] = params
        self._send(message)

    def withdraw_server_request(self, request_id: Any) -> bool:
        """Forget a server request the server resolved itself; a later answer is then not sent."""
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

    async def aclose(self) -> None:
        """Close the transport (gracefully, then forcefully) and fail what is still pending with
        :class:`ClientClosedError`."""
        self._closing = True
        await self.transport.aclose()
        self.connection_lost(None)


def _with_method(error: AppServerConnectionError, method: str) -> AppServerConnectionError:
    clone = type(error)(
        f"{method}: {error.message}",
        stderr_tail=error.stderr_tail,
        returncode=error.returncode,
        method=method,
    )
    return clone
