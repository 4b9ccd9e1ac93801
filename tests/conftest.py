"""Fixtures for every test directory."""

from __future__ import annotations

import signal
from collections.abc import Iterator

import pytest


@pytest.fixture
def ctrl_c() -> Iterator[None]:
    """Ctrl-C raises KeyboardInterrupt during the test, however pytest was started: a shell starts a
    background job (``pytest &``, as CI runs two Pythons side by side) with SIGINT ignored, and Python
    then installs no handler of its own."""
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
