"""``python -m codex_python_sdk``: the ``codex-python-sdk`` command (``run``, ``doctor``, ``demo``); without a
subcommand it runs the demo (``codex-python-sdk-demo``), as it always has, e.g. ``--fake-model``."""

from __future__ import annotations

from .cli.main import main

if __name__ == "__main__":
    raise SystemExit(main(default="demo", prog="python -m codex_python_sdk"))
