"""The per-message cost of each transport: one streaming turn over stdio, ws:// and a unix socket.

``python bench/cases.py transports IMPL CONFIG_JSON`` with IMPL ``stdio``, ``ws`` or ``unix``: the async
client streams the stream case's turn (every delta delivered) from an app-server it spawned (stdio), or
from one started here with ``--listen`` (same CODEX_HOME, same fake model) and reached with ``url=``.
The turn's wall time and the client's CPU time during it are reported; the harness divides the CPU time
by the deltas, so the difference between transports is their per-message overhead.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from typing import Any

from cases import STREAM_PROMPT, _env, _sdk_kwargs

from codex_python_sdk._client._toml import encode_overrides

IMPLS = ("stdio", "ws", "unix")


@contextlib.contextmanager
def listening(cfg: dict[str, Any], impl: str) -> Iterator[str]:
    """``codex app-server --listen`` for ``impl`` with the bench's home and fake model; yields its URL."""
    import codex_cli_bin  # type: ignore[import-untyped,unused-ignore]

    tmp = tempfile.mkdtemp(prefix="codex-bench-listen-")
    sock_path = os.path.join(tmp, "app-server.sock")
    listen = "ws://127.0.0.1:0" if impl == "ws" else f"unix://{sock_path}"
    argv = [str(codex_cli_bin.bundled_codex_path()), "app-server", "--listen", listen]
    argv += encode_overrides(cfg["overrides"])
    stderr_path = os.path.join(tmp, "stderr")
    with open(stderr_path, "wb") as stderr:  # a file, never a pipe nobody reads
        proc = subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
            env=_env(cfg),
            cwd=cfg["workspace"],
        )
    try:
        yield _wait_listening(proc, listen, stderr_path, sock_path)
    finally:
        proc.kill()
        proc.wait()
        shutil.rmtree(tmp, ignore_errors=True)


def _wait_listening(proc: subprocess.Popen[bytes], listen: str, stderr_path: str, sock_path: str) -> str:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            with open(stderr_path, encoding="utf-8", errors="replace") as f:
                raise RuntimeError(f"app-server --listen {listen} exited:\n{f.read()[-2000:]}")
        if listen.startswith("ws://"):
            with open(stderr_path, encoding="utf-8", errors="replace") as f:
                match = re.search(r"listening on: (ws://\S+)", f.read())
            if match:
                return match.group(1)
        elif os.path.exists(sock_path):
            with socket.socket(socket.AF_UNIX) as probe, contextlib.suppress(OSError):
                probe.connect(sock_path)
                return listen
        time.sleep(0.02)
    raise RuntimeError(f"app-server --listen {listen} did not listen within 60 s")


def transports(impl: str, cfg: dict[str, Any]) -> dict[str, Any]:
    """Stream the turn over ``impl``; returns turn_wall, turn_cpu and the deltas seen."""
    from codex_python_sdk import create_async_client

    async def main(kwargs: dict[str, Any]) -> tuple[int, float, float]:
        count = 0
        async with create_async_client(**kwargs) as client:
            tid = (await client.thread_start())["thread"]["id"]
            cpu0, start = time.process_time(), time.perf_counter()
            async for event in client.responses_events(prompt=STREAM_PROMPT, thread_id=tid):
                if event.type == "item/agentMessage/delta":
                    count += 1
            return count, time.perf_counter() - start, time.process_time() - cpu0

    if impl == "stdio":
        deltas, wall, cpu = asyncio.run(main(_sdk_kwargs(cfg)))
    else:
        with listening(cfg, impl) as url:
            deltas, wall, cpu = asyncio.run(main({"url": url, "stream_idle_timeout_seconds": 120}))
    return {"turn_wall": wall, "turn_cpu": cpu, "deltas": deltas}
