"""Cassettes: record a client's JSON-RPC session to JSONL, replay it as an in-process app-server.

A cassette file is one JSON object per line. The first line is a header (``{"cassette": 1, ...}``);
each further line is one message with the seconds since the recording started and its direction::

    {"t": 0.0123, "dir": "c2s", "msg": {"id": 1, "method": "initialize", "params": {...}}}
    {"t": 0.0450, "dir": "s2c", "msg": {"id": 1, "result": {...}}}

``c2s`` is client to server, ``s2c`` server to client. Secrets never reach the file: values under
secret-looking keys (API keys, tokens, passwords) and ``sk-...`` / ``Bearer ...`` strings are replaced
by ``<redacted>`` before writing.
"""

from __future__ import annotations

import dataclasses
import json
import os
import time
from collections.abc import Iterable, Iterator, Mapping
from datetime import datetime, timezone
from pathlib import Path
from typing import IO, Any, Literal

from .._redact import redact
from .._transport import Receiver, Transport
from .._version import __version__

__all__ = ["CASSETTE_VERSION", "Cassette", "CassetteEntry", "Direction", "RecordingTransport", "scrub"]

CASSETTE_VERSION = 1
"""The format version written in a cassette's header line."""

Direction = Literal["c2s", "s2c"]
"""``c2s``: client to app-server; ``s2c``: app-server to client."""


def scrub(value: Any) -> Any:
    """A copy of ``value`` with secrets replaced by ``<redacted>`` (what cassettes store).

    The same redaction as the client's logs and errors (``codex_python_sdk._redact``): values under keys
    that name a secret (``OPENAI_API_KEY``, ``accessToken`` ...), the value of a config edit of a secret
    key path, and ``sk-...`` / ``Bearer ...`` / JWT substrings anywhere. Counters such as ``inputTokens``
    stay.
    """
    return redact(value)


@dataclasses.dataclass(frozen=True)
class CassetteEntry:
    """One recorded message."""

    t: float
    """Seconds since the recording started."""
    direction: Direction
    """``c2s`` (client to server) or ``s2c`` (server to client)."""
    message: dict[str, Any]
    """The JSON-RPC message (redacted)."""

    @property
    def method(self) -> str | None:
        """The message's method (None for responses)."""
        method = self.message.get("method")
        return method if isinstance(method, str) else None

    @property
    def is_request(self) -> bool:
        """A request (method and id): the client's request when ``c2s``, a server request when ``s2c``."""
        return self.method is not None and "id" in self.message

    @property
    def is_notification(self) -> bool:
        """A notification (method, no id)."""
        return self.method is not None and "id" not in self.message

    @property
    def is_response(self) -> bool:
        """A response (id, no method): to a client request when ``s2c``, to a server request when ``c2s``."""
        return self.method is None and "id" in self.message

    @property
    def params(self) -> Any:
        """The message's ``params`` (None when absent)."""
        return self.message.get("params")

    def to_json(self) -> dict[str, Any]:
        """The line written to the file."""
        return {"t": round(self.t, 6), "dir": self.direction, "msg": self.message}


class Cassette:
    """A recorded session: :class:`CassetteEntry` objects in the order they happened.

    Load one with :meth:`load`; record one with :func:`record` or ``model.client(record=path)``; play
    one back with :class:`ReplayTransport`. The query helpers make recorded traffic easy to assert on,
    e.g. what the client sent::

        (resume,) = Cassette.load(path).requests("thread/resume")
        assert resume.params == {"threadId": thread_id}
    """

    def __init__(
        self, entries: Iterable[CassetteEntry] = (), header: Mapping[str, Any] | None = None
    ) -> None:
        """A cassette of ``entries`` (already redacted) with an optional header."""
        self.entries = list(entries)
        self.header: dict[str, Any] = dict(header or {"cassette": CASSETTE_VERSION})

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> Cassette:
        """Read a cassette file; ValueError names the first bad line."""
        entries: list[CassetteEntry] = []
        header: dict[str, Any] | None = None
        with open(path, encoding="utf-8") as f:
            for number, line in enumerate(f, 1):
                if not line.strip():
                    continue
                try:
                    data = json.loads(line)
                    if header is None and isinstance(data, dict) and "cassette" in data:
                        header = data
                        continue
                    direction = data["dir"]
                    if direction not in ("c2s", "s2c") or not isinstance(data["msg"], dict):
                        raise ValueError(f"bad direction or message: {line[:80]!r}")
                    entries.append(CassetteEntry(float(data["t"]), direction, data["msg"]))
                except (ValueError, KeyError, TypeError) as exc:
                    raise ValueError(f"{path}:{number}: not a cassette line: {exc}") from exc
        if header is not None and header.get("cassette") != CASSETTE_VERSION:
            raise ValueError(f"{path}: cassette version {header.get('cassette')!r} is not {CASSETTE_VERSION}")
        return cls(entries, header)

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write this cassette to ``path`` (entries are scrubbed again on the way out)."""
        with open(path, "w", encoding="utf-8") as f:
            f.write(json.dumps(self.header) + "\n")
            for entry in self.entries:
                entry = dataclasses.replace(entry, message=scrub(entry.message))
                f.write(json.dumps(entry.to_json(), ensure_ascii=False) + "\n")

    def __iter__(self) -> Iterator[CassetteEntry]:
        return iter(self.entries)

    def __len__(self) -> int:
        return len(self.entries)

    def requests(self, method: str | None = None) -> list[CassetteEntry]:
        """The client's requests (of one ``method``), in order."""
        return [
            e for e in self.entries if e.direction == "c2s" and e.is_request and method in (None, e.method)
        ]

    def notifications(self, method: str | None = None) -> list[CassetteEntry]:
        """The server's notifications (of one ``method``), in order."""
        return [
            e
            for e in self.entries
            if e.direction == "s2c" and e.is_notification and method in (None, e.method)
        ]

    def server_requests(self, method: str | None = None) -> list[CassetteEntry]:
        """The server's requests (approvals, tool calls ...) (of one ``method``), in order."""
        return [
            e for e in self.entries if e.direction == "s2c" and e.is_request and method in (None, e.method)
        ]

    def response_to(self, request: CassetteEntry) -> CassetteEntry | None:
        """The recorded answer to ``request`` (a client request or a server request), if any."""
        other: Direction = "s2c" if request.direction == "c2s" else "c2s"
        start = self.entries.index(request)
        for entry in self.entries[start + 1 :]:
            if (
                entry.direction == other
                and entry.is_response
                and entry.message.get("id") == request.message.get("id")
            ):
                return entry
        return None

    def methods(self, direction: Direction | None = None) -> list[str]:
        """The method of every request/notification (of one direction), in order."""
        return [e.method for e in self.entries if e.method is not None and direction in (None, e.direction)]

    def __repr__(self) -> str:
        return f"<Cassette {len(self.entries)} messages>"


