"""Command-line tools: the demo runner ``codex-python-sdk-demo`` (also ``python -m codex_python_sdk``) and
its ``doctor`` subcommand. See :mod:`codex_python_sdk.cli.demo`."""
