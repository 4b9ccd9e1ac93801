"""What reading one message costs in each transport's reader, in-process (no app-server, no sockets).

    python bench/ws_frames.py [--messages 20000] [--repeat 7]

20,000 ``item/agentMessage/delta`` notifications are framed as the app-server sends them: newline-
delimited for stdio, one unmasked text frame each for WebSocket. Then, in 64 KiB chunks as a socket
would deliver them, they are read by stdio's line splitter, by the ``websockets`` library's Sans-I/O
parser, and by the WebSocket transport's own frame cutter (which takes complete, unmasked, unfragmented
frames and hands every other frame to the library). Medians of CPU time per message; the ratio of the
library's parser to ours is why the transport cuts frames itself (see docs/scale.md).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from typing import Any

import orjson
from websockets.client import ClientProtocol
from websockets.frames import Frame
from websockets.protocol import State
from websockets.server import ServerProtocol
from websockets.uri import parse_uri

from codex_python_sdk._transport._stdio import _LineReader
from codex_python_sdk._transport._websocket import _FRAMES, WebSocketTransport, _Connection

MESSAGE = orjson.dumps(
    {
        "method": "item/agentMessage/delta",
        "params": {
            "threadId": "019a0000-0000-7000-8000-000000000000",
            "turnId": "019a0000-0000-7000-8000-000000000001",
            "itemId": "msg_1",
            "delta": "0123456789",
        },
        "emittedAtMs": 1700000000000,
    }
)
CHUNK = 65536


class Counter:
    """A receiver that only counts."""

    def __init__(self) -> None:
        self.count = 0

    def message_received(self, data: bytes) -> None:
        self.count += 1

    def connection_lost(self, exc: BaseException | None) -> None:
        return None


def _chunks(wire: bytes) -> list[bytes]:
    return [wire[i : i + CHUNK] for i in range(0, len(wire), CHUNK)]


def _ws_wire(n: int) -> bytes:
    server = ServerProtocol()
    server.state = State.OPEN
    for _ in range(n):
        server.send_text(MESSAGE)
    return b"".join(server.data_to_send())


def _lines(chunks: list[bytes], n: int) -> float:
    counter = Counter()
    reader = _LineReader(counter.message_received, lambda exc: None)
    start = time.process_time()
    for chunk in chunks:
        reader.data_received(chunk)
    took = time.process_time() - start
    assert counter.count == n
    return took


def _library(chunks: list[bytes], n: int) -> float:
    protocol = ClientProtocol(parse_uri("ws://localhost/"), state=State.OPEN, max_size=None)
    counter = Counter()
    start = time.process_time()
    for chunk in chunks:
        protocol.receive_data(chunk)
        for event in protocol.events_received():
            assert isinstance(event, Frame)
            counter.message_received(bytes(event.data))
        protocol.data_to_send()
    took = time.process_time() - start
    assert counter.count == n
    return took


def _ours(chunks: list[bytes], n: int) -> float:
    async def run() -> float:
        counter = Counter()
        protocol = ClientProtocol(parse_uri("ws://localhost/"), state=State.OPEN, max_size=None)
        conn = _Connection(WebSocketTransport("ws://localhost:1"), protocol, None, counter)
        conn._mode = _FRAMES
        start = time.process_time()
        for chunk in chunks:
            conn.data_received(chunk)
        took = time.process_time() - start
        assert counter.count == n
        return took

    return asyncio.run(run())


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--messages", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    n = args.messages
    inputs: dict[str, Any] = {
        "stdio lines": _chunks((MESSAGE + b"\n") * n),
        "websockets parser": _chunks(_ws_wire(n)),
        "our frame cutter": _chunks(_ws_wire(n)),
    }
    readers = {"stdio lines": _lines, "websockets parser": _library, "our frame cutter": _ours}
    samples: dict[str, list[float]] = {name: [] for name in readers}
    for _ in range(args.repeat):
        for name, reader in readers.items():
            samples[name].append(reader(inputs[name], n))
    print(
        f"reading {n} codex notifications ({len(MESSAGE)} bytes each); CPU a message, median of {args.repeat}"
    )
    base = statistics.median(samples["our frame cutter"])
    for name, values in samples.items():
        median = statistics.median(values)
        print(f"  {name:<18} {median / n * 1e6:6.2f} us  ({median / base:.2f}x our frame cutter)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
