"""Replay a cassette as an in-process fake app-server: fast, offline tests of code that consumes events.

The player walks the recording in order. Server messages (notifications, server requests) are sent
as recorded; a recorded response to a client request is sent once the client has sent the matching
request, with the client's own id; a recorded client answer to a server request is waited for (and
what the client actually answered is kept in :attr:`ReplayTransport.answers`). Client requests are
matched by method, and by params too with ``match="params"``; one that matches nothing left in the
recording is answered with a JSON-RPC error at once, so a test fails instead of hanging.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import logging
import os
from collections.abc import Iterable
from typing import Any, Literal

from .._transport import Receiver, Transport
from ._cassette import Cassette, CassetteEntry

__all__ = ["ReplayAnswer", "ReplayTransport"]

logger = logging.getLogger("codex_python_sdk.testing")

# Params that differ between a recording and its replay for reasons unrelated to the code under test.
DEFAULT_IGNORED_PARAMS = frozenset({"clientInfo", "processId", "cwd"})
# Matched by method even with match="params": they describe the client, not the code under test.
_METHOD_ONLY = frozenset({"initialize"})


@dataclasses.dataclass(frozen=True)
class ReplayAnswer:
    """How the client answered one replayed server request, next to what the recording had."""

    method: str
    """The server request's method, e.g. ``item/commandExecution/requestApproval``."""
    request_id: Any
    """The server request's id."""
    params: Any
    """The server request's params."""
    actual: dict[str, Any]
    """The client's answer message (``{"id", "result"}`` or ``{"id", "error"}``)."""
    recorded: dict[str, Any] | None
    """The answer in the recording (None if the recording had none)."""

    @property
    def result(self) -> Any:
        """The client's ``result`` (None when it answered with an error)."""
        return self.actual.get("result")


def _strip(value: Any, ignored: frozenset[str]) -> Any:
    if isinstance(value, dict):
        return {k: _strip(v, ignored) for k, v in value.items() if k not in ignored and v is not None}
    if isinstance(value, list):
        return [_strip(v, ignored) for v in value]
    return value


def _substitute(value: Any, subs: dict[str, str]) -> Any:
    if isinstance(value, dict):
        return {k: _substitute(v, subs) for k, v in value.items()}
    if isinstance(value, list):
        return [_substitute(v, subs) for v in value]
    if isinstance(value, str):
        return subs.get(value, value)
    return value


