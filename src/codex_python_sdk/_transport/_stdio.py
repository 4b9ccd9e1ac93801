"""``codex app-server`` as a child process speaking newline-delimited JSON on stdin/stdout.

Why not ``asyncio.create_subprocess_exec`` + ``StreamReader.readline``: the stream reader has a 64 KiB
line limit (one ``item/completed`` of a long message exceeds it) and costs a task switch per line. Here a
protocol splits lines straight out of each chunk the pipe delivers, with no length limit and no
quadratic re-copying of a large line.

Death is noticed twice over: EOF on stdout, and the process exit itself (a pidfd on Linux, a waiter thread
elsewhere), so a killed app-server fails every caller at once even if a grandchild still holds stdout.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import logging
import os
import re
import signal
import subprocess
import threading
import weakref
from collections.abc import Mapping, Sequence
from typing import Any

from .._redact import excerpt, redact_text
from ._base import Receiver, Transport
from ._binary import ResolvedBinary
from ._spawn import popen_app_server

__all__ = ["StdioTransport"]

logger = logging.getLogger("codex_python_sdk.app_server")

_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
# After the process exits, give stdout this long to deliver what is still in the pipe.
_EXIT_GRACE_SECONDS = 0.2


def _kill_quietly(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        with contextlib.suppress(OSError):
            process.kill()
        with contextlib.suppress(Exception):
            process.wait(2)


class _LineReader(asyncio.Protocol):
    """Splits a byte stream into lines and hands each to ``on_line``; no line-length limit."""

    def __init__(self, on_line: Any, on_eof: Any) -> None:
        self._on_line = on_line
        self._on_eof = on_eof
        self._parts: list[bytes] = []

    def data_received(self, data: bytes) -> None:  # hot path
        nl = data.find(b"\n")
        if nl < 0:
            self._parts.append(data)
            return
        on_line = self._on_line
        if self._parts:
            self._parts.append(data[:nl])
            line = b"".join(self._parts)
            self._parts.clear()
        else:
            line = data[:nl]
        start = nl + 1
        while True:
            if line:
                # One line's failure stays with that line: escaping here would drop the rest of this
                # read (asyncio does not call us again for it), a response among them included.
                try:
                    on_line(line)
                except Exception:
                    _line_failed(line)
            nl = data.find(b"\n", start)
            if nl < 0:
                break
            line = data[start:nl]
            start = nl + 1
        if start < len(data):
            self._parts.append(data[start:])

    def eof_received(self) -> bool:
        return False

    def connection_lost(self, exc: Exception | None) -> None:
        if self._parts:
            line = b"".join(self._parts)
            self._parts.clear()
            if line.strip():
                try:
                    self._on_line(line)
                except Exception:
                    _line_failed(line)
        self._on_eof(exc)


def _line_failed(line: bytes) -> None:
    logger.warning(
        "a line from the app-server could not be handled; skipped: %s", excerpt(line), exc_info=True
    )


class _Writer(asyncio.Protocol):
    """Write-side protocol: tracks pause/resume for :meth:`StdioTransport.drain`."""

    def __init__(self) -> None:
        self._paused = False
        self._waiters: list[asyncio.Future[None]] = []
        self.lost = False

    def pause_writing(self) -> None:
        self._paused = True

    def resume_writing(self) -> None:
        self._paused = False
        self._wake()

    def connection_lost(self, exc: Exception | None) -> None:
        self.lost = True
        self._wake()

    def _wake(self) -> None:
        for waiter in self._waiters:
            if not waiter.done():
                waiter.set_result(None)
        self._waiters.clear()

    async def drain(self) -> None:
        if self._paused and not self.lost:
            waiter = asyncio.get_running_loop().create_future()
            self._waiters.append(waiter)
            await waiter


class StdioTransport(Transport):
    """Spawn ``argv`` and talk newline-delimited messages over its stdin/stdout.

    ``stderr_lines`` of stderr are kept (ANSI colours stripped) for error reports.
    """

    def __init__(
        self,
        argv: Sequence[str],
        *,
        env: Mapping[str, str] | None = None,
        cwd: str | None = None,
        stderr_lines: int = 500,
        shutdown_timeout: float = 2.0,
        process: subprocess.Popen[bytes] | None = None,
        binary: ResolvedBinary | None = None,
    ) -> None:
        """``process``: an app-server already spawned with ``argv`` (see ``_spawn``); ``binary``: how its
        executable was found (for diagnostics)."""
        self._argv = list(argv)
        self.binary = binary
        self._env = dict(env) if env is not None else None
        self._cwd = cwd
        self._stderr: collections.deque[str] = collections.deque(maxlen=stderr_lines)
        self._shutdown_timeout = shutdown_timeout
        self._proc: subprocess.Popen[bytes] | None = None
        if process is not None:
            self._adopt(process)
        self._receiver: Receiver | None = None
        self._stdin: asyncio.WriteTransport | None = None
        self._writer: _Writer | None = None
        self._stdout: asyncio.ReadTransport | None = None
        self._stderr_transport: asyncio.ReadTransport | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._exited: asyncio.Future[int] | None = None
        self._lost = False
        self._stdout_eof = False
        self._closing = False

    # -- start -----------------------------------------------------------------------------------------
    def spawn(self) -> None:
        """Start the process without an event loop (lets the sync client overlap imports with codex's
        own start-up). :meth:`start` calls it when it has not been called yet."""
        if self._proc is None:
            self._adopt(popen_app_server(self._argv, self._env, self._cwd))

    def _adopt(self, process: subprocess.Popen[bytes]) -> None:
        self._proc = process
        # Never leave a process behind: if this transport is dropped without being closed (a client
        # created but never used), kill what it spawned.
        weakref.finalize(self, _kill_quietly, process)

    async def start(self, receiver: Receiver) -> None:
        self.spawn()
        proc = self._proc
        assert proc is not None and proc.stdin and proc.stdout and proc.stderr
        loop = asyncio.get_running_loop()
        self._loop = loop
        self._receiver = receiver
        self._exited = loop.create_future()
        self._stdout, _ = await loop.connect_read_pipe(
            lambda: _LineReader(receiver.message_received, self._on_stdout_eof), proc.stdout
        )
        self._stderr_transport, _ = await loop.connect_read_pipe(
            lambda: _LineReader(self._on_stderr_line, lambda exc: None), proc.stderr
        )
        writer = self._writer = _Writer()
        stdin, _ = await loop.connect_write_pipe(lambda: writer, proc.stdin)
        self._stdin = stdin
        self._watch_exit(proc, loop)

    def _watch_exit(self, proc: subprocess.Popen[bytes], loop: asyncio.AbstractEventLoop) -> None:
        pidfd_open = getattr(os, "pidfd_open", None)
        if pidfd_open is not None:
            try:
                fd = pidfd_open(proc.pid)
            except OSError:
                fd = -1
            if fd >= 0:

                def on_exit() -> None:
                    loop.remove_reader(fd)
                    os.close(fd)
                    self._on_process_exit(proc.wait())

                loop.add_reader(fd, on_exit)
                return

        def wait_in_thread() -> None:
            code = proc.wait()
            with contextlib.suppress(RuntimeError):  # loop closed: nobody left to tell
                loop.call_soon_threadsafe(self._on_process_exit, code)

        threading.Thread(target=wait_in_thread, name="codex-app-server-waiter", daemon=True).start()

    # -- events ----------------------------------------------------------------------------------------
    def _on_stderr_line(self, line: bytes) -> None:
        text = line.decode("utf-8", "replace").rstrip()
        if "\x1b" in text:
            text = _ANSI.sub("", text)
        text = redact_text(text)  # the tail ends up in logs and in error messages users print
        if text:
            self._stderr.append(text)
            if logger.isEnabledFor(logging.DEBUG):
                logger.debug("app-server stderr: %s", text)

    def _on_process_exit(self, code: int) -> None:
        if self._exited is not None and not self._exited.done():
            self._exited.set_result(code)
        if self._lost or self._loop is None:
            return
        if self._stdout_eof:
            self._report_lost(None)
        else:
            # Let stdout drain what is still in the pipe, then report the loss even without EOF.
            self._loop.call_later(_EXIT_GRACE_SECONDS, self._report_lost, None)

    def _on_stdout_eof(self, exc: BaseException | None) -> None:
        self._stdout_eof = True
        proc = self._proc
        code = proc.poll() if proc is not None else None
        if code is not None or self._loop is None or self._closing:
            if code is not None and self._exited is not None and not self._exited.done():
                self._exited.set_result(code)
            self._report_lost(exc)
        else:
            # EOF usually comes a moment before the exit status: wait for it briefly, so the error says
            # how the app-server ended; report anyway if the process lingers without its stdout.
            self._loop.call_later(_EXIT_GRACE_SECONDS, self._report_lost, exc)

    def _report_lost(self, exc: BaseException | None) -> None:
        if self._lost:
            return
        self._lost = True
        if self._stdout is not None and not self._stdout.is_closing():
            self._stdout.close()
        if self._receiver is not None:
            self._receiver.connection_lost(exc)

    # -- io --------------------------------------------------------------------------------------------
    def send(self, data: bytes) -> None:
        stdin = self._stdin
        if stdin is None or self._lost or stdin.is_closing():
            raise ConnectionError("app-server stdin is closed")
        stdin.write(data + b"\n")

    async def drain(self) -> None:
        if self._writer is not None:
            await self._writer.drain()

    # -- shutdown --------------------------------------------------------------------------------------
    async def _wait_exit(self, timeout: float) -> bool:
        if self._exited is None:
            return True
        try:
            await asyncio.wait_for(asyncio.shield(self._exited), timeout)
            return True
        except asyncio.TimeoutError:
            return False

    async def aclose(self) -> None:
        if self._closing:
            if self._exited is not None:
                await self._wait_exit(self._shutdown_timeout * 3)
            return
        self._closing = True
        proc = self._proc
        if proc is None:
            return
        if self._loop is None:  # spawned but never started: no loop machinery to use
            self._close_unstarted(proc)
            return
        if self._stdin is not None and not self._stdin.is_closing():
            self._stdin.close()  # EOF on stdin: codex exits promptly by itself
        if not await self._wait_exit(self._shutdown_timeout):
            logger.warning("app-server did not exit after stdin closed; sending SIGTERM")
            with contextlib.suppress(ProcessLookupError):
                proc.send_signal(signal.SIGTERM)
            if not await self._wait_exit(self._shutdown_timeout):
                logger.warning("app-server ignored SIGTERM; killing it")
                with contextlib.suppress(ProcessLookupError):
                    proc.kill()
                await self._wait_exit(self._shutdown_timeout)
        for transport in (self._stdout, self._stderr_transport):
            if transport is not None and not transport.is_closing():
                transport.close()
        self._report_lost(None)

    def _close_unstarted(self, proc: subprocess.Popen[bytes]) -> None:
        for pipe in (proc.stdin, proc.stdout, proc.stderr):
            if pipe is not None:
                with contextlib.suppress(OSError):
                    pipe.close()
        try:
            proc.wait(self._shutdown_timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()

    def kill_now(self) -> None:
        if self._proc is not None:
            _kill_quietly(self._proc)

    # -- info ------------------------------------------------------------------------------------------
    def stderr_tail(self) -> list[str]:
        return list(self._stderr)

    @property
    def returncode(self) -> int | None:
        if self._exited is not None and self._exited.done():
            return self._exited.result()
        return self._proc.poll() if self._proc is not None else None

    @property
    def pid(self) -> int | None:
        """The app-server's process id once spawned."""
        return self._proc.pid if self._proc is not None else None

    def describe(self) -> str:
        return f"stdio app-server (pid {self.pid})" if self._proc else "stdio app-server (not started)"
