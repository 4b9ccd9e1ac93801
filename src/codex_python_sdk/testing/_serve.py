"""A real ``codex app-server --listen …`` against a :class:`FakeModel`, for testing remote clients.

:meth:`FakeHome.serve` starts one with the kit's environment (throwaway ``CODEX_HOME``, the fake's
``-c`` overrides, no network) listening on loopback or a unix socket, optionally behind a capability
token; clients then connect with ``url=server.url, token=server.token``. The process is always killed:
by :meth:`ListeningAppServer.close`, ``with``, or the home closing.
"""

from __future__ import annotations

import collections
import contextlib
import os
import re
import secrets
import signal
import socket
import subprocess
import threading
import time
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING

from .._client._toml import encode_overrides
from .._transport._binary import resolve_codex_binary

if TYPE_CHECKING:
    from ._wiring import FakeHome

__all__ = ["ListeningAppServer"]

_LISTENING = re.compile(r"listening on: (ws://\S+)")


class ListeningAppServer:
    """One ``codex app-server --listen URL`` process of a :class:`FakeHome`.

    ``listen`` is ``ws://127.0.0.1:0`` (any free port; :attr:`url` has the real one) or
    ``unix:///abs/path.sock``. ``token=True`` makes up a capability token (``--ws-auth capability-token``
    with a token file); a string uses that token. :meth:`kill` ends the process abruptly (a crash), and
    :meth:`restart` starts it again on the same address, with the same home and token.
    """

    def __init__(self, home: FakeHome, listen: str, *, token: str | bool | None = None) -> None:
        """Configure; :meth:`start` (or ``with``) runs it."""
        self.home = home
        self._listen = listen
        self.token: str | None = secrets.token_urlsafe(24) if token is True else (token or None)
        """The capability token clients must send (None: the server accepts any client)."""
        self.url: str | None = None if listen.startswith("ws://") else listen
        """The address to connect to (``url=``); for ``ws://…:0`` known once started."""
        self._proc: subprocess.Popen[str] | None = None
        self._stderr: collections.deque[str] = collections.deque(maxlen=200)

    # ------------------------------------------------------------------ process
    def _argv(self) -> list[str]:
        binary = resolve_codex_binary(None)
        listen = self.url or self._listen
        argv = [binary.path, "app-server", "--listen", listen]
        if self.token is not None:
            token_file = self.home.root / "ws-token"
            token_file.write_text(self.token)
            token_file.chmod(0o600)
            argv += ["--ws-auth", "capability-token", "--ws-token-file", str(token_file)]
        return argv + encode_overrides(dict(self.home.model.config_overrides()))

    def start(self, timeout: float = 60.0) -> ListeningAppServer:
        """Start the process and wait until it accepts connections."""
        if self._proc is not None and self._proc.poll() is None:
            raise RuntimeError("this app-server is already running")
        self._stderr.clear()
        proc = self._proc = subprocess.Popen(
            self._argv(),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            env=self.home.env(),
            cwd=self.home.workspace,
            start_new_session=True,
        )
        self.home._servers.append(self)
        found = threading.Event()
        threading.Thread(target=self._read_stderr, args=(proc, found), daemon=True).start()
        deadline = time.monotonic() + timeout
        while not self._ready(found):
            if proc.poll() is not None:
                raise RuntimeError(
                    f"codex app-server --listen {self._listen} exited with code {proc.returncode}:\n"
                    + "\n".join(self._stderr)
                )
            if time.monotonic() > deadline:
                self.close()
                raise RuntimeError(
                    f"codex app-server --listen {self._listen} did not listen in {timeout:g} s"
                )
            time.sleep(0.02)
        return self

    def _read_stderr(self, proc: subprocess.Popen[str], found: threading.Event) -> None:
        assert proc.stderr is not None
        with proc.stderr:
            for line in proc.stderr:  # drained to the end, so the pipe never fills and blocks the server
                self._stderr.append(line.rstrip())
                match = _LISTENING.search(line)
                if match and self.url is None:
                    self.url = match.group(1)
                if match:
                    found.set()

    def _ready(self, found: threading.Event) -> bool:
        if self._listen.startswith("ws://"):
            return found.is_set()
        path = self._listen[len("unix://") :]
        if not os.path.exists(path):
            return False
        with socket.socket(socket.AF_UNIX) as probe:  # a stale socket from a killed server exists too
            try:
                probe.connect(path)
            except OSError:
                return False
        return True

    @property
    def pid(self) -> int | None:
        """The process id while it runs."""
        return self._proc.pid if self._proc is not None and self._proc.poll() is None else None

    def stderr_tail(self) -> list[str]:
        """The server's last stderr lines."""
        return list(self._stderr)

    def kill(self) -> None:
        """End the process at once (SIGKILL): what clients see when a server crashes."""
        proc = self._proc
        if proc is not None and proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                proc.send_signal(signal.SIGKILL)
            proc.wait(10)

    def restart(self, timeout: float = 60.0) -> ListeningAppServer:
        """Kill it if it runs, then start it again on the same address."""
        self.kill()
        return self.start(timeout)

    def close(self) -> None:
        """Stop the process (SIGTERM, then SIGKILL) and forget it (idempotent)."""
        proc = self._proc
        if proc is not None and proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(5)
            except subprocess.TimeoutExpired:
                self.kill()
        if self in self.home._servers:
            self.home._servers.remove(self)
        token_file = Path(self.home.root, "ws-token")
        with contextlib.suppress(OSError):
            token_file.unlink()

    def __enter__(self) -> ListeningAppServer:
        if self._proc is None:
            self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<ListeningAppServer {self.url or self._listen} pid={self.pid}>"
