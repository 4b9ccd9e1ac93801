"""The work of ``command/exec`` (``_exec_methods.py``): its params, and the streaming of its output.

Loaded on the first ``command_exec`` / ``command_exec_events``, not with the clients (docs/performance.md).
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
from collections.abc import AsyncGenerator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from ..errors import CodexAgenticError
from ..events._response import CommandExecEvent

if TYPE_CHECKING:
    from .._rpc import RpcConnection
    from ._routing import EventQueue, Router

__all__ = ["exec_params", "exec_timeout", "stream_exec"]


def exec_params(
    command: Sequence[str],
    *,
    cwd: str | None,
    timeout_ms: int | None,
    process_id: str | None,
    env: Mapping[str, str | None] | None,
    output_bytes_cap: int | None,
    sandbox_policy: Mapping[str, object] | None,
    size: Mapping[str, int] | None,
    flags: Mapping[str, bool],
) -> dict[str, Any]:
    """``command/exec`` params; ``flags`` maps wire names (``tty``, ``streamStdin`` ...) to bools."""
    if isinstance(command, str) or not command or not all(isinstance(c, str) for c in command):
        raise ValueError("command must be a non-empty list of strings")
    if flags.get("tty") and not size:
        raise CodexAgenticError("tty=True needs size={'rows': ..., 'cols': ...}")
    params: dict[str, Any] = {"command": list(command)}
    optional = {
        "cwd": cwd,
        "timeoutMs": timeout_ms,
        "processId": process_id,
        "env": dict(env) if env is not None else None,
        "outputBytesCap": output_bytes_cap,
        "sandboxPolicy": dict(sandbox_policy) if sandbox_policy is not None else None,
        "size": dict(size) if size is not None else None,
    }
    params.update({k: v for k, v in optional.items() if v is not None})
    params.update({k: True for k, on in flags.items() if on})
    return params


def exec_timeout(timeout_ms: int | None, disable_timeout: bool) -> float | None:
    # The server enforces timeout_ms itself; the request waits that long plus a margin.
    return None if disable_timeout or timeout_ms is None else timeout_ms / 1000 + 30


async def stream_exec(
    conn: RpcConnection, router: Router, params: dict[str, Any], process_id: str, timeout: float | None
) -> AsyncGenerator[CommandExecEvent, None]:
    """Start ``command/exec`` (``params``) and yield its output as it comes, then the final event; the
    process is terminated when the stream is left before the end."""
    queue = router.subscribe_process(process_id)
    done = False
    try:
        future = conn.start_request("command/exec", params, timeout=timeout)
        while True:
            while len(queue):
                yield _exec_event(queue.get_nowait(), process_id)
            if future.done():
                break
            await _first_of(queue, future)
        result = future.result()
        result = result if isinstance(result, dict) else {}
        while len(queue):
            yield _exec_event(queue.get_nowait(), process_id)
        done = True
        yield CommandExecEvent(
            type="command/exec/completed",
            process_id=process_id,
            exit_code=result.get("exitCode"),
            stdout=result.get("stdout"),
            stderr=result.get("stderr"),
            raw=result,
        )
    finally:
        router.unsubscribe_process(process_id)
        if not done and not conn.closed:
            with contextlib.suppress(Exception):  # already finished: nothing to terminate
                await conn.request("command/exec/terminate", {"processId": process_id}, timeout=5)


def _exec_event(msg: dict[str, Any], process_id: str) -> CommandExecEvent:
    params = msg.get("params") or {}
    data = params.get("deltaBase64")
    return CommandExecEvent(
        type="command/exec/outputDelta",
        process_id=process_id,
        stream=params.get("stream"),
        data=base64.b64decode(data) if isinstance(data, str) else b"",
        cap_reached=bool(params.get("capReached")),
        raw=msg,
    )


async def _first_of(queue: EventQueue[dict[str, Any]], future: asyncio.Future[Any]) -> None:
    """Return when the queue has an item or the future is done."""
    waiter = asyncio.ensure_future(queue.wait())
    try:
        await asyncio.wait({waiter, future}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        waiter.cancel()