class RecordingTransport(Transport):
    """A transport wrapper that writes every message, both directions, to a JSONL cassette.

    ``RecordingTransport(StdioTransport(...), "session.jsonl")``, or let :func:`record` wrap a
    client's own transport. Lines are flushed as they are written, so a crashed test leaves a
    readable cassette. :attr:`cassette` holds the same entries in memory.
    """

    def __init__(self, inner: Transport, path: str | os.PathLike[str]) -> None:
        """Wrap ``inner``; the cassette is (re)written at ``path`` when the transport starts."""
        self.inner = inner
        self.path = Path(path)
        self.cassette = Cassette()
        self._receiver: Receiver | None = None
        self._file: IO[str] | None = None
        self._t0 = 0.0

    async def start(self, receiver: Receiver) -> None:
        """Open the cassette file and start the wrapped transport."""
        self._receiver = receiver
        self._t0 = time.monotonic()
        self._file = open(self.path, "w", encoding="utf-8")  # noqa: SIM115 - closed in connection_lost
        header = {
            "cassette": CASSETTE_VERSION,
            "recorded_at": datetime.now(timezone.utc).isoformat(),
            "sdk_version": __version__,
            "transport": self.inner.describe(),
        }
        self.cassette.header = header
        self._file.write(json.dumps(header) + "\n")
        await self.inner.start(self)

    def _write(self, direction: Direction, data: bytes) -> None:
        try:
            message = json.loads(data)
        except ValueError:
            message = {"unparsed": data.decode("utf-8", "replace")}
        if not isinstance(message, dict):
            message = {"unparsed": message}
        entry = CassetteEntry(time.monotonic() - self._t0, direction, scrub(message))
        self.cassette.entries.append(entry)
        if self._file is not None and not self._file.closed:
            self._file.write(json.dumps(entry.to_json(), ensure_ascii=False) + "\n")
            self._file.flush()

    # Receiver side: what the wrapped transport reads.
    def message_received(self, data: bytes) -> None:
        """Record a server message, then hand it on."""
        self._write("s2c", data)
        if self._receiver is not None:
            self._receiver.message_received(data)

    def connection_lost(self, exc: BaseException | None) -> None:
        """Close the cassette file, then report the loss."""
        if self._file is not None:
            self._file.close()
        if self._receiver is not None:
            self._receiver.connection_lost(exc)

    # Transport side: what the client sends.
    def send(self, data: bytes) -> None:
        """Send a client message, then record it."""
        self.inner.send(data)
        self._write("c2s", data)

    async def drain(self) -> None:
        """Drain the wrapped transport."""
        await self.inner.drain()

    async def aclose(self) -> None:
        """Close the wrapped transport and the cassette file."""
        try:
            await self.inner.aclose()
        finally:
            if self._file is not None and not self._file.closed:
                self._file.close()

    def stderr_tail(self) -> list[str]:
        """The wrapped transport's stderr tail."""
        return self.inner.stderr_tail()

    @property
    def returncode(self) -> int | None:
        """The wrapped transport's exit status."""
        return self.inner.returncode

    def describe(self) -> str:
        """Names the wrapped transport and the cassette."""
        return f"{self.inner.describe()} (recording to {self.path})"
