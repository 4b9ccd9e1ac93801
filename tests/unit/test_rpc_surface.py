"""Every stable client method of the pinned protocol is callable on ``client.rpc``, sync and async."""

from __future__ import annotations

import asyncio
from typing import Any

from codex_python_sdk import AsyncCodexAgenticClient, CodexAgenticClient, MemoryTransport
from codex_python_sdk.protocol import CLIENT_METHODS


def _answer_everything(transport: MemoryTransport, msg: dict[str, Any]) -> None:
    if "id" in msg and "method" in msg:
        transport.feed({"id": msg["id"], "result": {}})


def _stable() -> list[Any]:
    # initialize is the handshake the client itself sends
    return [s for s in CLIENT_METHODS.values() if not s.experimental and s.method != "initialize"]


def _call(rpc: Any, spec: Any) -> Any:
    method = getattr(rpc, spec.python_name)
    if spec.params is None:
        return method()
    return method({})  # a params dict is accepted as the one positional argument


def test_every_stable_method_async() -> None:
    stable = _stable()
    assert len(stable) == 104  # 105 stable in 0.163.0, initialize is the handshake

    async def main() -> list[str]:
        transport = MemoryTransport(_answer_everything)
        async with AsyncCodexAgenticClient(transport=transport) as client:
            for spec in stable:
                await _call(client.rpc, spec)
        return [m["method"] for m in transport.sent if "id" in m]

    sent = asyncio.run(main())
    assert sent[1:] == [spec.method for spec in stable]


def test_every_stable_method_sync() -> None:
    stable = _stable()
    transport = MemoryTransport(_answer_everything)
    with CodexAgenticClient(transport=transport) as client:
        for spec in stable:
            _call(client.rpc, spec)
    assert [m["method"] for m in transport.sent if "id" in m][1:] == [spec.method for spec in stable]
