"""What to launch: the codex binary and the command line built from the client options.

Nothing heavier than ``os`` is imported: the factories plan and spawn codex *before* importing asyncio,
orjson and the client, so codex's own start-up overlaps with those imports.
"""

from __future__ import annotations

from .._transport._binary import ResolvedBinary, resolve_codex_binary
from ._options import ClientOptions

__all__ = ["LaunchPlan", "plan_launch"]


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
