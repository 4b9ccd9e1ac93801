"""``codex-python-sdk``: the command line — ``run`` a turn, ``doctor`` the setup, ``demo`` the SDK.

::

    codex-python-sdk run "Summarise README.md"      # one turn, shown live (see cli/run.py for the options)
    codex-python-sdk doctor                         # which codex, does the app-server start, which account
    codex-python-sdk demo --mode demo --fake-model  # the demo (also installed as codex-python-sdk-demo)

``python -m codex_python_sdk`` is the same command, except that without a subcommand it runs the demo, as
it always has (``python -m codex_python_sdk --fake-model``).
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

__all__ = ["COMMANDS", "main"]

COMMANDS = {
    "run": "run one turn and show it live (--json: one JSON object per event)",
    "doctor": "check the setup: the codex binary, the app-server, the account",
    "demo": "smoke-test and showcase the SDK (the same as codex-python-sdk-demo)",
}


def _usage(prog: str) -> str:
    lines = [f"usage: {prog} {{{','.join(COMMANDS)}}} ...", "", "commands:"]
    lines += [f"  {name:<8}{text}" for name, text in COMMANDS.items()]
    lines += ["", f"`{prog} COMMAND --help` describes the options of a command."]
    return "\n".join(lines) + "\n"


def main(
    argv: Sequence[str] | None = None, *, default: str | None = None, prog: str = "codex-python-sdk"
) -> int:
    """Dispatch to the subcommand; ``default`` is the command run when none is named. The exit status."""
    arguments = list(sys.argv[1:] if argv is None else argv)
    command = arguments[0] if arguments and arguments[0] in COMMANDS else None
    if command is not None:
        arguments = arguments[1:]
    elif default is not None and arguments[:1] not in (["-h"], ["--help"]):
        command = default
    else:
        wants_help = arguments[:1] in (["-h"], ["--help"])
        (sys.stdout if wants_help else sys.stderr).write(_usage(prog))
        return 0 if wants_help else 2
    if command == "run":
        from .run import main as run_main

        return run_main(arguments, prog=f"{prog} run")
    if command == "doctor":
        from .doctor import main as doctor_main

        return doctor_main(arguments, prog=f"{prog} doctor")
    from .demo import main as demo_main

    return demo_main(arguments)
