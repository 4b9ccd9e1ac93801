"""Unit-test helpers: an in-memory app-server that speaks the protocol's shapes (no process)."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from codex_python_sdk import AsyncCodexAgenticClient, MemoryTransport

Handler = Callable[["FakeAppServer", dict[str, Any]], Any]


class FakeAppServer:
    """Answers the client like codex app-server 0.163 would, with scriptable turns.

    ``turn_script(server, thread_id, turn_id)`` is called on each ``turn/start`` and emits the turn's
    notifications (default: one agent message "ok" and a completed turn). ``handlers[method]`` overrides the
    answer to any request. Every request the client sent is in ``requests``.
    """

    def __init__(self) -> None:
        self.transport = MemoryTransport(self._on_message)
        self.requests: list[dict[str, Any]] = []
        self.handlers: dict[str, Handler] = {}
        self.turn_script: Callable[[FakeAppServer, str, str], Any] = FakeAppServer.simple_turn
        self._ids = itertools.count(1)
        self.active_turns: dict[str, str] = {}

    # -- sending ---------------------------------------------------------------------------------------
    def notify(self, method: str, params: dict[str, Any]) -> None:
        self.transport.feed({"method": method, "params": params, "emittedAtMs": 1795606719046})

    def reply(self, rid: Any, result: Any) -> None:
        self.transport.feed({"id": rid, "result": result})

    def error(self, rid: Any, code: int, message: str, data: Any = None) -> None:
        err: dict[str, Any] = {"code": code, "message": message}
        if data is not None:
            err["data"] = data
        self.transport.feed({"id": rid, "error": err})

    def server_request(self, rid: int, method: str, params: dict[str, Any]) -> None:
        self.transport.feed({"id": rid, "method": method, "params": params})

    async def settle(self, predicate: Callable[[], object], timeout: float = 2.0) -> None:
        """Let the loop run until ``predicate()`` holds (the client reacts asynchronously); fail after
        ``timeout`` seconds."""
        deadline = asyncio.get_running_loop().time() + timeout
        while not predicate():
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError("the expected client reaction did not happen in time")
            await asyncio.sleep(0.01)

    def sent(self, method: str) -> list[dict[str, Any]]:
        """Params of every request/notification/response the client sent with ``method``."""
        return [m.get("params") or {} for m in self.requests if m.get("method") == method]

    def responses(self) -> list[dict[str, Any]]:
        """Messages the client sent that answer server requests."""
        return [m for m in self.requests if "method" not in m]

    # -- default behaviour -----------------------------------------------------------------------------
    def _on_message(self, transport: MemoryTransport, msg: dict[str, Any]) -> None:
        self.requests.append(msg)
        method = msg.get("method")
        if method is None or "id" not in msg:
            return
        handler = self.handlers.get(method)
        if handler is not None:
            handler(self, msg)
            return
        rid, params = msg["id"], msg.get("params") or {}
        if method == "initialize":
            self.reply(
                rid,
                {
                    "userAgent": "fake/0.163.0",
                    "codexHome": "/tmp/x",
                    "platformFamily": "unix",
                    "platformOs": "linux",
                },
            )
        elif method in ("thread/start", "thread/resume", "thread/fork"):
            tid = params.get("threadId") if method == "thread/resume" else f"thread-{next(self._ids)}"
            self.reply(
                rid, {"thread": {"id": tid, "turns": []}, "approvalPolicy": params.get("approvalPolicy")}
            )
        elif method == "turn/start":
            tid = params["threadId"]
            turn_id = f"turn-{next(self._ids)}"
            self.active_turns[tid] = turn_id
            self.reply(rid, {"turn": {"id": turn_id, "status": "inProgress", "items": []}})
            result = self.turn_script(self, tid, turn_id)
            if asyncio.iscoroutine(result):
                asyncio.get_running_loop().create_task(result)
        elif method == "turn/interrupt":
            self.reply(rid, {})
            self.complete(params["threadId"], params["turnId"], "interrupted")
        else:
            self.reply(rid, {})

    def complete(self, thread_id: str, turn_id: str, status: str = "completed", error: Any = None) -> None:
        self.active_turns.pop(thread_id, None)
        self.notify(
            "turn/completed",
            {"threadId": thread_id, "turn": {"id": turn_id, "status": status, "error": error, "items": []}},
        )

    def agent_message(
        self,
        thread_id: str,
        turn_id: str,
        text: str,
        *,
        item_id: str = "msg_1",
        deltas: int = 1,
        phase: Any = None,
    ) -> None:
        base = {"threadId": thread_id, "turnId": turn_id}
        self.notify("item/started", {**base, "item": {"type": "agentMessage", "id": item_id, "text": ""}})
        size = max(1, len(text) // max(deltas, 1))
        for i in range(0, len(text), size):
            self.notify("item/agentMessage/delta", {**base, "itemId": item_id, "delta": text[i : i + size]})
        self.notify(
            "item/completed",
            {**base, "item": {"type": "agentMessage", "id": item_id, "text": text, "phase": phase}},
        )

    @staticmethod
    def simple_turn(server: FakeAppServer, thread_id: str, turn_id: str) -> None:
        server.notify(
            "turn/started", {"threadId": thread_id, "turn": {"id": turn_id, "status": "inProgress"}}
        )
        server.agent_message(thread_id, turn_id, "ok")
        server.complete(thread_id, turn_id)

    @staticmethod
    def hanging_turn(server: FakeAppServer, thread_id: str, turn_id: str) -> None:
        server.notify(
            "turn/started", {"threadId": thread_id, "turn": {"id": turn_id, "status": "inProgress"}}
        )


@pytest.fixture
def server() -> FakeAppServer:
    return FakeAppServer()


@pytest.fixture
def make_client(server: FakeAppServer) -> Callable[..., AsyncCodexAgenticClient]:
    """Build an async client wired to the ``server`` fixture (extra kwargs pass through)."""

    def factory(**kwargs: Any) -> AsyncCodexAgenticClient:
        if server.transport.returncode is not None:  # a previous client closed it: connect anew
            server.transport = MemoryTransport(server._on_message)
        return AsyncCodexAgenticClient(transport=server.transport, **kwargs)

    return factory


@pytest.fixture
def run() -> Iterator[Callable[[Any], Any]]:
    """Run a coroutine to completion (we do not depend on pytest-asyncio)."""

    def runner(coro: Any) -> Any:
        return asyncio.run(asyncio.wait_for(coro, 20))

    yield runner
