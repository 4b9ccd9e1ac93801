"""``command/exec``: running a command under the server's sandbox, outside any thread (the seed's API).

``command_exec`` waits for the result; ``command_exec_events`` streams the output (routed by process id,
so turn streams never see it) and terminates the process when left early.
"""

from __future__ import annotations

import base64
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
    from ._routing import Router

__all__ = ["ExecMethods"]


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
        from ._exec import exec_params, exec_timeout  # loaded on first use

        params = exec_params(
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
            "command/exec", params, timeout=exec_timeout(timeout_ms, disable_timeout)
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
        # Lazy: uuid (it imports platform), the event dataclass and the streaming are kept off the clients'
        # import (docs/performance.md).
        import uuid

        from ._exec import exec_params, exec_timeout, stream_exec

        process_id = process_id or f"sdk-{uuid.uuid4().hex[:12]}"
        params = exec_params(
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
        events = stream_exec(
            conn, self._router, params, process_id, exec_timeout(timeout_ms, disable_timeout)
        )
        try:
            async for event in events:
                yield event
        finally:
            await events.aclose()  # now: leaving early terminates the process
