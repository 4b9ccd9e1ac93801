"""``python -m codex_python_sdk``: the demo runner (``codex-python-sdk-demo``), e.g. ``--fake-model``."""

from __future__ import annotations

from .cli.demo import main

if __name__ == "__main__":
    raise SystemExit(main())
