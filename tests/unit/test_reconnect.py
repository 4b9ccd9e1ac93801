"""reconnect() against a small JSON-RPC app-server over a local WebSocket: what it resumes, what it
reports, what happens to calls still waiting on the old connection. No codex process."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from websockets.asyncio.server import ServerConnection, serve

from codex_python_sdk import AppServerConnectionError, AsyncCodexAgenticClient, ClientClosedError


class TinyAppServer:
    """Answers initialize and thread/resume; on its second connection, thread ``t2`` is unknown."""

    def __init__(self) -> None:
        self.connections = 0
        self.requests: list[tuple[int, str, Any]] = []

    async def handle(self, ws: ServerConnection) -> None:
        self.connections += 1
        number = self.connections
        async for raw in ws:
            msg = json.loads(raw)
            method, rid = msg.get("method"), msg.get("id")
            self.requests.append((number, method, msg.get("params")))
            if rid is None:
                continue
            if method == "initialize":
                await ws.send(json.dumps({"id": rid, "result": {"userAgent": "tiny/0.163.0"}}))
            elif method == "thread/resume":
                thread_id = msg["params"]["threadId"]
                if number > 1 and thread_id == "t2":
                    error = {"code": -32600, "message": f"no rollout found for thread id {thread_id}"}
                    await ws.send(json.dumps({"id": rid, "error": error}))
                else:
                    await ws.send(json.dumps({"id": rid, "result": {"thread": {"id": thread_id}}}))
            # anything else: never answered (a call left waiting)


def test_reconnect_resumes_what_was_loaded_reports_failures_and_fails_waiting_calls(run: Any) -> None:
    tiny = TinyAppServer()

    async def main() -> None:
        async with serve(tiny.handle, "127.0.0.1", 0) as server:
            port = next(iter(server.sockets)).getsockname()[1]
            async with AsyncCodexAgenticClient(url=f"ws://127.0.0.1:{port}") as client:
                for thread_id in ("t1", "t2"):
                    await client.request("thread/resume", {"threadId": thread_id, "cwd": "/somewhere"})
                waiting = asyncio.ensure_future(client.request("slow/method"))
                await asyncio.sleep(0.1)
                report = await client.reconnect()
                with pytest.raises(AppServerConnectionError, match=r"reconnect\(\) replaced the connection"):
                    await waiting
                assert report.resumed == ("t1",) and not report.ok
                assert list(report.failed) == ["t2"] and "no rollout" in str(report.failed["t2"])
                assert "t2" in repr(report) and not client.closed
                await client.request("thread/resume", {"threadId": "t1"})  # the new connection works
            with pytest.raises(ClientClosedError):
                await client.reconnect()
        assert tiny.connections == 2
        second = [(method, params) for number, method, params in tiny.requests if number == 2]
        assert [method for method, _ in second[:2]] == ["initialize", "initialized"]
        resumes = [params for method, params in second[2:4]]
        assert sorted(params["threadId"] for params in resumes) == ["t1", "t2"]
        assert all(params == {"threadId": params["threadId"]} for params in resumes)  # only the id

    run(main())


def test_a_failed_reconnect_leaves_the_client_closed_until_the_next_one(run: Any) -> None:
    tiny = TinyAppServer()

    async def main() -> None:
        server = await serve(tiny.handle, "127.0.0.1", 0).__aenter__()
        port = next(iter(server.sockets)).getsockname()[1]
        client = AsyncCodexAgenticClient(url=f"ws://127.0.0.1:{port}")
        await client.request("thread/resume", {"threadId": "t1"})
        server.close()
        await server.wait_closed()
        with pytest.raises(AppServerConnectionError, match="connection refused"):
            await client.reconnect()
        assert client.closed
        with pytest.raises(ClientClosedError, match="reconnect"):
            await client.request("thread/resume", {"threadId": "t1"})  # nothing dials by itself
        async with serve(tiny.handle, "127.0.0.1", port):
            report = await client.reconnect()  # the thread list survived the failed attempt
            assert report.resumed == ("t1",)
            await client.close()

    run(main())
