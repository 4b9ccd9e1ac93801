"""Command-line tools: ``codex-python-sdk`` (``run`` a turn with the live view or as JSON lines, ``doctor``,
``demo``; also ``python -m codex_python_sdk``) and the demo runner ``codex-python-sdk-demo``. See
:mod:`codex_python_sdk.cli.main`, :mod:`codex_python_sdk.cli.run` and :mod:`codex_python_sdk.cli.demo`."""
