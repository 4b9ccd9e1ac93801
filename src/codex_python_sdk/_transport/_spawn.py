"""Spawning the app-server process, with nothing heavier than ``subprocess`` imported.

The factories start codex *before* importing asyncio, orjson and the client: codex's own start-up
(~100 ms) then overlaps with those imports, which is most of what a cold start costs on top of codex.
"""

from __future__ import annotations

import subprocess
from collections.abc import Mapping, Sequence

__all__ = ["popen_app_server"]


def popen_app_server(
    argv: Sequence[str], env: Mapping[str, str] | None, cwd: str | None
) -> subprocess.Popen[bytes]:
    """Spawn the app-server with pipes on all three standard streams."""
    return subprocess.Popen(
        list(argv),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=cwd,
        env=dict(env) if env is not None else None,
        bufsize=0,
        # Own session: a Ctrl-C in the caller's terminal must not kill codex before we close it.
        start_new_session=True,
    )
