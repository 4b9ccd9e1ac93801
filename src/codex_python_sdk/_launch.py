"""Starting the app-server process, with nothing heavier than ``subprocess`` imported.

The factories start codex *before* importing asyncio, orjson and the client: codex's own start-up
(~100 ms) then overlaps with those imports, which is most of what a cold start costs on top of codex.
"""

from __future__ import annotations

import subprocess
from collections.abc import Mapping, Sequence

from ._binary import ResolvedBinary, resolve_codex_binary
from ._options import ClientOptions

__all__ = ["LaunchPlan", "plan_launch", "popen_app_server"]


class LaunchPlan:
    """What to run, with which environment, where."""

    __slots__ = ("argv", "binary", "cwd", "env")

    def __init__(self, argv: list[str], env: dict[str, str], cwd: str, binary: ResolvedBinary) -> None:
        self.argv = argv
        self.env = env
        self.cwd = cwd
        self.binary = binary


def plan_launch(options: ClientOptions) -> LaunchPlan:
    """Resolve the binary and build the command line (raises if no codex binary works)."""
    binary = resolve_codex_binary(options.codex_command)
    argv = [binary.path, *options.app_server_args, *options.command_line_flags()]
    return LaunchPlan(argv, options.child_env(binary.path_prepend), options.process_cwd, binary)


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
