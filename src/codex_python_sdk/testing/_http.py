"""The HTTP plumbing of :class:`FakeModel`: a threading server and a handler that defers to the model."""

from __future__ import annotations

from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._fake_model import FakeModel

__all__ = ["_Handler", "_Server"]


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    model: FakeModel


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body are separate writes: with Nagle on, each kept-alive round trip waits ~40 ms.
    disable_nagle_algorithm = True
    server_version = "FakeModel/1"
    sys_version = ""
    server: _Server

    def setup(self) -> None:
        super().setup()
        self.server.model._track(self.connection, add=True)

    def finish(self) -> None:
        try:
            super().finish()
        except OSError:
            pass
        finally:
            self.server.model._track(self.connection, add=False)

    def log_message(self, format: str, *args: Any) -> None:  # silence the default stderr access log
        return

    def handle_one_request(self) -> None:
        try:
            super().handle_one_request()
        except (ConnectionError, TimeoutError, OSError):
            self.close_connection = True

    def _dispatch(self) -> None:
        self.server.model._serve(self)

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_OPTIONS = do_CONNECT = _dispatch

    def read_body(self) -> bytes:
        if "chunked" in self.headers.get("transfer-encoding", "").lower():
            parts: list[bytes] = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(parts)
                parts.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("content-length") or 0)
        return self.rfile.read(length) if length else b""
