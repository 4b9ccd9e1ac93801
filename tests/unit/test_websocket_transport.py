"""WebSocketTransport against a local ``websockets`` server: framing, headers, closing, failures."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import http
import logging
import shutil
import socket
import ssl
import subprocess
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from websockets.asyncio.server import ServerConnection, serve, unix_serve
from websockets.http11 import Request, Response

from codex_python_sdk import AppServerConnectionError
from codex_python_sdk._transport import ConnectionLost, WebSocketTransport

TOKEN = "unit-token-5b2e9d0c"
Handler = Callable[[ServerConnection], Awaitable[None]]


class Collector:
    """A Receiver that keeps what it is given."""

    def __init__(self) -> None:
        self.messages: list[bytes] = []
        self.lost: list[BaseException | None] = []
        self.arrived = asyncio.Event()

    def message_received(self, data: bytes) -> None:
        self.messages.append(bytes(data))
        self.arrived.set()

    def connection_lost(self, exc: BaseException | None) -> None:
        self.lost.append(exc)
        self.arrived.set()

    async def wait_for_messages(self, count: int) -> None:
        await self.wait(lambda: len(self.messages) >= count)

    async def wait(self, predicate: Callable[[], bool], timeout: float = 5.0) -> None:
        deadline = time.monotonic() + timeout
        while not predicate():
            self.arrived.clear()
            await asyncio.wait_for(self.arrived.wait(), max(0.01, deadline - time.monotonic()))


@asynccontextmanager
async def ws_server(
    handler: Handler, *, unix: Path | None = None, process_request: Any = None
) -> AsyncIterator[tuple[str, list[Request]]]:
    """A websockets server on loopback (or a unix socket); yields its URL and the requests it saw."""
    seen: list[Request] = []

    def record(connection: ServerConnection, request: Request) -> Response | None:
        seen.append(request)
        return process_request(connection, request) if process_request is not None else None

    options: dict[str, Any] = {"process_request": record, "max_size": None, "compression": None}
    if unix is not None:
        async with unix_serve(handler, str(unix), **options):
            yield f"unix://{unix}", seen
    else:
        async with serve(handler, "127.0.0.1", 0, **options) as server:
            port = next(iter(server.sockets)).getsockname()[1]
            yield f"ws://127.0.0.1:{port}", seen


def test_messages_arrive_whole_and_in_order_both_ways(run: Any, tmp_path: Path) -> None:
    medium = b'{"method":"medium","params":"' + b"m" * 1000 + b'"}'
    big = b'{"method":"big","params":"' + b"x" * 5_000_000 + b'"}'  # over the library's 1 MiB default
    received: list[str] = []

    async def handler(ws: ServerConnection) -> None:
        received.append(str(await ws.recv()))
        for i in range(100):
            await ws.send(f'{{"n":{i}}}')
        await ws.send(medium, text=True)  # a 16-bit length
        await ws.send(big, text=True)  # a 64-bit length
        await ws.send([b'{"frag', b'mented"', b":true}"], text=True)  # one message in three frames
        await asyncio.wait_for(await ws.ping(), 5)  # answered without bothering the receiver
        await ws.send('{"last":true}')
        await ws.wait_closed()

    async def main() -> None:
        for unix in (None, tmp_path / "s.sock"):
            async with ws_server(handler, unix=unix) as (url, _):
                transport, collector = WebSocketTransport(url), Collector()
                await transport.start(collector)
                transport.send(b'{"id":1,"method":"initialize"}')
                await transport.drain()
                await collector.wait_for_messages(104)
                await transport.aclose()
            assert collector.messages[:3] == [b'{"n":0}', b'{"n":1}', b'{"n":2}']
            assert collector.messages[100:102] == [medium, big]
            assert collector.messages[102:] == [b'{"fragmented":true}', b'{"last":true}']
            assert collector.lost == [None]  # closed by us: no error to report
        assert received == ['{"id":1,"method":"initialize"}'] * 2

    run(main())


def test_the_upgrade_carries_the_bearer_token_and_no_origin(run: Any, tmp_path: Path) -> None:
    async def handler(ws: ServerConnection) -> None:
        await ws.wait_closed()

    async def main() -> None:
        async with ws_server(handler) as (url, seen):
            transport = WebSocketTransport(url, token=TOKEN)
            await transport.start(Collector())
            await transport.aclose()
        async with ws_server(handler, unix=tmp_path / "u.sock") as (url, seen_unix):
            transport = WebSocketTransport(url)
            await transport.start(Collector())
            await transport.aclose()
        headers = seen[0].headers
        assert headers["Authorization"] == f"Bearer {TOKEN}"
        assert "Origin" not in headers and "Sec-WebSocket-Extensions" not in headers
        assert headers["User-Agent"].startswith("codex-python-sdk/")
        assert seen_unix[0].headers["Host"] == "localhost" and "Authorization" not in seen_unix[0].headers

    run(main())


def test_a_close_frame_from_the_server_fails_the_connection_with_its_code(run: Any) -> None:
    async def handler(ws: ServerConnection) -> None:
        await ws.send('{"before":"close"}')
        await ws.close(1001, "server shutting down")

    async def main() -> None:
        async with ws_server(handler) as (url, _):
            transport, collector = WebSocketTransport(url), Collector()
            await transport.start(collector)
            await collector.wait(lambda: bool(collector.lost))
            assert collector.messages == [b'{"before":"close"}']
            (lost,) = collector.lost
            assert isinstance(lost, ConnectionLost)
            assert "closed the connection (close code 1001: server shutting down)" in str(lost)
            with pytest.raises(ConnectionError):
                transport.send(b"{}")
            await transport.aclose()

    run(main())


@pytest.mark.parametrize(
    ("status", "token", "expected"),
    [
        (http.HTTPStatus.UNAUTHORIZED, None, "requires a token \\(HTTP 401 Unauthorized\\): pass token="),
        (http.HTTPStatus.UNAUTHORIZED, TOKEN, "refused the token \\(HTTP 401 Unauthorized\\)"),
        (http.HTTPStatus.FORBIDDEN, TOKEN, "refused the connection \\(HTTP 403 Forbidden\\)"),
    ],
)
def test_a_refused_upgrade_is_a_clear_error_without_the_token(
    run: Any, caplog: pytest.LogCaptureFixture, status: http.HTTPStatus, token: str | None, expected: str
) -> None:
    caplog.set_level(logging.DEBUG)

    async def handler(ws: ServerConnection) -> None:
        raise AssertionError("never upgraded")

    def refuse(connection: ServerConnection, request: Request) -> Response:
        return connection.respond(status, "no\n")

    async def main() -> None:
        async with ws_server(handler, process_request=refuse) as (url, _):
            with pytest.raises(AppServerConnectionError, match=expected) as info:
                await WebSocketTransport(url, token=token).start(Collector())
        assert TOKEN not in str(info.value)

    run(main())
    ours = [r.getMessage() for r in caplog.records if r.name != "websockets.server"]  # not the test server's
    assert ours and not any(TOKEN in message for message in ours)


def test_a_server_that_never_answers_the_upgrade_times_out(run: Any) -> None:
    async def main() -> None:
        accepted: list[asyncio.StreamWriter] = []

        async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            accepted.append(writer)

        server = await asyncio.start_server(silent, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        started = time.monotonic()
        with pytest.raises(AppServerConnectionError, match=r"no answer .* within 0.3 s"):
            await WebSocketTransport(f"ws://127.0.0.1:{port}", connect_timeout=0.3).start(Collector())
        assert time.monotonic() - started < 2.0
        for writer in accepted:
            writer.close()
        server.close()

    run(main())


def test_something_that_is_not_a_websocket_server_is_named_as_such(run: Any) -> None:
    async def main() -> None:
        async def http_only(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            await reader.readuntil(b"\r\n\r\n")
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
            await writer.drain()
            writer.close()

        server = await asyncio.start_server(http_only, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        with pytest.raises(AppServerConnectionError, match="refused the connection \\(HTTP 200 OK\\)"):
            await WebSocketTransport(f"ws://127.0.0.1:{port}").start(Collector())
        server.close()

    run(main())


def test_a_refused_port_fails_at_once(run: Any) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]

    async def main() -> None:
        with pytest.raises(AppServerConnectionError, match="connection refused"):
            await WebSocketTransport(f"ws://127.0.0.1:{port}").start(Collector())

    started = time.monotonic()
    run(main())
    assert time.monotonic() - started < 2.0


def test_frames_in_the_same_read_as_the_upgrade_then_a_protocol_error(run: Any) -> None:
    """A hand-written server: the 101, two messages and a ping arrive in one write, then a masked frame
    (which a server must never send) ends the connection with a protocol error."""
    answers: list[bytes] = []

    async def raw(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        request = await reader.readuntil(b"\r\n\r\n")
        key = next(
            line.split(b":", 1)[1].strip()
            for line in request.split(b"\r\n")
            if line.lower().startswith(b"sec-websocket-key:")
        )
        accept = base64.b64encode(hashlib.sha1(key + b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11").digest())
        writer.write(
            b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            b"Sec-WebSocket-Accept: " + accept + b"\r\n\r\n"
            b'\x81\x07{"a":1}'
            b'\x81\x07{"b":2}'
            b"\x89\x02hi"
        )
        await writer.drain()
        answers.append(await reader.read(100))  # the pong (masked, as a client's frames are)
        writer.write(b"\x81\x87abcd" + bytes(c ^ m for c, m in zip(b'{"c":3}', b"abcdabc", strict=True)))
        await writer.drain()
        await reader.read(100)
        writer.close()

    async def main() -> None:
        server = await asyncio.start_server(raw, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        transport, collector = WebSocketTransport(f"ws://127.0.0.1:{port}"), Collector()
        await transport.start(collector)
        await collector.wait(lambda: bool(collector.lost))
        assert collector.messages == [b'{"a":1}', b'{"b":2}']
        (lost,) = collector.lost
        assert "broke the WebSocket protocol" in str(lost)
        assert answers[0][:1] == b"\x8a"  # FIN + pong
        await transport.aclose()
        server.close()

    run(main())


@pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl command to make a certificate")
def test_wss_verifies_the_server_certificate(
    run: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    make_cert = ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1"]
    make_cert += ["-nodes", "-days", "1", "-subj"]
    files = ["-keyout", str(key), "-out", str(cert)]
    subprocess.run(
        [*make_cert, "/CN=localhost", "-addext", "subjectAltName=DNS:localhost", *files],
        check=True,
        capture_output=True,
    )
    server_tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_tls.load_cert_chain(cert, key)

    async def handler(ws: ServerConnection) -> None:
        await ws.send('{"over":"tls"}')
        await ws.wait_closed()

    async def main(trusted: bool) -> None:
        async with serve(handler, "localhost", 0, ssl=server_tls) as server:
            url = f"wss://localhost:{next(iter(server.sockets)).getsockname()[1]}"
            transport, collector = WebSocketTransport(url), Collector()
            if not trusted:
                with pytest.raises(AppServerConnectionError, match="CERTIFICATE_VERIFY_FAILED"):
                    await transport.start(collector)
                return
            await transport.start(collector)
            await collector.wait_for_messages(1)
            await transport.aclose()
            assert collector.messages == [b'{"over":"tls"}']

    monkeypatch.setenv("SSL_CERT_FILE", str(tmp_path / "none.pem"))  # trusts nothing
    run(main(trusted=False))
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))  # the default context reads it
    run(main(trusted=True))
