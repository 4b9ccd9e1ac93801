"""``command/exec``: running a command under the server's sandbox, outside any thread (the seed's API).

``command_exec`` waits for the result; ``command_exec_events`` streams the output (routed by process id,
so turn streams never see it) and terminates the process when left early.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
from collections.abc import AsyncIterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, cast

from ..errors import CodexAgenticError
from ._seed_methods import as_response

if TYPE_CHECKING:
    from .._rpc import RpcConnection
    from ..events import CommandExecEvent
    from ..protocol import (
        CommandExecResizeResponse,
        CommandExecResponse,
        CommandExecTerminateResponse,
        CommandExecWriteResponse,
    )
    from ._routing import EventQueue, Router

__all__ = ["ExecMethods"]


def _exec_params(
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


def _exec_timeout(timeout_ms: int | None, disable_timeout: bool) -> float | None:
    # The server enforces timeout_ms itself; the request waits that long plus a margin.
    return None if disable_timeout or timeout_ms is None else timeout_ms / 1000 + 30


class ExecMethods:
    """Mixin of the ``command/exec`` methods."""

    if TYPE_CHECKING:
        _router: Router

        async def _request(self, method: str, params: Any = None, *, timeout: Any = ...) -> Any: ...
        async def _connection(self) -> RpcConnection: ...

    async def command_exec(
        self,
        command: Sequence[str],
        *,
        cwd: str | None = None,
        timeout_ms: int | None = None,
        process_id: str | None = None,
        env: Mapping[str, str | None] | None = None,
        output_bytes_cap: int | None = None,
        disable_output_cap: bool = False,
        disable_timeout: bool = False,
        sandbox_policy: Mapping[str, object] | None = None,
        stream_stdin: bool = False,
        stream_stdout_stderr: bool = False,
        tty: bool = False,
        size: Mapping[str, int] | None = None,
    ) -> CommandExecResponse:
        """Run a command under the server's sandbox (no thread needed); returns exit code and output."""
        if (stream_stdin or stream_stdout_stderr or tty) and not process_id:
            raise CodexAgenticError("streaming or tty command_exec needs a process_id")
        params = _exec_params(
            command,
            cwd=cwd,
            timeout_ms=timeout_ms,
            process_id=process_id,
            env=env,
            output_bytes_cap=output_bytes_cap,
            sandbox_policy=sandbox_policy,
            size=size,
            flags={
                "disableOutputCap": disable_output_cap,
                "disableTimeout": disable_timeout,
                "streamStdin": stream_stdin,
                "streamStdoutStderr": stream_stdout_stderr,
                "tty": tty,
            },
        )
        result = await self._request(
            "command/exec", params, timeout=_exec_timeout(timeout_ms, disable_timeout)
        )
        return cast("CommandExecResponse", as_response("command/exec", result))

    async def command_exec_write(
        self, process_id: str, *, data: bytes | None = None, close_stdin: bool = False
    ) -> CommandExecWriteResponse:
        """Write to (and/or close) the stdin of a streaming ``command_exec``."""
        params: dict[str, Any] = {"processId": process_id, "closeStdin": close_stdin}
        if data is not None:
            params["deltaBase64"] = base64.b64encode(data).decode("ascii")
        result = await self._request("command/exec/write", params)
        return cast("CommandExecWriteResponse", as_response("command/exec/write", result))

    async def command_exec_resize(
        self, process_id: str, *, rows: int, cols: int
    ) -> CommandExecResizeResponse:
        """Resize the pty of a tty ``command_exec``."""
        params = {"processId": process_id, "size": {"rows": rows, "cols": cols}}
        result = await self._request("command/exec/resize", params)
        return cast("CommandExecResizeResponse", as_response("command/exec/resize", result))

    async def command_exec_terminate(self, process_id: str) -> CommandExecTerminateResponse:
        """Terminate a running ``command_exec``."""
        result = await self._request("command/exec/terminate", {"processId": process_id})
        return cast("CommandExecTerminateResponse", as_response("command/exec/terminate", result))

    async def command_exec_events(
        self,
        command: Sequence[str],
        *,
        process_id: str | None = None,
        cwd: str | None = None,
        timeout_ms: int | None = None,
        env: Mapping[str, str | None] | None = None,
        output_bytes_cap: int | None = None,
        disable_output_cap: bool = False,
        disable_timeout: bool = False,
        sandbox_policy: Mapping[str, object] | None = None,
        stream_stdin: bool = False,
        tty: bool = False,
        size: Mapping[str, int] | None = None,
    ) -> AsyncIterator[CommandExecEvent]:
        """Run a command and stream its output as :class:`CommandExecEvent`; the last event is
        ``command/exec/completed`` with the exit code. Output is routed by process id, so concurrent turn
        streams never see it. Leaving early terminates the process. ``process_id`` defaults to a new id."""
        # Lazy: uuid (it imports platform) and the event dataclass are kept off the clients' import.
        import uuid

        from ..events._response import CommandExecEvent

        process_id = process_id or f"sdk-{uuid.uuid4().hex[:12]}"
        params = _exec_params(
            command,
            cwd=cwd,
            timeout_ms=timeout_ms,
            process_id=process_id,
            env=env,
            output_bytes_cap=output_bytes_cap,
            sandbox_policy=sandbox_policy,
            size=size,
            flags={
                "disableOutputCap": disable_output_cap,
                "disableTimeout": disable_timeout,
                "streamStdin": stream_stdin,
                "streamStdoutStderr": True,
                "tty": tty,
            },
        )
        conn = await self._connection()
        queue = self._router.subscribe_process(process_id)
        done = False
        try:
            future = conn.start_request(
                "command/exec", params, timeout=_exec_timeout(timeout_ms, disable_timeout)
            )
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
            self._router.unsubscribe_process(process_id)
            if not done and not conn.closed:
                with contextlib.suppress(Exception):  # already finished: nothing to terminate
                    await conn.request("command/exec/terminate", {"processId": process_id}, timeout=5)


def _exec_event(msg: dict[str, Any], process_id: str) -> CommandExecEvent:
    from ..events._response import CommandExecEvent  # loaded by command_exec_events already

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
