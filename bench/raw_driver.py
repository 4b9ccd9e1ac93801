"""A minimal synchronous JSON-lines driver of ``codex app-server`` — the performance floor.

No dependencies, no threads: ``subprocess.Popen`` with pipes, one JSON object per line written to stdin,
stdout read in large chunks with ``os.read`` (``select`` gives timeouts), each line ``json.loads``-ed.
Server requests are answered synchronously by a callback. It is what an SDK is measured against, and
the harness of the fake-model end-to-end tests.

The app-server always runs with a temporary ``CODEX_HOME`` (created here unless one is given) and
``OPENAI_API_KEY=sk-test``; the real ``~/.codex`` is refused.
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import shutil
import subprocess
import tempfile
import time
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from typing import Any

__all__ = ["RawDriver", "RpcError", "items_completed", "methods"]

Message = dict[str, Any]
ServerRequestHandler = Callable[[Message], Any]


class RpcError(Exception):
    """A JSON-RPC error response (``code``, ``message``, ``data``)."""

    def __init__(self, error: Mapping[str, Any]) -> None:
        self.code = error.get("code")
        self.data = error.get("data")
        super().__init__(f"{self.code}: {error.get('message')}")


def _toml(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return repr(value) if isinstance(value, (int, float)) else json.dumps(str(value))


class RawDriver:
    """Drive one ``codex app-server`` process over stdio.

    ``config_overrides`` are ``key=value`` strings (passed as ``-c``) or a mapping (values TOML-encoded).
    ``on_server_request(msg)`` returns the ``result`` for a server request (e.g. ``{"decision": "decline"}``);
    raising :class:`RpcError`-like ``Exception`` sends a JSON-RPC error. Without a callback server
    requests are answered with an error. Notifications and server requests are kept in order in
    :attr:`inbox` until a ``run_turn`` / ``wait_for`` consumes them.
    """

    def __init__(
        self,
        codex_bin: str | None = None,
        codex_home: str | None = None,
        config_overrides: Sequence[str] | Mapping[str, object] = (),
        env: Mapping[str, str] | None = None,
        *,
        on_server_request: ServerRequestHandler | None = None,
        client_name: str = "raw_driver",
        experimental_api: bool = True,
        cwd: str | None = None,
    ) -> None:
        if codex_bin is None:
            import codex_cli_bin  # type: ignore[import-untyped,unused-ignore]

            codex_bin = str(codex_cli_bin.bundled_codex_path())
        self._own_home = codex_home is None
        self.codex_home = codex_home or tempfile.mkdtemp(prefix="codex-home-")
        real_home = os.path.realpath(os.path.expanduser("~/.codex"))
        if os.path.realpath(self.codex_home) == real_home:
            raise ValueError("refusing to run codex app-server with the real ~/.codex")
        if isinstance(config_overrides, Mapping):
            overrides = [f"{key}={_toml(value)}" for key, value in config_overrides.items()]
        else:
            overrides = list(config_overrides)
        args = [codex_bin, "app-server"]
        for override in overrides:
            args += ["-c", override]
        full_env = {k: v for k, v in os.environ.items() if not k.startswith(("CODEX_", "OPENAI_"))}
        # The same HOME as the SDK's bench processes (see cases._env): no login-shell profile of the user's.
        full_env.update(CODEX_HOME=self.codex_home, HOME=self.codex_home, OPENAI_API_KEY="sk-test")
        full_env.update(env or {})
        self.stderr_path = os.path.join(self.codex_home, "app-server.stderr")
        # stderr goes to a file, never a pipe: a full pipe nobody reads would block codex.
        self._stderr = open(self.stderr_path, "wb")  # noqa: SIM115
        self.proc = subprocess.Popen(
            args, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self._stderr, env=full_env, cwd=cwd
        )
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self._stdin = self.proc.stdin
        self._fd = self.proc.stdout.fileno()
        self._buf = b""
        self._lines: deque[bytes] = deque()
        self._next_id = 1
        self.on_server_request = on_server_request
        self.inbox: deque[Message] = deque()
        self.server_requests: list[Message] = []
        try:
            self.init_result: Message = self.request(
                "initialize",
                {
                    "clientInfo": {"name": client_name, "version": "0.0.0"},
                    "capabilities": {"experimentalApi": experimental_api},
                },
                timeout=30,
            )
            self.notify("initialized")
        except BaseException:
            self.close()
            raise

    # ------------------------------------------------------------------ wire

    def _send(self, message: Message) -> None:
        self._stdin.write(json.dumps(message).encode() + b"\n")
        self._stdin.flush()

    def _read(self, deadline: float) -> Message:
        """The next message from stdout; TimeoutError past ``deadline``, EOFError if codex exited."""
        while not self._lines:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError("no message from codex app-server in time")
            if not select.select([self._fd], [], [], remaining)[0]:
                continue
            chunk = os.read(self._fd, 1 << 20)
            if not chunk:
                raise EOFError(f"codex app-server exited (rc={self.proc.poll()}); see {self.stderr_path}")
            *lines, self._buf = (self._buf + chunk).split(b"\n")
            self._lines.extend(line for line in lines if line.strip())
        return json.loads(self._lines.popleft())  # type: ignore[no-any-return]

    def _answer(self, message: Message) -> None:
        self.server_requests.append(message)
        if self.on_server_request is None:
            error = {"code": -32601, "message": f"raw_driver has no handler for {message['method']}"}
            self._send({"id": message["id"], "error": error})
            return
        try:
            result = self.on_server_request(message)
        except Exception as exc:
            self._send({"id": message["id"], "error": {"code": -32000, "message": str(exc)}})
        else:
            self._send({"id": message["id"], "result": result})

    def _pump(self, deadline: float) -> Message:
        """Read one message; answer it if it is a server request; return it."""
        message = self._read(deadline)
        if "method" in message and "id" in message:
            self._answer(message)
        return message

    # ------------------------------------------------------------------ API

    def notify(self, method: str, params: Any = None) -> None:
        """Send a notification."""
        self._send({"method": method} if params is None else {"method": method, "params": params})

    def send_request(self, method: str, params: Any = None) -> int:
        """Send a request without waiting; returns its id (see :meth:`wait_response`)."""
        request_id = self._next_id
        self._next_id += 1
        message: Message = {"id": request_id, "method": method}
        if params is not None:
            message["params"] = params
        self._send(message)
        return request_id

    def wait_response(self, request_id: int, timeout: float = 60.0) -> Any:
        """Wait for the response to ``request_id``; other messages go to :attr:`inbox`."""
        deadline = time.monotonic() + timeout
        while True:
            message = self._pump(deadline)
            if "method" not in message and message.get("id") == request_id:
                if "error" in message:
                    raise RpcError(message["error"])
                return message.get("result")
            if "method" in message:
                self.inbox.append(message)

    def request(self, method: str, params: Any = None, timeout: float = 60.0) -> Any:
        """Send a request and return its ``result`` (:class:`RpcError` on an error response)."""
        return self.wait_response(self.send_request(method, params), timeout)

    def wait_for(self, predicate: Callable[[Message], bool], timeout: float = 60.0) -> list[Message]:
        """Consume messages (inbox first) until ``predicate`` holds for one; return all consumed, in order."""
        deadline = time.monotonic() + timeout
        seen: list[Message] = []
        while True:
            message = self.inbox.popleft() if self.inbox else self._pump(deadline)
            if "method" not in message:
                continue  # a late response to a request nobody waits for
            seen.append(message)
            if predicate(message):
                return seen

    def start_thread(self, **params: Any) -> str:
        """``thread/start`` with these params; returns the thread id."""
        return str(self.request("thread/start", params)["thread"]["id"])

    def start_turn(self, thread_id: str, text: str, **turn_params: Any) -> str:
        """``turn/start`` with one text input; returns the turn id without waiting for the turn."""
        params = {"threadId": thread_id, "input": [{"type": "text", "text": text}], **turn_params}
        return str(self.request("turn/start", params)["turn"]["id"])

    def wait_turn(self, turn_id: str, timeout: float = 60.0) -> list[Message]:
        """Messages (notifications and server requests) up to and including this turn's ``turn/completed``."""
        return self.wait_for(
            lambda m: m["method"] == "turn/completed" and m["params"]["turn"]["id"] == turn_id, timeout
        )

    def run_turn(self, thread_id: str, text: str, timeout: float = 60.0, **turn_params: Any) -> list[Message]:
        """Start a turn and return every message it produced, ``turn/completed`` last."""
        return self.wait_turn(self.start_turn(thread_id, text, **turn_params), timeout)

    def stderr_text(self) -> str:
        """What the app-server wrote to stderr so far."""
        self._stderr.flush()
        with open(self.stderr_path, "rb") as f:
            return f.read().decode(errors="replace")

    def close(self, timeout: float = 5.0) -> int:
        """Close stdin (the app-server exits), wait, kill if needed; remove an owned CODEX_HOME."""
        with contextlib.suppress(OSError):
            self._stdin.close()
        try:
            rc = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            rc = self.proc.wait()
        if self.proc.stdout is not None:
            self.proc.stdout.close()
        self._stderr.close()
        if self._own_home:
            shutil.rmtree(self.codex_home, ignore_errors=True)
        return rc

    def __enter__(self) -> RawDriver:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def items_completed(messages: Sequence[Message], item_type: str | None = None) -> list[Message]:
    """The ``item`` of each ``item/completed`` notification (optionally of one item ``type``)."""
    items = [m["params"]["item"] for m in messages if m.get("method") == "item/completed"]
    return [item for item in items if item_type is None or item.get("type") == item_type]


def methods(messages: Sequence[Message]) -> list[str]:
    """The ``method`` of each message, in order."""
    return [str(m.get("method")) for m in messages]