class ReplayTransport(Transport):
    """A :class:`Transport` that plays an app-server from a cassette.

    ``AsyncCodexAgenticClient(transport=ReplayTransport("session.jsonl"))`` (or ``replay_client``)
    gives a client whose turns, events and server requests are the recorded ones, with no process.

    - ``match``: ``"method"`` (default) pairs a client request with the next unused recorded request
      of the same method; ``"params"`` also needs equal params, ignoring ``ignore_params`` keys at any
      depth (default ``clientInfo``, ``processId``, ``cwd``) and None values (``initialize`` is always
      matched by method).
    - ``id_keys``: params whose recorded value is replaced by the client's in everything replayed
      afterwards (default ``processId``, which the client generates afresh for ``command_exec_events``).
    - ``speed``: None (default) replays at once; ``1.0`` keeps the recorded pacing, ``2.0`` twice as fast.
    - ``wait_timeout``: seconds to wait for an expected client message before the replay gives up (it
      then answers every further request with an error, see :attr:`error`).
    """

    def __init__(
        self,
        cassette: Cassette | str | os.PathLike[str],
        *,
        match: Literal["method", "params"] = "method",
        ignore_params: Iterable[str] = DEFAULT_IGNORED_PARAMS,
        id_keys: Iterable[str] = ("processId",),
        speed: float | None = None,
        wait_timeout: float = 30.0,
    ) -> None:
        """Replay ``cassette`` (a :class:`Cassette` or a path to one)."""
        self.cassette = cassette if isinstance(cassette, Cassette) else Cassette.load(cassette)
        if match not in ("method", "params"):
            raise ValueError(f"match must be 'method' or 'params', got {match!r}")
        self.match = match
        self.ignore_params = frozenset(ignore_params)
        self.id_keys = tuple(id_keys)
        self.speed = speed
        self.wait_timeout = wait_timeout
        self.received: list[dict[str, Any]] = []
        """Every message the client sent, in order."""
        self.answers: list[ReplayAnswer] = []
        """The client's answers to replayed server requests, in order."""
        self.unmatched: list[dict[str, Any]] = []
        """Client requests that matched nothing left in the recording (answered with an error)."""
        self.error: str | None = None
        """Why the replay stopped early (an expected client message never came), else None."""
        self._entries = self.cassette.entries
        self._arrived: dict[int, Any] = {}  # entry index of a recorded client request -> client's id
        self._answered: dict[Any, dict[str, Any]] = {}  # server request id -> client's answer
        self._server_requests: dict[Any, CassetteEntry] = {}
        self._subs: dict[str, str] = {}
        self._cursor = 0
        self._receiver: Receiver | None = None
        self._wake: asyncio.Event | None = None
        self._task: asyncio.Task[None] | None = None
        self._closed = False
        self._returncode: int | None = None

    # ------------------------------------------------------------------ Transport

    async def start(self, receiver: Receiver) -> None:
        """Start playing (in a task of the running loop)."""
        self._receiver = receiver
        self._wake = asyncio.Event()
        self._task = asyncio.get_running_loop().create_task(self._play(), name="codex-replay")

    def send(self, data: bytes) -> None:
        """Take one client message: match a request, note an answer; never blocks."""
        if self._closed:
            raise ConnectionError("replay transport closed")
        message = json.loads(data)
        self.received.append(message)
        if not isinstance(message, dict):
            return
        if "method" in message and "id" in message:
            self._on_client_request(message)
        elif "method" not in message and "id" in message:
            self._answered[message["id"]] = message
        if self._wake is not None:
            self._wake.set()

    async def drain(self) -> None:
        """Nothing is buffered."""
        return None

    async def aclose(self) -> None:
        """Stop playing and report the connection closed."""
        if self._returncode is None:
            self._returncode = 0
        await self._shutdown()

    @property
    def returncode(self) -> int | None:
        """0 once closed, else None."""
        return self._returncode

    def describe(self) -> str:
        """Names the cassette."""
        return f"replay of {self.cassette!r}"

    # ------------------------------------------------------------------ inspection

    @property
    def finished(self) -> bool:
        """True once every recorded message was played."""
        return self._cursor >= len(self._entries)

    @property
    def remaining(self) -> list[CassetteEntry]:
        """Recorded messages not played yet."""
        return self._entries[self._cursor :]

    def assert_played(self) -> None:
        """AssertionError unless the whole recording was played and every client request matched."""
        problems = []
        if self.error:
            problems.append(self.error)
        if self.unmatched:
            problems.append(f"unmatched client requests: {[m.get('method') for m in self.unmatched]}")
        if not self.finished:
            problems.append(
                f"{len(self.remaining)} recorded messages not played, next: {self.remaining[0].message!r}"
            )
        if problems:
            raise AssertionError("replay mismatch:\n  " + "\n  ".join(problems))

    # ------------------------------------------------------------------ matching

    def _matches(self, entry: CassetteEntry, message: dict[str, Any]) -> bool:
        if entry.method != message.get("method"):
            return False
        if self.match == "method" or entry.method in _METHOD_ONLY:
            return True
        recorded = _strip(entry.params, self.ignore_params)
        return bool(recorded == _strip(message.get("params"), self.ignore_params))

    def _on_client_request(self, message: dict[str, Any]) -> None:
        # Once the player has given up nothing will be answered: say so at once instead.
        start = len(self._entries) if self.error is not None else self._cursor
        for index in range(start, len(self._entries)):
            entry = self._entries[index]
            if (
                entry.direction == "c2s"
                and entry.is_request
                and index not in self._arrived
                and self._matches(entry, message)
            ):
                self._arrived[index] = message["id"]
                self._learn_ids(entry, message)
                return
        self.unmatched.append(message)
        why = self.error or "no recorded request left"
        error = {"code": -32600, "message": f"replay: {why} for {message.get('method')!r}"}
        # Not from inside send(): the client registers its request only after send() returns.
        asyncio.get_running_loop().call_soon(self._emit, {"id": message["id"], "error": error})

    def _learn_ids(self, entry: CassetteEntry, message: dict[str, Any]) -> None:
        recorded, actual = entry.params, message.get("params")
        if not isinstance(recorded, dict) or not isinstance(actual, dict):
            return
        for key in self.id_keys:
            old, new = recorded.get(key), actual.get(key)
            if isinstance(old, str) and isinstance(new, str) and old != new:
                self._subs[old] = new

    # ------------------------------------------------------------------ playing

    def _emit(self, message: dict[str, Any]) -> None:
        if self._receiver is not None and not self._closed:
            self._receiver.message_received(json.dumps(message).encode())

    async def _wait(self, ready: Any, what: str) -> bool:
        assert self._wake is not None
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.wait_timeout
        while not ready():
            remaining = deadline - loop.time()
            if remaining <= 0:
                self.error = f"replay stalled: the client never sent {what}"
                logger.error("%s", self.error)
                return False
            self._wake.clear()
            # asyncio.wait, not wait_for: 3.11's wait_for can swallow a cancel that races the wake-up.
            waiter = asyncio.ensure_future(self._wake.wait())
            try:
                await asyncio.wait({waiter}, timeout=remaining)
            finally:
                waiter.cancel()
        return True

    async def _play(self) -> None:
        previous_t: float | None = None
        try:
            while self._cursor < len(self._entries):
                index = self._cursor
                entry = self._entries[index]
                if self.speed and previous_t is not None and entry.t > previous_t:
                    await asyncio.sleep((entry.t - previous_t) / self.speed)
                previous_t = entry.t
                if not await self._step(index, entry):
                    return
                self._cursor += 1
                await asyncio.sleep(0)  # let the client process what was just sent
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # a bug here must surface, not hang the client
            self.error = f"replay failed: {exc!r}"
            logger.exception("replay failed")
            await self._shutdown()

    async def _step(self, index: int, entry: CassetteEntry) -> bool:
        message = entry.message
        if entry.direction == "c2s":
            if entry.is_request:
                return await self._wait(lambda: index in self._arrived, f"a {entry.method!r} request")
            if entry.is_response:
                rid = message["id"]
                if not await self._wait(
                    lambda: rid in self._answered, f"an answer to server request {rid!r}"
                ):
                    return False
                request = self._server_requests.get(rid)
                self.answers.append(
                    ReplayAnswer(
                        method=(request.method or "") if request else "",
                        request_id=rid,
                        params=request.params if request else None,
                        actual=self._answered.pop(rid),
                        recorded=message,
                    )
                )
            return True  # client notifications (``initialized``) are not waited for
        if entry.is_response:
            request_index = self._request_index(message.get("id"), index)
            if request_index is None:
                return True  # an answer to a request the recording does not show: nothing to pair
            self._emit({**_substitute(message, self._subs), "id": self._arrived[request_index]})
            return True
        if entry.is_request:
            self._server_requests[message["id"]] = entry
        self._emit(_substitute(message, self._subs) if self._subs else message)
        return True

    def _request_index(self, recorded_id: Any, before: int) -> int | None:
        for index in range(before - 1, -1, -1):
            entry = self._entries[index]
            if entry.direction == "c2s" and entry.is_request and entry.message.get("id") == recorded_id:
                return index if index in self._arrived else None
        return None

    async def _shutdown(self) -> None:
        if self._closed:
            return
        self._closed = True
        task = self._task
        if task is not None and task is not asyncio.current_task() and not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if self._receiver is not None:
            self._receiver.connection_lost(None)
