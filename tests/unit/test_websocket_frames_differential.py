"""The WebSocket transport's own frame cutter against the ``websockets`` library (differential, hypothesis).

The transport cuts complete, unmasked, unfragmented data frames itself (the hot path) and hands every other
frame to the library. Whatever a server sends — text and binary messages of every length encoding (7, 16
and 64 bits), fragmented messages, pings and pongs between fragments — and however the bytes are split
into reads, the messages the transport delivers must be exactly those the library alone assembles, in the
same order, and the protocol must answer the pings the same way.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

websockets = pytest.importorskip("websockets")

from websockets.client import ClientProtocol  # noqa: E402
from websockets.frames import Frame, Opcode  # noqa: E402
from websockets.http11 import Request  # noqa: E402
from websockets.server import ServerProtocol  # noqa: E402
from websockets.uri import parse_uri  # noqa: E402

from codex_python_sdk._transport._websocket import _Connection  # noqa: E402

FUZZ = settings(
    derandomize=True,
    database=None,
    deadline=None,
    max_examples=120,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

# Payload sizes around the length-encoding boundaries: 125/126 (7 -> 16 bits), 65535/65536 (16 -> 64).
SIZES = st.sampled_from([0, 1, 2, 125, 126, 127, 1000, 65535, 65536, 70000])
MESSAGE = st.tuples(st.sampled_from(["text", "binary"]), SIZES, st.integers(1, 4))  # kind, size, fragments
STEP = st.one_of(MESSAGE, st.tuples(st.just("ping"), st.integers(0, 60), st.just(1)))


class _Owner:
    """What _Connection calls back on its transport (nothing of it matters here)."""

    endpoint: Any = None

    def _closing_by_peer(self, ws: Any) -> None:
        pass

    def _connection_gone(self, ws: Any, exc: Any) -> None:
        pass

    def _handshake_error(self, failure: BaseException) -> BaseException:
        return failure


class _Written:
    """A stand-in for the asyncio transport: what the client writes (pong frames, for example)."""

    def __init__(self) -> None:
        self.data = bytearray()

    def write(self, data: bytes) -> None:
        self.data += data

    def is_closing(self) -> bool:
        return False


def _payload(kind: str, size: int, seed: int) -> bytes:
    text = "".join(chr(0x61 + (i * 7 + seed) % 26) for i in range(size))
    return text.encode() if kind == "text" else bytes((i * 31 + seed) % 256 for i in range(size))


def _server_bytes(steps: list[tuple[str, int, int]], server: ServerProtocol) -> tuple[bytes, list[bytes]]:
    """The frames a server writes for ``steps``, and the messages a client must see."""
    expected: list[bytes] = []
    for seed, (kind, size, fragments) in enumerate(steps):
        if kind == "ping":
            server.send_ping(b"p" * size)
            continue
        data = _payload(kind, size, seed)
        expected.append(data)
        cut = max(1, len(data) // fragments) if data else 1
        pieces = [data[i : i + cut] for i in range(0, len(data), cut)] or [b""]
        for i, piece in enumerate(pieces):
            last = i == len(pieces) - 1
            if i == 0:
                (server.send_text if kind == "text" else server.send_binary)(piece, fin=last)
            else:
                server.send_continuation(piece, fin=last)
            if not last and seed % 2:
                server.send_ping(b"between")  # control frames may come between fragments
    return b"".join(server.data_to_send()), expected


def _open_pair() -> tuple[ClientProtocol, ServerProtocol, bytes]:
    client = ClientProtocol(parse_uri("ws://localhost/"))
    request = client.connect()
    server = ServerProtocol()
    server.receive_data(b"".join(_request_bytes(client, request)))
    (handshake,) = server.events_received()
    assert isinstance(handshake, Request)
    server.send_response(server.accept(handshake))
    answer = b"".join(server.data_to_send())
    return client, server, answer


def _request_bytes(client: ClientProtocol, request: Any) -> list[bytes]:
    client.send_request(request)
    return client.data_to_send()


def _library_alone(frames: bytes) -> tuple[list[bytes], int]:
    """What the library by itself assembles from the same bytes (the reference), and the pings it saw."""
    client, _server, answer = _open_pair()
    client.receive_data(answer)
    client.receive_data(frames)
    messages: list[bytes] = []
    parts: list[bytes] | None = None
    pings = 0
    for event in client.events_received():
        if not isinstance(event, Frame):
            continue
        pings += event.opcode is Opcode.PING
        if event.opcode in (Opcode.TEXT, Opcode.BINARY):
            if event.fin:
                messages.append(bytes(event.data))
            else:
                parts = [bytes(event.data)]
        elif event.opcode is Opcode.CONT and parts is not None:
            parts.append(bytes(event.data))
            if event.fin:
                messages.append(b"".join(parts))
                parts = None
    return messages, pings


@FUZZ
@given(steps=st.lists(STEP, min_size=1, max_size=6), cuts=st.lists(st.integers(1, 9000), max_size=30))
def test_the_frame_cutter_delivers_exactly_what_the_library_assembles(
    steps: list[tuple[str, int, int]], cuts: list[int]
) -> None:
    async def main() -> tuple[list[bytes], list[bytes], bytes, bytes, ServerProtocol]:
        client, server, answer = _open_pair()
        frames, expected = _server_bytes(steps, server)
        delivered: list[bytes] = []
        receiver = type("R", (), {"message_received": staticmethod(delivered.append)})()
        conn = _Connection(_Owner(), client, None, receiver)  # type: ignore[arg-type]
        written = _Written()
        conn.transport = written  # type: ignore[assignment]
        client.data_to_send()  # the upgrade request was already taken by _open_pair
        stream = answer + frames
        pos = 0
        for cut in cuts:  # the reads, however the network splits them
            if pos >= len(stream):
                break
            conn.data_received(stream[pos : pos + cut])
            pos += cut
        if pos < len(stream):
            conn.data_received(stream[pos:])
        return delivered, expected, frames, bytes(written.data), server

    delivered, expected, frames, written, server = asyncio.run(main())
    reference, pings = _library_alone(frames)
    assert delivered == expected == reference
    # Every ping got its pong: the server reads what the client wrote back.
    server.receive_data(written)
    pongs = [e for e in server.events_received() if isinstance(e, Frame) and e.opcode is Opcode.PONG]
    assert len(pongs) == pings
