"""A running ``codex app-server --listen ws://… | unix://…``: JSON-RPC over WebSocket, one message a frame.

The WebSocket protocol (the upgrade request and the checks of its answer, masking what we send, ping/pong,
fragments, the closing handshake, protocol errors) is the ``websockets`` library's Sans-I/O layer. This
module moves its bytes over an asyncio connection, the way ``_stdio`` moves lines: a message goes from the
socket to the RPC reader in the callback that read it, and :meth:`WebSocketTransport.send` is synchronous.

One part is ours, the hot path: a complete, unmasked, unfragmented text frame (every message codex sends)
is cut out of the buffer here and handed to the reader directly. The library's generator-based parser
costs ~11-14 us a frame on the development machine, against ~1.5-2 us here: ~0.2 s of CPU on a turn of
20,000 deltas (``bench/ws_frames.py``, docs/performance.md). Every other frame is handed to the library
whole, at a frame boundary, so its state stays exact: it answers pings, assembles fragments, and closes
on anything wrong.

``websockets`` is imported when such a transport starts, never before (it costs ~100 ms to import);
it is the ``[ws]`` extra. The bearer token goes into the ``Authorization`` header and nowhere else: the
library's debug logging (which prints handshake headers) is kept off, and no message here names it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from typing import TYPE_CHECKING, Any

from .._redact import excerpt
from .._secret import Secret
from .._version import __version__
from ..errors import AppServerConnectionError
from ._base import ConnectionLost, Receiver, Transport
from ._endpoint import Endpoint, parse_endpoint

if TYPE_CHECKING:
    from websockets.client import ClientProtocol

__all__ = ["WebSocketTransport"]

logger = logging.getLogger("codex_python_sdk.app_server")

INSTALL_HINT = "pip install 'codex-python-sdk[ws]'"
# What _Connection does with the bytes it reads: split off the upgrade's answer, cut frames itself, or
# hand everything to the library (after a refusal, a close or a protocol error).
_UPGRADE, _FRAMES, _LIBRARY = "upgrade", "frames", "library"
# After our close frame, how long the server gets to close the TCP connection before we do.
_CLOSE_GRACE_SECONDS = 2.0


class _NoDebugLogger(logging.LoggerAdapter):  # type: ignore[type-arg]
    """What the library logs through: everything but DEBUG, which would print the handshake's headers
    (the token) and a line per frame (a cost on the hot path; our RPC layer logs messages itself)."""

    def isEnabledFor(self, level: int) -> bool:  # logging names it so
        return level > logging.DEBUG and self.logger.isEnabledFor(level)


def _websockets() -> Any:
    try:
        from websockets import client, frames, protocol, uri
    except ImportError as exc:
        raise AppServerConnectionError(
            f"connecting to an app-server by url needs the websockets library: {INSTALL_HINT}"
        ) from exc
    return client, frames, protocol, uri


class _Connection(asyncio.Protocol):
    """The asyncio side of one WebSocket connection: bytes in and out of the Sans-I/O protocol."""

    def __init__(
        self, owner: WebSocketTransport, ws: ClientProtocol, request: Any, receiver: Receiver
    ) -> None:
        self._owner = owner
        self._ws = ws
        self._request = request
        _, frames, protocol, _ = _websockets()
        self._Frame = frames.Frame
        self._TEXT, self._BINARY, self._CONT = frames.Opcode.TEXT, frames.Opcode.BINARY, frames.Opcode.CONT
        self._OPEN = protocol.State.OPEN
        self._on_message = receiver.message_received
        self._parts: list[bytes] | None = None
        self._buf = bytearray()
        self._mode = _UPGRADE
        self.transport: asyncio.Transport | None = None
        loop = asyncio.get_running_loop()
        self.opened: asyncio.Future[None] = loop.create_future()
        self.closed: asyncio.Future[None] = loop.create_future()
        self._paused = False
        self._drain_waiters: list[asyncio.Future[None]] = []

    # -- asyncio.Protocol ------------------------------------------------------------------------------
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        self._ws.send_request(self._request)
        self._request = None  # holds the token: keep it no longer than needed
        self._flush()

    def data_received(self, data: bytes) -> None:
        if self._mode is _FRAMES:
            self._read_frames(data)
        elif self._mode is _UPGRADE:
            self._read_upgrade(data)
        else:
            self._feed(data)

    def _read_upgrade(self, data: bytes) -> None:
        # The library gets exactly the answer to the upgrade, so that the frames behind it (possibly in
        # the same read) start at a boundary for _read_frames.
        buf = self._buf
        buf += data
        end = buf.find(b"\r\n\r\n")
        if end < 0:
            return
        head, rest = bytes(buf[: end + 4]), bytes(buf[end + 4 :])
        buf.clear()
        self._feed(head)
        if self._ws.state is self._OPEN:
            self._mode = _FRAMES
            if rest:
                self._read_frames(rest)
        else:  # refused (or still reading a refusal's body): the rest is the library's
            self._mode = _LIBRARY
            if rest:
                self._feed(rest)

    def _read_frames(self, data: bytes) -> None:  # the hot path
        buf = self._buf
        buf += data
        size, pos = len(buf), 0
        deliver = self._deliver
        with memoryview(buf) as view:
            while size - pos >= 2:
                b1 = buf[pos + 1]
                if b1 < 126:
                    head, length = 2, b1
                elif b1 == 126:
                    if size - pos < 4:
                        break
                    head, length = 4, (buf[pos + 2] << 8) | buf[pos + 3]
                elif b1 == 127:
                    if size - pos < 10:
                        break
                    head, length = 10, int.from_bytes(view[pos + 2 : pos + 10], "big")
                else:  # a masked frame: servers must not send one; the library fails the connection
                    self._to_library(view[pos:].tobytes())
                    pos = size
                    break
                end = pos + head + length
                if end > size:
                    break
                b0 = buf[pos]
                if (b0 == 0x81 or b0 == 0x82) and self._parts is None:  # FIN, no RSV bits, text/binary
                    deliver(view[pos + head : end].tobytes())
                else:  # control frames, fragments, anything odd: the library's, whole
                    self._feed(view[pos:end].tobytes())
                    if self._mode is not _FRAMES:  # it closed: what follows is not read any more
                        self._to_library(view[end:].tobytes())
                        pos = size
                        break
                pos = end
        if pos:
            del buf[:pos]

    def _to_library(self, data: bytes) -> None:
        self._mode = _LIBRARY
        if data:
            self._feed(data)

    def _feed(self, data: bytes) -> None:
        """The library's path: the upgrade's answer and every frame the hot path does not take."""
        ws = self._ws
        ws.receive_data(data)
        events = ws.events_received()
        if events:
            self._events(events)
        out = ws.data_to_send()
        if out:
            self._write(out)
        if ws.state is not self._OPEN and self.opened.done():
            self._mode = _LIBRARY
            self._owner._closing_by_peer(ws)

    def _events(self, events: list[Any]) -> None:
        frame, text, binary, cont = self._Frame, self._TEXT, self._BINARY, self._CONT
        for event in events:
            if type(event) is not frame:  # the answer to the upgrade request
                self._handshake_done()
                continue
            opcode = event.opcode
            if opcode is text or opcode is binary:
                if event.fin:
                    self._deliver(event.data)
                else:
                    self._parts = [event.data]
            elif opcode is cont and self._parts is not None:
                self._parts.append(event.data)
                if event.fin:
                    parts, self._parts = self._parts, None
                    self._deliver(b"".join(parts))
            # ping (the protocol answered it), pong and close (handled by the caller) need nothing here

    def _deliver(self, data: bytes) -> None:
        # One message's failure stays with that message: the frames read with it still go through.
        try:
            self._on_message(data)
        except Exception:
            logger.warning("a message from the app-server could not be handled; skipped: %s", excerpt(data))

    def _handshake_done(self) -> None:
        if self.opened.done():
            return
        failure = self._ws.handshake_exc
        if failure is None:
            self.opened.set_result(None)
        else:
            self.opened.set_exception(self._owner._handshake_error(failure))

    def eof_received(self) -> bool | None:
        self._ws.receive_eof()
        return None  # let asyncio close the transport

    def connection_lost(self, exc: Exception | None) -> None:
        with contextlib.suppress(Exception):
            self._ws.receive_eof()
        if not self.opened.done():
            reason = f": {exc}" if exc is not None else ""
            self.opened.set_exception(
                AppServerConnectionError(
                    f"the app-server at {self._owner.endpoint.display} closed the connection during the "
                    f"WebSocket handshake{reason}"
                )
            )
        if not self.closed.done():
            self.closed.set_result(None)
        self._wake_drain()
        self._owner._connection_gone(self._ws, exc)

    def pause_writing(self) -> None:
        self._paused = True

    def resume_writing(self) -> None:
        self._paused = False
        self._wake_drain()

    # -- writing ---------------------------------------------------------------------------------------
    def _flush(self) -> None:
        out = self._ws.data_to_send()
        if out:
            self._write(out)

    def _write(self, out: list[bytes]) -> None:
        transport = self.transport
        if transport is None or transport.is_closing():
            return
        if out[-1] == b"":  # the protocol's "end of stream" marker: it expects the TCP close now
            out = out[:-1]
            if out:
                transport.write(b"".join(out))
            if transport.can_write_eof():
                transport.write_eof()
            else:
                transport.close()
            return
        transport.write(b"".join(out) if len(out) > 1 else out[0])

    def send_text(self, data: bytes) -> None:
        self._ws.send_text(data)
        self._flush()

    async def drain(self) -> None:
        if self._paused and not self.closed.done():
            waiter = asyncio.get_running_loop().create_future()
            self._drain_waiters.append(waiter)
            await waiter

    def _wake_drain(self) -> None:
        for waiter in self._drain_waiters:
            if not waiter.done():
                waiter.set_result(None)
        self._drain_waiters.clear()


class WebSocketTransport(Transport):
    """Talk to an app-server that is already running and listening on ``url``.

    ``url`` is ``ws://HOST:PORT``, ``wss://HOST:PORT`` or ``unix:///abs/path.sock`` (WebSocket over a unix
    socket). ``token`` (a string or a ``Secret``) is sent as
    ``Authorization: Bearer …`` for servers started with ``--ws-auth``; no ``Origin`` header is ever sent
    (the server refuses one). ``connect_timeout`` bounds the TCP connection, TLS and the upgrade.
    """

    def __init__(
        self,
        url: str | Endpoint,
        *,
        token: str | Secret | None = None,
        connect_timeout: float | None = 10.0,
    ) -> None:
        """Nothing connects until :meth:`start`."""
        self.endpoint = url if isinstance(url, Endpoint) else parse_endpoint(url)
        self._token = Secret(token) if isinstance(token, str) else token
        self._connect_timeout = connect_timeout
        self._conn: _Connection | None = None
        self._receiver: Receiver | None = None
        self._started = False
        self._lost = False
        self._closing = False

    # -- start -----------------------------------------------------------------------------------------
    async def start(self, receiver: Receiver) -> None:
        """Connect, send the upgrade request, and wait for the server's ``101`` (or fail clearly)."""
        if self._started and not self._lost:  # (after a failed start, starting again is fine)
            raise RuntimeError("this transport is already started")
        client, _, _, uri = _websockets()
        endpoint = self.endpoint
        ws = client.ClientProtocol(
            uri.parse_uri(endpoint.websocket_uri),
            max_size=None,  # messages of many MB are legal (a long agent message's item/completed)
            logger=_NoDebugLogger(logging.getLogger("codex_python_sdk.websocket"), {}),
        )
        request = ws.connect()
        request.headers["User-Agent"] = f"codex-python-sdk/{__version__}"
        if self._token is not None:
            request.headers["Authorization"] = f"Bearer {self._token.reveal()}"
        self._receiver = receiver
        self._started = self._lost = self._closing = False
        conn = self._conn = _Connection(self, ws, request, receiver)
        del request
        try:
            await asyncio.wait_for(self._open(conn), self._connect_timeout)
        except asyncio.TimeoutError:
            self._abort(conn)
            raise AppServerConnectionError(
                f"no answer from the app-server at {endpoint.display} within {self._connect_timeout:g} s "
                "(connect_timeout)"
            ) from None
        except AppServerConnectionError:
            self._abort(conn)
            raise
        except OSError as exc:
            self._abort(conn)
            raise AppServerConnectionError(self._os_error_message(exc)) from None
        self._started = True
        if self._lost:  # gone between the 101 and now (e.g. a close frame right behind it)
            self._lost = False
            self._report_lost(ws, None)
        logger.debug("connected to the app-server at %s", endpoint.display)

    async def _open(self, conn: _Connection) -> None:
        loop = asyncio.get_running_loop()
        endpoint = self.endpoint
        if endpoint.scheme == "unix":
            await loop.create_unix_connection(lambda: conn, endpoint.path)
        elif endpoint.secure:
            import ssl

            await loop.create_connection(
                lambda: conn,
                endpoint.host,
                endpoint.port,
                ssl=ssl.create_default_context(),
                server_hostname=endpoint.host,
            )
        else:
            await loop.create_connection(lambda: conn, endpoint.host, endpoint.port)
        await conn.opened

    def _os_error_message(self, exc: OSError) -> str:
        where = self.endpoint.display
        if isinstance(exc, FileNotFoundError):
            return f"no app-server listening at {where}: the socket does not exist"
        if isinstance(exc, ConnectionRefusedError):
            return f"could not connect to the app-server at {where}: connection refused (is it running?)"
        if isinstance(exc, socket.gaierror):
            return f"could not connect to the app-server at {where}: unknown host ({exc.strerror})"
        reason = exc.strerror or str(exc) or type(exc).__name__
        return f"could not connect to the app-server at {where}: {reason}"

    def _handshake_error(self, failure: BaseException) -> AppServerConnectionError:
        where = self.endpoint.display
        response = getattr(failure, "response", None)
        status = getattr(response, "status_code", None)
        if status is None:
            return AppServerConnectionError(
                f"{where} did not answer like a codex app-server WebSocket endpoint ({failure})"
            )
        reason = getattr(response, "reason_phrase", "") or ""
        http = f"HTTP {status} {reason}".rstrip()
        if status == 401 and self._token is None:
            return AppServerConnectionError(
                f"the app-server at {where} requires a token ({http}): pass token= or token_env="
            )
        if status == 401:
            return AppServerConnectionError(f"the app-server at {where} refused the token ({http})")
        return AppServerConnectionError(f"the app-server at {where} refused the connection ({http})")

    # -- loss --------------------------------------------------------------------------------------------
    def _closing_by_peer(self, ws: ClientProtocol) -> None:
        """The server sent a close frame, or broke the protocol: nothing more will come. Report it now,
        and close the socket ourselves if the server does not within a moment."""
        if self._lost:
            return
        conn = self._conn
        if conn is not None and conn.transport is not None:
            asyncio.get_running_loop().call_later(_CLOSE_GRACE_SECONDS, self._abort, conn)
        self._report_lost(ws, None)

    def _connection_gone(self, ws: ClientProtocol, exc: Exception | None) -> None:
        self._report_lost(ws, exc)

    def _report_lost(self, ws: ClientProtocol, exc: BaseException | None) -> None:
        if self._lost:
            return
        self._lost = True
        if self._receiver is None or not self._started:
            return  # still connecting: start() reports the failure itself
        if self._closing:
            self._receiver.connection_lost(None)
            return
        where = self.endpoint.display
        received = ws.close_rcvd
        if received is not None:
            what = f"the app-server at {where} closed the connection (close code {received.code}"
            what += f": {received.reason})" if received.reason else ")"
        elif exc is not None:
            what = f"the connection to the app-server at {where} was lost ({exc})"
        elif ws.parser_exc is not None and not isinstance(ws.parser_exc, EOFError):
            what = f"the app-server at {where} broke the WebSocket protocol ({ws.parser_exc})"
        else:  # EOF without a close frame: the server process ended, or something cut the connection
            what = (
                f"the connection to the app-server at {where} ended without a close frame (the server "
                "stopped, or the network failed)"
            )
        self._receiver.connection_lost(ConnectionLost(what))

    # -- io ----------------------------------------------------------------------------------------------
    def send(self, data: bytes) -> None:
        conn = self._conn
        if conn is None or self._lost or conn.transport is None or conn.transport.is_closing():
            raise ConnectionError(f"the connection to the app-server at {self.endpoint.display} is closed")
        conn.send_text(data)

    async def drain(self) -> None:
        if self._conn is not None:
            await self._conn.drain()

    # -- shutdown ----------------------------------------------------------------------------------------
    async def aclose(self) -> None:
        conn = self._conn
        if conn is None or conn.transport is None:
            self._lost = True
            return
        self._closing = True
        ws = conn._ws
        _, _, protocol, _ = _websockets()
        if ws.state is protocol.State.OPEN and not conn.transport.is_closing():
            ws.send_close(1000)  # normal closure
            conn._flush()
        if not conn.closed.done():
            # The server closes the TCP connection once it has our close frame.
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(asyncio.shield(conn.closed), _CLOSE_GRACE_SECONDS)
        self._abort(conn)
        self._report_lost(ws, None)

    @staticmethod
    def _abort(conn: _Connection) -> None:
        if conn.transport is not None:
            conn.transport.abort()  # a no-op once the connection is gone

    def kill_now(self) -> None:
        # Called from another thread when the loop is gone: shut the socket down at the OS level.
        conn = self._conn
        if conn is not None and conn.transport is not None and not self._lost:
            sock = conn.transport.get_extra_info("socket")
            if sock is not None:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)

    # -- info ------------------------------------------------------------------------------------------
    def describe(self) -> str:
        return f"app-server at {self.endpoint.display}"

    def __repr__(self) -> str:
        token = ", token=<redacted>" if self._token is not None else ""
        return f"WebSocketTransport({self.endpoint.display!r}{token})"
